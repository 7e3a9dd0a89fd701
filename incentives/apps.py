from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncentivesConfig(AppConfig):
    name = "incentives"
    verbose_name = _("激励规则")

    def ready(self):
        from core.registry import DemoSeeder, register

        from . import demo

        # After the registry and the pilot bases (whose grades the pilot-base rule reads).
        register(DemoSeeder("incentives", seed=demo.seed, reset=demo.reset, order=60))
        self._plug_art45()

    @staticmethod
    def _plug_art45():
        """The annual reports check the research team's share against the Law Art. 45 minimum
        (``reports.checks``, "Art. 45 hook"): the minimum comes from the shipped check rule's dated
        parameter (``services.art45_report_minimum``). The reports app cannot import this one."""
        from reports.checks import set_team_share_provider

        from .services import art45_report_minimum

        set_team_share_provider(art45_report_minimum)

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
        (docs/reports.md, "Art. 45 hook"): the minimum comes from the shipped check rule's dated
        parameters (``services.art45_minimum_share``). The reports app cannot import this one."""
        try:
            from reports import checks
        except ImportError:
            return
        hook = getattr(checks, "set_minimum_team_share", None) or getattr(checks, "register_minimum_share", None)
        if hook is not None:
            from .services import art45_minimum_share

            hook(art45_minimum_share)

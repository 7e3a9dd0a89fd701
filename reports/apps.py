from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("年度报告")

    def ready(self):
        from core.registry import DemoSeeder, register

        from . import demo

        # seed_demo: the 2023 cycle, after the registry (and the statistics) exist.
        register(DemoSeeder("reports", seed=demo.seed, reset=demo.reset, order=50))

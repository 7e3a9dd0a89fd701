from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AchievementsConfig(AppConfig):
    name = "achievements"
    verbose_name = _("科技成果库")

    def ready(self):
        from core.registry import DemoDataCheck, register

        from .selectors import synthetic_data_present

        # The demo banner shows while the registry holds synthetic records.
        register(DemoDataCheck("achievements", present=synthetic_data_present))

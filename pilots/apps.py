from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PilotsConfig(AppConfig):
    name = "pilots"
    verbose_name = _("中试基地")

    def ready(self):
        from core.registry import DemoSeeder, register

        from .demo import seed

        # The pilot bases' part of seed_demo (after the registry's units and achievements exist).
        register(DemoSeeder("pilots", seed=seed.seed, reset=seed.reset, order=30))

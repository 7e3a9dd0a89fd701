from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("公共")

    def ready(self):
        # Every app's navigation, API routes, dashboard panels and home cards (core.registry).
        from .registry import autodiscover

        autodiscover()

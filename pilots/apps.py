from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PilotsConfig(AppConfig):
    name = "pilots"
    verbose_name = _("中试基地")

    def ready(self):
        from core.registry import DemoSeeder, ExchangeSheet, register

        from . import exchange_sheets as sheets
        from .demo import seed

        # The pilot bases' part of seed_demo (after the registry's units and achievements exist).
        register(DemoSeeder("pilots", seed=seed.seed, reset=seed.reset, order=30))
        # The added sheets of the exchange format (written by the exchange app's exports, read by its import).
        register(
            ExchangeSheet(
                "pilot_bases",
                _("中试基地"),
                sheets.BASE_COLUMNS,
                sheets.base_rows,
                sheets.load_bases,
                order=10,
                notes=sheets.BASE_NOTES,
                lists=sheets.base_lists,
            ),
            ExchangeSheet(
                "pilot_funds",
                _("中试基地资金"),
                sheets.FUND_COLUMNS,
                sheets.fund_rows,
                sheets.load_funds,
                order=20,
                notes=sheets.FUND_NOTES,
            ),
        )

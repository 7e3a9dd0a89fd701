"""The import page in the main navigation (core.registry): for whoever may register records."""

from django.utils.translation import gettext_lazy as _

from achievements.policies import can_register_records
from core.registry import NavItem, register

register(
    NavItem(
        "import",
        _("导入"),
        "exchange:import_upload",
        order=50,
        visible=can_register_records,
        active="/exchange/",
    ),
)

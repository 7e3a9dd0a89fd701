"""The import page in the main navigation (core.registry): for whoever may register records."""

from django.utils.translation import gettext_lazy as _

from achievements.policies import can_register_records
from core.registry import HelpTopic, NavItem, register

register(
    NavItem(
        "import",
        _("导入"),
        "exchange:import_upload",
        order=50,
        visible=can_register_records,
        active="/exchange/",
    ),
    # The help page of the import and export pages (docs/help.md).
    HelpTopic(
        "import",
        _("批量导入与导出"),
        "exchange/help.html",
        paths=("/exchange/",),
        order=20,
        visible=can_register_records,
    ),
)

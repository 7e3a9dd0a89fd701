"""The registry's links in the main navigation (core.registry)."""

from django.utils.translation import gettext_lazy as _

from core.registry import HelpTopic, NavItem, register

register(
    NavItem("achievements", _("成果"), "achievements:achievement_list", order=30),
    NavItem("contracts", _("转化合同"), "achievements:transformation_list", order=40),
    # The help page of the registry's pages (docs/help.md).
    HelpTopic(
        "registry",
        _("成果与合同登记"),
        "achievements/help.html",
        paths=("/achievements/", "/contracts/", "/transferees/"),
        order=10,
    ),
)

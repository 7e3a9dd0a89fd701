"""The pilot bases' link in the main navigation (core.registry)."""

from django.utils.translation import gettext_lazy as _

from core.registry import NavItem, register

register(NavItem("pilot_bases", _("中试基地"), "pilots:base_list", order=45))

"""The home page in the main navigation (core.registry): everybody, signed in or not."""

from django.utils.translation import gettext_lazy as _

from core.registry import NavItem, everyone, register

register(NavItem("home", _("首页"), "home", order=10, visible=everyone, active="="))

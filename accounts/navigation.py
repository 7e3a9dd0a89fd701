"""The admin in the main navigation (core.registry): department staff only."""

from django.utils.translation import gettext_lazy as _

from core.registry import NavItem, register

from .roles import is_staff

register(NavItem("admin", _("管理后台"), "admin:index", order=90, visible=is_staff))

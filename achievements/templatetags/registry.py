"""Template helpers of the registry pages: yes/no. (Amounts and counts: ``core/templatetags/numbers.py``,
docs/numbers.md; sortable headers: ``core.ui.tables``.)"""

from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def yes_no(value) -> str:
    return _("是") if value else _("否")

"""Template helpers of the registry pages: amounts and yes/no. (Sortable headers: ``core.ui.tables``.)"""

from decimal import ROUND_HALF_UP, Decimal

from django import template
from django.utils.translation import gettext as _

register = template.Library()

CENT = Decimal("0.01")


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    return Decimal(value)


def _grouped(amount: Decimal) -> str:
    return f"{amount.quantize(CENT, rounding=ROUND_HALF_UP):,.2f}"


@register.filter
def yuan(value) -> str:
    """Yuan with two decimals and thousands separators: ``1,234,567.80``; empty when missing."""
    amount = _decimal(value)
    return "" if amount is None else _grouped(amount)


@register.filter
def wan(value) -> str:
    """10⁴ yuan (万元) with two decimals, as Chinese statistical tables show amounts."""
    amount = _decimal(value)
    return "" if amount is None else _grouped(amount / Decimal(10_000))


@register.filter
def yes_no(value) -> str:
    return _("是") if value else _("否")

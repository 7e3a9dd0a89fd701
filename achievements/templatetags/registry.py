"""Template helpers of the registry pages: amounts, sortable column headers, filter links."""

from decimal import ROUND_HALF_UP, Decimal

from django import template
from django.utils.html import format_html
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


@register.simple_tag(takes_context=True)
def sort_header(context, key: str, label: str, css: str = ""):
    """A column header that sorts by ``key`` (ascending first, then descending), keeps every other
    parameter of the current URL, goes back to page 1, and updates the table in place with htmx."""
    request = context["request"]
    current = context.get("sort", "")
    params = request.GET.copy()
    params.pop("page", None)
    if current == key:
        params["sort"], arrow = f"-{key}", " ▲"
    elif current == f"-{key}":
        params["sort"], arrow = key, " ▼"
    else:
        params["sort"], arrow = key, ""
    url = f"{request.path}?{params.urlencode()}"
    aria = "ascending" if arrow == " ▲" else "descending" if arrow == " ▼" else "none"
    return format_html(
        '<th class="{}" aria-sort="{}"><a href="{}" hx-get="{}" hx-target="#results" hx-push-url="true">'
        "{}{}</a></th>",
        css,
        aria,
        url,
        url,
        label,
        arrow,
    )

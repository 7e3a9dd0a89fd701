"""Drill-down links: every figure on the dashboard points at the list of the records behind it.

A figure and its list use the same definition (``achievements.selectors`` through the list's
FilterSet), so the total count shown on the list equals the figure clicked. The parameter names are
those of ``achievements.filtersets``.
"""

from functools import lru_cache
from urllib.parse import urlencode

from django.urls import get_script_prefix, reverse

ACHIEVEMENT_LIST = "achievements:achievement_list"
CONTRACT_LIST = "achievements:transformation_list"

# metric -> (list URL name, query parameters for year Y). Metrics without a list of their own
# (distinct units) have no link.
_METRIC_LISTS = {
    "achievements": (ACHIEVEMENT_LIST, lambda y: {"stock_year": y}),
    "convertible": (ACHIEVEMENT_LIST, lambda y: {"stock_year": y, "convertible": "true"}),
    "transformed": (ACHIEVEMENT_LIST, lambda y: {"transformed_in": y}),
    # The numerator of the conversion rate: stock achievements transformed on or before 31 Dec Y.
    "conversion_rate": (ACHIEVEMENT_LIST, lambda y: {"stock_year": y, "transformed_by": y}),
    "contracts": (CONTRACT_LIST, lambda y: {"signed_year": y, "status": "effective"}),
    "amount": (CONTRACT_LIST, lambda y: {"signed_year": y, "status": "effective"}),
    "received": (CONTRACT_LIST, lambda y: {"signed_year": y, "status": "effective"}),
    # The numerator of the local conversion rates: contracts whose transferee is in Liaoning.
    "local_rate_amount": (
        CONTRACT_LIST,
        lambda y: {"signed_year": y, "status": "effective", "local": "true"},
    ),
    "local_rate_count": (CONTRACT_LIST, lambda y: {"signed_year": y, "status": "effective", "local": "true"}),
}

# breakdown dimension -> list parameter; ``mode`` exists only on contracts.
DIMENSION_PARAMS = {
    "unit": "unit",
    "unit_type": "unit_type",
    "region": "region",
    "cluster": "cluster",
    "mode": "mode",
    "trl": "trl",
    "ip_type": "ip_type",
}
SCOPE_FIELDS = ("unit", "unit_type", "region", "cluster")


@lru_cache(maxsize=16)
def _list_path(url_name: str, script_prefix: str) -> str:
    # A page carries hundreds of links to the same two lists: resolve each list's path once.
    return reverse(url_name)


def scope_params(scope) -> dict:
    return {name: getattr(scope, name) for name in SCOPE_FIELDS if getattr(scope, name, None)}


def metric_url(metric: str, *, year: int, scope, extra: dict | None = None) -> str | None:
    """The list whose total count equals ``metric`` (or, for amounts and rates, whose records make
    it up) for ``year`` in ``scope``; ``extra`` narrows it further (a breakdown row)."""
    target = _METRIC_LISTS.get(metric)
    if target is None:
        return None
    url_name, params_for_year = target
    if extra and "mode" in extra and url_name != CONTRACT_LIST:
        return None  # achievements have no transformation mode
    params = {**params_for_year(year), **scope_params(scope), **(extra or {})}
    return f"{_list_path(url_name, get_script_prefix())}?{urlencode(params)}"


def row_url(metric: str, *, year: int, scope, by: str, key) -> str | None:
    """Link of one breakdown row (e.g. a bar): the metric's list narrowed to the row's key."""
    if key in (None, ""):
        return None  # e.g. achievements without a cluster: the list has no filter for "none"
    return metric_url(metric, year=year, scope=scope, extra={DIMENSION_PARAMS[by]: key})


def local_url(metric: str, *, year: int, scope, local: bool) -> str | None:
    return metric_url(metric, year=year, scope=scope, extra={"local": "true" if local else "false"})

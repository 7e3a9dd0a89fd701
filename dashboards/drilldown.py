"""Drill-down links: every figure on the dashboard points at the list of the records behind it.

Which list, with which parameters, is declared per metric in ``dashboards.catalogue``.

A figure and its list use the same definition (``achievements.selectors`` through the list's
FilterSet), so the total count shown on the list equals the figure clicked. The parameter names are
those of ``achievements.filtersets``.
"""

from functools import lru_cache
from urllib.parse import urlencode

from django.urls import get_script_prefix, reverse

from .catalogue import CONTRACT_LIST, METRICS_BY_NAME

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
    entry = METRICS_BY_NAME.get(metric)
    target = entry.drilldown if entry else None  # the catalogue's list for the metric, if any
    if target is None:
        return None  # e.g. distinct units, same-unit growth: no list of their own
    if extra and "mode" in extra and target.url_name != CONTRACT_LIST:
        return None  # achievements have no transformation mode
    params = {**target.query(year), **scope_params(scope), **(extra or {})}
    return f"{_list_path(target.url_name, get_script_prefix())}?{urlencode(params)}"


def row_url(metric: str, *, year: int, scope, by: str, key) -> str | None:
    """Link of one breakdown row (e.g. a bar): the metric's list narrowed to the row's key."""
    if key in (None, ""):
        return None  # e.g. achievements without a cluster: the list has no filter for "none"
    return metric_url(metric, year=year, scope=scope, extra={DIMENSION_PARAMS[by]: key})


def local_url(metric: str, *, year: int, scope, local: bool) -> str | None:
    return metric_url(metric, year=year, scope=scope, extra={"local": "true" if local else "false"})

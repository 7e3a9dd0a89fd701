"""The statistics' cards on the home page (core.registry.HomeCard): the figures of the latest
complete year (``selectors.default_year``, as the dashboard opens on; the province for staff, their
own unit for a unit user), read from the snapshot by the public selectors exactly as the dashboard
shows them; and, for staff, figures that wait for a recompute or could not be built."""

from django.utils.translation import gettext_lazy as _

from accounts.roles import is_staff
from achievements.policies import can_register_records
from core.registry import HomeCard, register

from . import catalogue, selectors
from .catalogue import Kind

STAFF_METRICS = ("convertible", "transformed", "contracts", "amount")
UNIT_METRICS = ("convertible", "transformed", "contracts", "amount", "received")
_SHOWN_AS = {Kind.COUNT: "count", Kind.AMOUNT: "money", Kind.RATE: "rate", Kind.GROWTH: "growth"}


def figures_context(request) -> dict | None:
    from .views import fmt, unit_of  # the dashboard's own formatting (core.numbers)

    user = request.user
    metrics = STAFF_METRICS if user.is_staff else UNIT_METRICS
    figures = selectors.headline_figures(user, metrics=metrics)
    if figures is None:
        return None
    tiles = []
    for name in metrics:
        entry = catalogue.metric(name)
        shown_as = _SHOWN_AS[entry.kind]
        figure = figures[name]
        tiles.append(
            {
                "metric": name,
                "label": entry.tile or entry.label,
                "value": fmt(figure["value"], shown_as),
                "raw": figure["value"],
                "unit": unit_of(figure["value"], shown_as, entry.count_unit),
                "url": figure["url"],
                "definition": figure["definition"],
            }
        )
    return {"year": figures["year"], "tiles": tiles, "figures": figures}


def status_context(request) -> dict | None:
    """Only while something is not current: changes not yet counted, a run queued, a unit failing,
    or no snapshot at all."""
    status = selectors.snapshot_status()
    if status["version"] is not None and not (status["stale"] or status["failing"]):
        return None
    return {"status": status}


register(
    HomeCard(
        "statistics",
        _("年度统计"),
        "dashboards/home/figures.html",
        order=20,
        context=figures_context,
        visible=can_register_records,
        section="figures",
    ),
    HomeCard(
        "statistics_status",
        _("统计数据待更新"),
        "dashboards/home/status.html",
        order=30,
        context=status_context,
        visible=is_staff,
        section="review",
    ),
)

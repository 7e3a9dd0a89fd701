"""Statistics API, mounted at ``/api/v1/stats/`` inside the ``api`` namespace.

The figure endpoints also answer with a format suffix (``summary.csv``); the directory does not
(it is JSON only)."""

from django.urls import path
from rest_framework.urlpatterns import format_suffix_patterns

from core.registry import ApiRoute, register

from . import views

urlpatterns = [
    path("", views.StatsRootView.as_view(), name="stats-root"),
    *format_suffix_patterns(
        [
            path("summary/", views.SummaryView.as_view(), name="stats-summary"),
            path("breakdown/", views.BreakdownView.as_view(), name="stats-breakdown"),
            path("timeseries/", views.TimeseriesView.as_view(), name="stats-timeseries"),
        ],
        allowed=["json", "csv", "xlsx"],
    ),
]

# Included under /api/v1/stats/ by liaoning_tt.api_urls; the links are the API root's entries.
register(
    ApiRoute(
        "statistics",
        __name__,
        prefix="stats/",
        order=20,
        links=(("stats", "api:stats-root"), ("stats_summary", "api:stats-summary")),
    )
)

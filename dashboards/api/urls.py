"""Statistics API, mounted at ``/api/v1/stats/`` inside the ``api`` namespace.

The figure endpoints also answer with a format suffix (``summary.csv``); the directory does not
(it is JSON only)."""

from django.urls import path
from rest_framework.urlpatterns import format_suffix_patterns

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

"""Statistics API, mounted at ``/api/v1/stats/`` inside the ``api`` namespace."""

from django.urls import path
from rest_framework.urlpatterns import format_suffix_patterns

from . import views

urlpatterns = format_suffix_patterns(
    [
        path("", views.StatsRootView.as_view(), name="stats-root"),
        path("summary/", views.SummaryView.as_view(), name="stats-summary"),
        path("breakdown/", views.BreakdownView.as_view(), name="stats-breakdown"),
        path("timeseries/", views.TimeseriesView.as_view(), name="stats-timeseries"),
    ],
    allowed=["json", "csv", "xlsx"],
)

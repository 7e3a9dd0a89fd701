"""Routes of the base app: the region picker's search (``core.ui.pickers``)."""

from django.urls import path

from core.ui import pickers

app_name = "core"

urlpatterns = [
    path("regions/search/", pickers.RegionSearchView.as_view(), name="region_search"),
]

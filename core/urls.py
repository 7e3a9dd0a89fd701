"""Routes of the base app: the region picker's search (``core.ui.pickers``) and the help pages
(``core.ui.help``)."""

from django.urls import path

from core.ui import help as help_pages
from core.ui import pickers

app_name = "core"

urlpatterns = [
    path("regions/search/", pickers.RegionSearchView.as_view(), name="region_search"),
    path("help/", help_pages.HelpIndexView.as_view(), name="help_index"),
    path("help/<slug:name>/", help_pages.HelpTopicView.as_view(), name="help_topic"),
]

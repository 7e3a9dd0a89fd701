from django.urls import path
from rest_framework.routers import SimpleRouter

from core.registry import ApiRoute, register

from . import views

router = SimpleRouter()
router.register("pilot-bases", views.PilotBaseViewSet, basename="pilotbase")

urlpatterns = [
    *router.urls,
    path("stats/pilots/", views.PilotStatsView.as_view(), name="stats-pilots"),
]

# Included under /api/v1/ by liaoning_tt.api_urls; the links are the API root's entries.
register(
    ApiRoute(
        "pilots",
        __name__,
        order=30,
        links=(("pilot_bases", "api:pilotbase-list"), ("stats_pilots", "api:stats-pilots")),
    )
)

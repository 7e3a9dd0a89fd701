from rest_framework.routers import SimpleRouter

from core.registry import ApiRoute, register

from . import views

router = SimpleRouter()
router.register("units", views.UnitViewSet)
router.register("achievements", views.AchievementViewSet)
router.register("transferees", views.TransfereeViewSet)
router.register("transformations", views.TransformationViewSet)

urlpatterns = router.urls

# Included under /api/v1/ by liaoning_tt.api_urls; the links are the API root's entries.
register(
    ApiRoute(
        "achievements",
        __name__,
        order=10,
        links=(
            ("units", "api:unit-list"),
            ("achievements", "api:achievement-list"),
            ("transferees", "api:transferee-list"),
            ("transformations", "api:transformation-list"),
        ),
    )
)

from rest_framework.routers import SimpleRouter

from core.registry import ApiRoute, register

from . import views

router = SimpleRouter()
router.register("awards", views.AwardViewSet, basename="incentive-award")
router.register("use-before-transfer", views.PublicListingViewSet, basename="use-before-transfer")

urlpatterns = router.urls

# Included under /api/v1/incentives/ by liaoning_tt.api_urls; the links are the API root's entries.
register(
    ApiRoute(
        "incentives",
        __name__,
        prefix="incentives/",
        order=40,
        links=(
            ("incentive_awards", "api:incentive-award-list"),
            ("use_before_transfer", "api:use-before-transfer-list"),
        ),
    )
)

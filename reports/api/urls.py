from rest_framework.routers import SimpleRouter

from core.registry import ApiRoute, register

from . import views

router = SimpleRouter()
router.register("reports", views.AnnualReportViewSet, basename="annualreport")
urlpatterns = router.urls

register(ApiRoute("reports", __name__, order=35, links=(("reports", "api:annualreport-list"),)))

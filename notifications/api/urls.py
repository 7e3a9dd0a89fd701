from rest_framework.routers import SimpleRouter

from core.registry import ApiRoute, register

from . import views

router = SimpleRouter()
router.register("notifications", views.NotificationViewSet, basename="notification")
urlpatterns = router.urls

register(ApiRoute("notifications", __name__, order=40, links=(("notifications", "api:notification-list"),)))

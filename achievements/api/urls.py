from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("units", views.UnitViewSet)
router.register("achievements", views.AchievementViewSet)
router.register("transferees", views.TransfereeViewSet)
router.register("transformations", views.TransformationViewSet)

urlpatterns = router.urls

from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("", views.NotificationList.as_view(), name="list"),
    path("read-all/", views.NotificationMarkAllRead.as_view(), name="read_all"),
    path("preferences/", views.EmailPreferences.as_view(), name="preferences"),
    path("<int:pk>/read/", views.NotificationMarkRead.as_view(), name="read"),
]

from django.urls import path

from . import views

app_name = "achievements"

urlpatterns = [
    path("achievements/", views.achievement_list, name="achievement_list"),
    path("achievements/new/", views.achievement_create, name="achievement_create"),
    path("achievements/<int:pk>/", views.achievement_detail, name="achievement_detail"),
    path("achievements/<int:pk>/edit/", views.achievement_edit, name="achievement_edit"),
    path("achievements/<int:pk>/withdraw/", views.achievement_withdraw, name="achievement_withdraw"),
    path("achievements/<int:pk>/restore/", views.achievement_restore, name="achievement_restore"),
    path("achievements/<int:pk>/convertible/", views.achievement_convertible, name="achievement_convertible"),
    path("achievements/<int:pk>/merge/", views.achievement_merge, name="achievement_merge"),
    path("achievements/<int:pk>/contracts/new/", views.transformation_create, name="transformation_create"),
    path("contracts/", views.transformation_list, name="transformation_list"),
    path("contracts/<int:pk>/", views.transformation_detail, name="transformation_detail"),
    path("contracts/<int:pk>/edit/", views.transformation_edit, name="transformation_edit"),
    path("contracts/<int:pk>/cancel/", views.transformation_cancel, name="transformation_cancel"),
]

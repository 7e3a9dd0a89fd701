from django.urls import path

from . import views

app_name = "achievements"

urlpatterns = [
    path("achievements/", views.AchievementListView.as_view(), name="achievement_list"),
    path("achievements/new/", views.AchievementEditView.as_view(creates=True), name="achievement_create"),
    path("achievements/<int:pk>/", views.AchievementDetailView.as_view(), name="achievement_detail"),
    path("achievements/<int:pk>/edit/", views.AchievementEditView.as_view(), name="achievement_edit"),
    path(
        "achievements/<int:pk>/withdraw/",
        views.AchievementWithdrawView.as_view(),
        name="achievement_withdraw",
    ),
    path(
        "achievements/<int:pk>/restore/", views.AchievementRestoreView.as_view(), name="achievement_restore"
    ),
    path(
        "achievements/<int:pk>/convertible/",
        views.AchievementConvertibleView.as_view(),
        name="achievement_convertible",
    ),
    path("achievements/<int:pk>/merge/", views.AchievementMergeView.as_view(), name="achievement_merge"),
    path(
        "achievements/<int:pk>/contracts/new/",
        views.TransformationEditView.as_view(creates=True),
        name="transformation_create",
    ),
    path("contracts/", views.TransformationListView.as_view(), name="transformation_list"),
    path("transferees/search/", views.TransfereeSearchView.as_view(), name="transferee_search"),
    path(
        "contracts/export.xlsx",
        views.TransformationListView.as_view(export_format="xlsx"),
        name="transformation_export_xlsx",
    ),
    path(
        "contracts/export.csv",
        views.TransformationListView.as_view(export_format="csv"),
        name="transformation_export_csv",
    ),
    path("contracts/<int:pk>/", views.TransformationDetailView.as_view(), name="transformation_detail"),
    path("contracts/<int:pk>/edit/", views.TransformationEditView.as_view(), name="transformation_edit"),
    path(
        "contracts/<int:pk>/cancel/", views.TransformationCancelView.as_view(), name="transformation_cancel"
    ),
]

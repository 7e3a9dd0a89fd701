from django.urls import path

from . import views

app_name = "incentives"

urlpatterns = [
    path("rules/", views.RuleList.as_view(), name="rule_list"),
    path("rules/new/", views.RuleCreate.as_view(), name="rule_create"),
    path("rules/<int:pk>/", views.RuleDetail.as_view(), name="rule_detail"),
    path("rules/<int:pk>/status/", views.RuleSetStatus.as_view(), name="rule_status"),
    path("rules/<int:pk>/preview/", views.RulePreview.as_view(), name="rule_preview"),
    path("rules/<int:pk>/parameters/", views.ParameterAdd.as_view(), name="parameter_add"),
    path("rules/<int:pk>/evaluate/", views.Evaluate.as_view(), name="rule_evaluate"),
    path("evaluate/", views.Evaluate.as_view(), name="evaluate"),
    path("awards/", views.AwardList.as_view(), name="award_list"),
    path("awards/export.xlsx", views.AwardList.as_view(export_format="xlsx"), name="award_export_xlsx"),
    path("awards/export.csv", views.AwardList.as_view(export_format="csv"), name="award_export_csv"),
    path("awards/decide/", views.AwardDecide.as_view(), name="award_decide"),
    path("awards/paid-import/", views.PaidImport.as_view(), name="paid_import"),
    path("awards/<int:pk>/", views.AwardDetail.as_view(), name="award_detail"),
    path("awards/<int:pk>/paid/", views.AwardPaid.as_view(), name="award_paid"),
    path("beneficiaries/<str:kind>/<str:code>/", views.BeneficiaryAwards.as_view(), name="beneficiary"),
    path("use-before-transfer/", views.ListingList.as_view(), name="listing_list"),
    path("use-before-transfer/export.xlsx", views.ListingList.as_view(export_format="xlsx"), name="listing_export_xlsx"),
    path("use-before-transfer/<int:pk>/", views.ListingDetail.as_view(), name="listing_detail"),
    path("use-before-transfer/<int:pk>/justify/", views.ListingJustify.as_view(), name="listing_justify"),
    path("use-before-transfer/<int:pk>/decide/", views.ListingDecide.as_view(), name="listing_decide"),
    path("public/use-before-transfer/", views.PublicListing.as_view(), name="public_list"),
    path("public/use-before-transfer/export.xlsx", views.PublicListing.as_view(export_format="xlsx"), name="public_export_xlsx"),
    path("public/use-before-transfer/export.csv", views.PublicListing.as_view(export_format="csv"), name="public_export_csv"),
]

from django.urls import path

from . import views

app_name = "pilots"

urlpatterns = [
    path("pilots/", views.BaseList.as_view(), name="base_list"),
    path("pilots/export.xlsx", views.BaseList.as_view(export_format="xlsx"), name="base_export_xlsx"),
    path("pilots/export.csv", views.BaseList.as_view(export_format="csv"), name="base_export_csv"),
    path("pilots/new/", views.BaseEdit.as_view(creates=True), name="base_create"),
    path("pilots/<int:pk>/", views.BaseDetail.as_view(), name="base_detail"),
    path("pilots/<int:pk>/edit/", views.BaseEdit.as_view(), name="base_edit"),
    path("pilots/<int:pk>/status/", views.BaseStatusChange.as_view(), name="base_status"),
    path("pilots/<int:pk>/funds/", views.BaseFundRecord.as_view(), name="base_fund"),
    path("pilots/<int:pk>/rating/", views.BaseRatingRecord.as_view(), name="base_rating"),
    path("pilots/<int:pk>/reports/new/", views.ReportEdit.as_view(creates=True), name="report_create"),
    path("pilots/reports/", views.ReportList.as_view(), name="report_list"),
    path("pilots/reports/<int:pk>/", views.ReportDetail.as_view(), name="report_detail"),
    path("pilots/reports/<int:pk>/edit/", views.ReportEdit.as_view(), name="report_edit"),
    path("pilots/reports/<int:pk>/submit/", views.ReportSubmit.as_view(), name="report_submit"),
    path("pilots/reports/<int:pk>/resubmit/", views.ReportResubmit.as_view(), name="report_resubmit"),
    path("pilots/reports/<int:pk>/return/", views.ReportReturn.as_view(), name="report_return_for_changes"),
    path("pilots/reports/<int:pk>/accept/", views.ReportAccept.as_view(), name="report_accept"),
    path("pilots/reports/<int:pk>/revise/", views.ReportRevise.as_view(), name="report_revise"),
    path("pilots/reports/<int:pk>/revisions/", views.ReportRevisions.as_view(), name="report_revisions"),
    path("pilots/reports/<int:pk>/diff/", views.ReportDiff.as_view(), name="report_diff"),
    path("pilots/evaluations/", views.EvaluationList.as_view(), name="evaluation_list"),
    path("pilots/evaluations/<int:pk>/", views.EvaluationDetail.as_view(), name="evaluation_detail"),
    path("pilots/rubrics/", views.RubricForYear.as_view(), name="rubric_for_year"),
    path("pilots/rubrics/<int:pk>/", views.RubricDetail.as_view(), name="rubric_detail"),
    path("pilots/rubrics/<int:pk>/edit/", views.RubricEdit.as_view(), name="rubric_edit"),
    path("pilots/rubrics/indicators/<int:pk>/", views.IndicatorEdit.as_view(), name="indicator_edit"),
    path("pilots/requests/", views.RequestList.as_view(), name="request_list"),
    path("pilots/requests/open/", views.RequestQueue.as_view(), name="request_queue"),
    path("pilots/requests/new/", views.RequestCreate.as_view(), name="request_create"),
    path("pilots/requests/<int:pk>/", views.RequestDetail.as_view(), name="request_detail"),
    path("pilots/requests/<int:pk>/send/", views.RequestAct.as_view(step="send"), name="request_send"),
    path("pilots/requests/<int:pk>/accept/", views.RequestAct.as_view(step="accept"), name="request_accept"),
    path("pilots/requests/<int:pk>/cancel/", views.RequestAct.as_view(step="cancel"), name="request_cancel"),
    path(
        "pilots/requests/<int:pk>/decline/", views.RequestStep.as_view(step="decline"), name="request_decline"
    ),
    path("pilots/requests/<int:pk>/start/", views.RequestStep.as_view(step="start"), name="request_start"),
    path(
        "pilots/requests/<int:pk>/complete/",
        views.RequestStep.as_view(step="complete"),
        name="request_complete",
    ),
]

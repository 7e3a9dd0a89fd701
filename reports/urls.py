from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.ReportList.as_view(), name="report_list"),
    path("cycles/", views.CycleList.as_view(), name="cycle_list"),
    path("cycles/<int:year>/", views.CycleDetail.as_view(), name="cycle_detail"),
    path("cycles/<int:year>/remind/", views.CycleRemind.as_view(), name="cycle_remind"),
    path("cycles/<int:year>/export.xlsx", views.CycleExport.as_view(), name="cycle_export"),
    path("<int:pk>/", views.ReportDetail.as_view(), name="report_detail"),
    path("<int:pk>/edit/", views.ReportEdit.as_view(), name="report_edit"),
    path("<int:pk>/refresh/", views.ReportRefresh.as_view(), name="report_refresh"),
    path("<int:pk>/print/", views.ReportPrint.as_view(), name="report_print"),
    path("<int:pk>/export.xlsx", views.ReportXlsx.as_view(), name="report_xlsx"),
    path("<int:pk>/submit/", views.ReportSubmit.as_view(), name="report_submit"),
    path("<int:pk>/resubmit/", views.ReportResubmit.as_view(), name="report_resubmit"),
    path("<int:pk>/return/", views.ReportReturn.as_view(), name="report_return_for_changes"),
    path("<int:pk>/accept/", views.ReportAccept.as_view(), name="report_accept"),
    path("<int:pk>/revise/", views.ReportRevise.as_view(), name="report_revise"),
    path("<int:pk>/revisions/", views.ReportRevisions.as_view(), name="report_revisions"),
    path("<int:pk>/diff/", views.ReportDiff.as_view(), name="report_diff"),
]

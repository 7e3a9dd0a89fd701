from django.urls import path

from . import views

app_name = "exchange"

urlpatterns = [
    path("import/", views.import_upload, name="import_upload"),
    path("import/<int:pk>/", views.import_job, name="import_job"),
    path("import/<int:pk>/status/", views.import_job_status, name="import_job_status"),
    path("import/<int:pk>/confirm/", views.import_job_confirm, name="import_job_confirm"),
    path("template/<str:style>.xlsx", views.template_download, name="template"),
    path("export.xlsx", views.export_xlsx, name="export_xlsx"),
    path("export-csv.zip", views.export_csv, name="export_csv"),
]

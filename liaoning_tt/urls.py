from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from django.utils.translation import gettext_lazy as _

from core.api import views as core_api_views
from core.health import healthz

admin.site.site_header = _("辽宁省可转化科技成果库 · 管理后台")
admin.site.site_title = _("辽宁省可转化科技成果库")
admin.site.index_title = _("数据管理")

urlpatterns = [
    path("", include("home.urls")),
    path("healthz/", healthz, name="healthz"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/", include("accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("exchange/", include("exchange.urls")),
    path("notifications/", include("notifications.urls")),
    path("api/v1/", include("liaoning_tt.api_urls")),
    re_path(r"^api/", core_api_views.not_found),  # unrouted API paths: JSON 404
    path("dashboard/", include("dashboards.urls")),
    path("reports/", include("reports.urls")),
    path("incentives/", include("incentives.urls")),
    path("", include("core.urls")),  # the region picker's search
    path("", include("achievements.urls")),
    path("", include("pilots.urls")),
]

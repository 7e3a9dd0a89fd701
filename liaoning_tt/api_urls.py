"""REST API v1, mounted at ``/api/v1/`` in the ``api`` namespace.

Each app contributes its router's URLs here; the schema and its two viewers are served from the
app's own static files (drf-spectacular-sidecar), never from a CDN.
"""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from core.api.views import APIRootView

app_name = "api"

urlpatterns = [
    path("", APIRootView.as_view(), name="root"),
    path("", include("achievements.api.urls")),
    path("stats/", include("dashboards.api.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
]

"""REST API v1, mounted at ``/api/v1/`` in the ``api`` namespace.

Each app registers its API URL module (``core.registry.ApiRoute``, in ``<app>/api/urls.py``) and
every registered route is included here, in order; the schema and its two viewers are served from the
app's own static files (drf-spectacular-sidecar), never from a CDN.

Both viewers run under the site's Content-Security-Policy: Swagger UI in its "split" form (its
start-up script is a separate same-origin URL, ``?script``), Redoc from a template without inline
script or web fonts. Each widens the policy for its own page only: style-src 'unsafe-inline' (both
inject <style> elements and style attributes), and for Redoc worker-src blob: (its search index
runs in a worker built from a blob).
"""

from csp.decorators import csp_update
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from core.api.views import APIRootView
from core.registry import api_routes

app_name = "api"

_docs_csp = csp_update({"style-src": ["'unsafe-inline'"]})
_redoc_csp = csp_update({"style-src": ["'unsafe-inline'"], "worker-src": ["'self'", "blob:"]})

urlpatterns = [
    path("", APIRootView.as_view(), name="root"),
    *(path(route.prefix, include(route.urlconf)) for route in api_routes()),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", _docs_csp(SpectacularSwaggerSplitView.as_view(url_name="api:schema")), name="docs"),
    path("redoc/", _redoc_csp(SpectacularRedocView.as_view(url_name="api:schema")), name="redoc"),
]

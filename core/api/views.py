from django.urls import NoReverseMatch, reverse
from rest_framework import permissions
from rest_framework.response import Response
from rest_framework.views import APIView

# (name in the answer, URL name in the ``api`` namespace); names that do not resolve are left out,
# so an app's endpoints appear here as soon as its URLs are included in ``liaoning_tt.api_urls``.
ROOT_ENDPOINTS = [
    ("units", "api:unit-list"),
    ("achievements", "api:achievement-list"),
    ("transferees", "api:transferee-list"),
    ("transformations", "api:transformation-list"),
    ("stats", "api:stats-root"),
    ("stats_summary", "api:stats-summary"),
    ("schema", "api:schema"),
    ("docs", "api:docs"),
    ("redoc", "api:redoc"),
]


class APIRootView(APIView):
    """The REST API v1: links to every endpoint."""

    schema = None  # not an operation of the API
    permission_classes = [permissions.AllowAny]

    def get(self, request, *args, **kwargs):
        links = {}
        for name, url_name in ROOT_ENDPOINTS:
            try:
                links[name] = request.build_absolute_uri(reverse(url_name))
            except NoReverseMatch:
                continue
        return Response(links)

from django.http import HttpResponsePermanentRedirect
from django.urls import NoReverseMatch, Resolver404, resolve, reverse
from django.utils.translation import gettext_lazy as _
from rest_framework import permissions, status
from rest_framework.decorators import api_view, authentication_classes, permission_classes, schema
from rest_framework.response import Response
from rest_framework.views import APIView

from core.registry import api_routes

# The API root lists each registered app's links (``core.registry.ApiRoute.links``: name in the
# answer, URL name in the ``api`` namespace), then the documents; names that do not resolve are left out.
DOCUMENT_LINKS = [("schema", "api:schema"), ("docs", "api:docs"), ("redoc", "api:redoc")]


def root_endpoints() -> list[tuple[str, str]]:
    return [link for route in api_routes() for link in route.links] + DOCUMENT_LINKS


class APIRootView(APIView):
    """The REST API v1: links to every endpoint."""

    schema = None  # not an operation of the API
    permission_classes = [permissions.AllowAny]

    def get(self, request, *args, **kwargs):
        links = {}
        for name, url_name in root_endpoints():
            try:
                links[name] = request.build_absolute_uri(reverse(url_name))
            except NoReverseMatch:
                continue
        return Response(links)


@api_view(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
@authentication_classes([])
@permission_classes([permissions.AllowAny])
@schema(None)
def not_found(request, *args, **kwargs):
    """Any path under ``/api/`` that no endpoint serves: a JSON 404 (not the site's HTML page).

    Like Django's ``APPEND_SLASH``, a GET of an endpoint's URL without its final slash is redirected."""
    path = request.path_info
    if request.method in ("GET", "HEAD") and not path.endswith("/"):
        match = _resolve(path + "/")
        if match is not None and match.func is not not_found:
            query = request.META.get("QUERY_STRING", "")
            return HttpResponsePermanentRedirect(request.path + "/" + (f"?{query}" if query else ""))
    return Response(
        {"detail": str(_("未找到该接口：%(path)s。接口目录见 /api/v1/。") % {"path": path})},
        status=status.HTTP_404_NOT_FOUND,
    )


def _resolve(path: str):
    try:
        return resolve(path)
    except Resolver404:
        return None

"""The OpenAPI 3 schema and its viewers."""

import io

import pytest
import yaml
from django.core.management import call_command
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

REGISTRY_PATHS = (
    "/api/v1/units/",
    "/api/v1/achievements/",
    "/api/v1/transferees/",
    "/api/v1/transformations/",
)


@pytest.fixture(scope="module")
def schema(django_db_setup, django_db_blocker):
    out = io.StringIO()
    with django_db_blocker.unblock():
        # --fail-on-warn turns every generator warning (and --validate every schema error) into a failure.
        call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
    return yaml.safe_load(out.getvalue())


def registry_operations(schema):
    for path, item in schema["paths"].items():
        if path.startswith(REGISTRY_PATHS):
            for method, operation in item.items():
                if method in ("get", "post", "put", "patch", "delete"):
                    yield path, method, operation


def test_schema_generates_and_validates_without_warnings(schema):
    assert schema["openapi"].startswith("3.")


def test_every_registry_endpoint_is_present_without_delete(schema):
    for base in REGISTRY_PATHS:
        assert set(schema["paths"][base]) >= {"get", "post"}
        assert set(schema["paths"][base + "{id}/"]) >= {"get", "put", "patch"}
        assert "delete" not in schema["paths"][base + "{id}/"]
    assert "post" in schema["paths"]["/api/v1/achievements/{id}/withdraw/"]
    assert "post" in schema["paths"]["/api/v1/transformations/{id}/cancel/"]


def test_token_scheme_is_described_and_required(schema):
    token = schema["components"]["securitySchemes"]["tokenAuth"]
    assert (token["type"], token["in"], token["name"]) == ("apiKey", "header", "Authorization")
    for _, _, operation in registry_operations(schema):
        assert {"tokenAuth": []} in operation["security"]


def test_every_registry_operation_has_examples_and_error_answers(schema):
    for path, method, operation in registry_operations(schema):
        success = operation["responses"].get("201") or operation["responses"]["200"]
        assert success["content"]["application/json"].get("examples"), (path, method)
        if method != "get":
            assert operation["requestBody"]["content"]["application/json"].get("examples"), (path, method)
        assert {"401", "403"} <= set(operation["responses"]), (path, method)
        if "{id}" in path:
            assert "404" in operation["responses"], (path, method)
        versioned = "achievements" in path or "transformations" in path
        if method in ("put", "patch") and versioned:
            assert "409" in operation["responses"], (path, method)
        if path.startswith(("/api/v1/units/", "/api/v1/transferees/")):
            assert "409" not in operation["responses"], (path, method)


def test_list_is_paginated_with_filters_and_ordering(schema):
    parameters = {p["name"] for p in schema["paths"]["/api/v1/transformations/"]["get"]["parameters"]}
    assert {"page", "page_size", "ordering", "signed_year", "local", "unit", "mode"} <= parameters


def test_schema_endpoint_serves_openapi_json():
    response = APIClient().get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert response.json()["info"]["title"]


@pytest.mark.parametrize("url", ["/api/v1/docs/", "/api/v1/redoc/"])
def test_viewers_load_their_assets_from_our_static_files(settings, url):
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    response = APIClient().get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/" in html
    assert "cdn." not in html and "unpkg" not in html


def test_title_is_chinese_and_each_path_appears_once(schema):
    assert schema["info"]["title"] == "辽宁省可转化科技成果库 API"
    paths = list(schema["paths"])
    assert not [p for p in paths if "{format}" in p]
    # the format-suffix twins are gone, the plain paths stay
    for name in ("summary", "breakdown", "timeseries"):
        assert f"/api/v1/stats/{name}/" in paths


def test_format_suffix_hook_keeps_only_plain_paths():
    from core.api.schema import drop_format_suffix_paths

    endpoints = [
        ("/api/v1/stats/summary/", "^summary/$", "GET", None),
        ("/api/v1/stats/summary{format}", "^summary\\.(?P<format>[a-z0-9]+)/?$", "GET", None),
        ("/api/v1/stats/summary.{format}", "x", "GET", None),
    ]
    assert [e[0] for e in drop_format_suffix_paths(endpoints)] == ["/api/v1/stats/summary/"]

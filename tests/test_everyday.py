"""Everyday details: the language picker names each language in itself, the API speaks the active
language (Chinese by default) in its error details, and the token command prints in the active
language with local time."""

import datetime
import io
import re

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone, translation
from rest_framework.test import APIClient

from accounts.services import api_token_create
from core.api.testing import fast_password_hashing  # noqa: F401  (autouse fixture)

from .test_i18n import english_catalogue_compiled  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def language_options(html: str) -> dict[str, str]:
    select = re.search(r'<select name="language".*?</select>', html, re.S).group(0)
    return dict(re.findall(r'<option value="([^"]+)"[^>]*>([^<]+)</option>', select))


def test_the_language_picker_names_each_language_in_itself(client, english_catalogue_compiled):  # noqa: F811
    assert language_options(client.get("/accounts/login/").content.decode()) == {
        "zh-hans": "简体中文",
        "en": "English",
    }
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = client.get("/accounts/login/").content.decode()
    assert 'lang="en"' in html
    assert language_options(html) == {"zh-hans": "简体中文", "en": "English"}
    translation.activate(settings.LANGUAGE_CODE)


def token_client(user, **headers) -> APIClient:
    _, key = api_token_create(user=user, name="t", description="", read_only=True, expires_at=None)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}", **headers)
    return api


def test_api_not_found_detail_is_chinese_by_default(staff_user):
    response = token_client(staff_user).get("/api/v1/achievements/999999/")
    assert response.status_code == 404
    assert response.json()["detail"] == "未找到。"


def test_api_not_found_detail_is_english_when_asked(staff_user, english_catalogue_compiled):  # noqa: F811
    response = token_client(staff_user, HTTP_ACCEPT_LANGUAGE="en").get("/api/v1/achievements/999999/")
    assert response.status_code == 404
    assert response.json()["detail"] == "Not found."
    translation.activate(settings.LANGUAGE_CODE)


def test_api_method_not_allowed_detail_is_chinese(staff_user):
    response = token_client(staff_user).delete("/api/v1/achievements/999999/")
    assert response.status_code in (403, 404, 405)
    assert re.search(r"[\u4e00-\u9fff]", response.json()["detail"])

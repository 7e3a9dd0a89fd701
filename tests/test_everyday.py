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


# --- create_api_token speaks the active language, with local time ---------------------------------


def run_token_command(*args, env_language=None, monkeypatch=None):
    if monkeypatch is not None:
        if env_language is None:
            monkeypatch.delenv("LANGUAGE", raising=False)
        else:
            monkeypatch.setenv("LANGUAGE", env_language)
    out, err = io.StringIO(), io.StringIO()
    call_command("create_api_token", "staff", *args, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue()


def test_token_command_prints_chinese_and_local_time_by_default(staff_user, monkeypatch):
    key, err = run_token_command("--expires-days", "30", "--read-only", monkeypatch=monkeypatch)
    from accounts.models import ApiToken

    token = ApiToken.objects.get()
    local = timezone.localtime(token.expires_at)
    assert str(local.utcoffset()) == "8:00:00"
    assert f"{local:%Y-%m-%d %H:%M} (Asia/Shanghai)" in err
    # the created time is local too, not UTC (they differ by 8 hours)
    created = timezone.localtime(token.created_at)
    assert f"{created:%Y-%m-%d %H:%M}" in err
    assert token.created_at.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M") not in err
    assert "签发令牌" in err and "只读" in err
    assert key not in err


@pytest.mark.parametrize(
    ("args", "env_language"),
    [(("--language", "en"), None), ((), "en_US:en"), (("--language", "en"), "zh_CN")],
)
def test_token_command_respects_language_option_and_environment(
    staff_user,
    monkeypatch,
    args,
    env_language,
    english_catalogue_compiled,  # noqa: F811
):
    from django.utils.translation import gettext

    active = []
    original = gettext

    def spy(message):
        active.append(translation.get_language())
        return original(message)

    monkeypatch.setattr("accounts.management.commands.create_api_token._", spy)
    _key, err = run_token_command(*args, env_language=env_language, monkeypatch=monkeypatch)
    assert active and set(active) == {"en"}
    with translation.override("en"):
        assert gettext("永不过期") in err
    translation.activate(settings.LANGUAGE_CODE)


def test_token_command_environment_chinese_and_unknown_language(staff_user, monkeypatch):
    _key, err = run_token_command(env_language="zh_CN.UTF-8", monkeypatch=monkeypatch)
    assert "永不过期" in err
    from django.core.management import CommandError

    with pytest.raises(CommandError):
        run_token_command("--language", "xx", monkeypatch=monkeypatch)


# --- README ----------------------------------------------------------------------------------------


def test_readme_names_host_port_and_every_demo_login_make_run_prints():
    from achievements.demo.services import DEMO_LOGINS

    readme = (settings.BASE_DIR / "README.md").read_text(encoding="utf-8")
    assert "`HOST`" in readme and "`PORT`" in readme
    table = readme.split("prints three demo logins", 1)[1].split("\n\n", 2)[1]
    rows = re.findall(r"^\| `(\w+)` \|", table, re.M)
    assert sorted(login.username for login in DEMO_LOGINS) == sorted(rows)
    assert "tokens and schedules" not in readme  # schedules are for superusers only

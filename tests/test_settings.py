"""Settings come from the environment with safe defaults; the UI is Chinese first, English on request."""

import json
import os
import re
import subprocess
import sys

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from liaoning_tt.celery import app as celery_app

from .processes import BASE_DIR

ENV_NAMES = ["DEBUG", "SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL", "ALLOWED_HOSTS"]


def _django_in_subprocess(code: str, **env_values: str) -> subprocess.CompletedProcess:
    """Run ``code`` after ``django.setup()`` in a fresh interpreter with only ``env_values`` of our settings."""
    env = {k: v for k, v in os.environ.items() if k not in ENV_NAMES}
    env.update(env_values, DJANGO_SETTINGS_MODULE="liaoning_tt.settings", PYTHONPATH=str(BASE_DIR))
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _settings_in_subprocess(**env_values: str) -> dict:
    code = (
        "import json; from django.conf import settings as s; print(json.dumps({"
        "'engine': s.DATABASES['default']['ENGINE'], 'name': str(s.DATABASES['default']['NAME']),"
        "'eager': s.CELERY_TASK_ALWAYS_EAGER, 'broker': s.CELERY_BROKER_URL, 'debug': s.DEBUG,"
        "'hosts': s.ALLOWED_HOSTS}))"
    )
    result = _django_in_subprocess(code, **env_values)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_debug_off_without_secret_key_refuses_to_start():
    result = _django_in_subprocess("", DEBUG="0")

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY must be set" in result.stderr


def test_debug_off_with_secret_key_starts():
    values = _settings_in_subprocess(
        DEBUG="0", SECRET_KEY="a-long-random-production-key", ALLOWED_HOSTS="a.example,b.example"
    )

    assert values["debug"] is False
    assert values["hosts"] == ["a.example", "b.example"]


def test_default_database_is_sqlite_in_the_project_folder():
    values = _settings_in_subprocess()

    assert values["engine"] == "django.db.backends.sqlite3"
    assert values["name"] == str(BASE_DIR / "db.sqlite3")


def test_database_url_switches_to_postgresql():
    values = _settings_in_subprocess(DATABASE_URL="postgres://someone:secret@db.internal:5433/registry")

    assert values["engine"] == "django.db.backends.postgresql"
    assert values["name"] == "registry"


def test_without_a_broker_tasks_run_eagerly():
    values = _settings_in_subprocess()

    assert values["broker"] == ""
    assert values["eager"] is True


def test_with_a_broker_tasks_are_queued():
    values = _settings_in_subprocess(CELERY_BROKER_URL="redis://127.0.0.1:6379/3")

    assert values["broker"] == "redis://127.0.0.1:6379/3"
    assert values["eager"] is False


def test_celery_app_follows_the_django_settings():
    assert celery_app.conf.task_always_eager is settings.CELERY_TASK_ALWAYS_EAGER
    assert celery_app.conf.task_always_eager is (not os.environ.get("CELERY_BROKER_URL"))
    assert celery_app.conf.beat_scheduler == "django_celery_beat.schedulers:DatabaseScheduler"


def test_time_zone_and_languages():
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert settings.USE_TZ is True
    assert settings.USE_I18N is True
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert [code for code, _ in settings.LANGUAGES] == ["zh-hans", "en"]


# --- the language of the pages


@pytest.fixture
def plain_static_storage(settings):
    """Templates use {% static %}; the manifest storage needs collectstatic, which a bare pytest run skips."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def _html_lang(response) -> str:
    match = re.search(r'<html lang="([^"]+)"', response.content.decode())
    assert match, "the page has no <html lang>"
    return match.group(1)


@pytest.mark.django_db
def test_pages_are_in_chinese_by_default(client, plain_static_storage):
    response = client.get(reverse("home"))

    assert response.status_code == 200
    assert _html_lang(response) == "zh-hans"
    assert "辽宁省可转化科技成果库" in response.content.decode()


@pytest.mark.django_db
def test_language_switch_serves_english(client, plain_static_storage):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"

    response = client.get(reverse("home"))

    assert _html_lang(response) == "en"
    with translation.override("en"):
        english_login = translation.gettext("登录")
    # only when the English catalogue has this message can the page show it
    if english_login != "登录":
        assert english_login in response.content.decode()


@pytest.mark.django_db
def test_language_cookie_alone_switches_back_to_chinese(client, plain_static_storage):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert _html_lang(client.get(reverse("home"))) == "en"

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    assert _html_lang(client.get(reverse("home"))) == "zh-hans"


@pytest.mark.django_db
def test_pages_open_in_chinese_even_for_an_english_browser(client):
    response = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert '<html lang="zh-hans">' in response.content.decode()


@pytest.mark.django_db
def test_the_language_switch_still_changes_pages_to_english(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    response = client.get("/accounts/login/")
    assert '<html lang="en">' in response.content.decode()


@pytest.mark.django_db
def test_postgresql_connections_carry_the_planner_settings():
    """No JIT compiling (docs/operations.md, DATABASE_PG_OPTIONS)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has no planner settings")
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('jit')")
        assert cursor.fetchone() == ("off",)

"""People see the site's own error pages (400, 403, 404, 500 and the CSRF failure), in the site's
layout and language, never Django's debug page or its English defaults."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from achievements.policies import MSG_MERGE

from .factories import AchievementFactory


@pytest.fixture(autouse=True)
def production_like(settings):
    """DEBUG off, as in production and ``make run``; templates' {% static %} without a manifest."""
    settings.DEBUG = False
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def _page(response) -> str:
    return response.content.decode()


def _assert_site_page(html: str, *, lang: str = "zh-hans") -> None:
    assert f'<html lang="{lang}">' in html
    assert 'class="site-header"' in html and 'class="site-footer"' in html
    assert "辽宁省可转化科技成果库" in html
    # not Django's debug page nor its bare English default
    assert "Traceback" not in html and "URLconf" not in html and "DEBUG = True" not in html
    assert "Not Found" not in html and "Server Error" not in html


@pytest.mark.django_db
def test_unit_user_sees_the_chinese_404_page_for_another_units_record(unit_client, unit_user, other_unit):
    foreign = AchievementFactory(unit=other_unit, title="他单位的保密成果标题")

    response = unit_client.get(reverse("achievements:achievement_detail", args=[foreign.pk]))

    assert response.status_code == 404
    assert [t.name for t in response.templates][0] == "404.html"
    html = _page(response)
    _assert_site_page(html)
    assert "页面不存在" in html
    assert 'data-status="404"' in html
    assert unit_user.username in html  # the layout's user box: the page is rendered with the request
    assert "他单位的保密成果标题" not in html and other_unit.name not in html


@pytest.mark.django_db
def test_unrouted_page_answers_the_chinese_404_page(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    _assert_site_page(_page(response))
    assert "页面不存在" in _page(response)


@pytest.mark.django_db
def test_404_page_follows_the_language_switch(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    response = client.get("/no-such-page/")

    assert response.status_code == 404
    html = _page(response)
    assert '<html lang="en">' in html
    assert 'class="site-header"' in html and 'data-status="404"' in html


@pytest.mark.django_db
def test_forbidden_act_shows_the_chinese_403_page_with_the_policy_message(unit_client, unit):
    own = AchievementFactory(unit=unit)

    response = unit_client.get(reverse("achievements:achievement_merge", args=[own.pk]))

    assert response.status_code == 403
    assert [t.name for t in response.templates][0] == "403.html"
    html = _page(response)
    _assert_site_page(html)
    assert "无权访问" in html
    assert str(MSG_MERGE) in html


@pytest.mark.django_db
def test_bad_host_shows_the_chinese_400_page(client):
    response = client.get("/", HTTP_HOST="attacker.example")

    assert response.status_code == 400
    assert [t.name for t in response.templates][0] == "400.html"
    html = _page(response)
    _assert_site_page(html)
    assert "请求无效" in html


@pytest.mark.django_db
def test_csrf_failure_shows_the_chinese_page(unit_user):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(unit_user)

    response = browser.post(reverse("achievements:achievement_create"), {"title": "x"})

    assert response.status_code == 403
    assert [t.name for t in response.templates][0] == "403_csrf.html"
    html = _page(response)
    _assert_site_page(html)
    assert "安全校验未通过" in html
    assert "CSRF verification failed" not in html


@pytest.mark.django_db
def test_a_failing_view_shows_the_chinese_500_page(client, settings):
    settings.ROOT_URLCONF = "tests.error_urls"
    client.raise_request_exception = False

    response = client.get("/test-failure/")

    assert response.status_code == 500
    html = _page(response)
    _assert_site_page(html)
    assert "服务器错误" in html
    assert "a failure inside a view" not in html
    assert "/static/css/site.css" in html


@pytest.mark.django_db
def test_500_page_renders_when_the_request_context_itself_fails(client, monkeypatch):
    """The layout's context processor fails (e.g. its cache or database is down): the 500 page needs none."""

    def broken(*args, **kwargs):
        raise RuntimeError("context processor failure")

    monkeypatch.setattr("core.context_processors.demo_data_present", broken)
    client.raise_request_exception = False

    response = client.get(reverse("home"))

    assert response.status_code == 500
    html = _page(response)
    _assert_site_page(html)
    assert "服务器错误" in html

"""Accounts and HTTP security: login lockout on every login form, staff unlock, password change and
reset by e-mail, Content-Security-Policy without inline scripts, HTTPS settings, check --deploy."""

import os
import re
import secrets
import subprocess
import sys
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core import mail
from django.test import Client, RequestFactory
from django.urls import reverse

from accounts.backends import client_ip
from accounts.models import LoginAttempt
from accounts.services import api_token_create

from .processes import BASE_DIR

PASSWORD = "pass-for-tests-1"
LOGIN_FORMS = ["/accounts/login/", "/admin/login/"]


@pytest.fixture(autouse=True)
def _small_lockout(settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = 0.25  # hours: 15 minutes


@pytest.fixture
def plain_static_storage(settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def _post_login(client, path, username, password, ip="10.0.0.1"):
    return client.post(path, {"username": username, "password": password}, REMOTE_ADDR=ip)


def _logged_in(client) -> bool:
    return "_auth_user_id" in client.session


# --- lockout -------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("path", LOGIN_FORMS)
def test_the_right_password_after_too_many_failures_is_refused_with_a_chinese_page(
    client, staff_user, path, plain_static_storage
):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = _post_login(client, path, "staff", "wrong-password")
        assert response.status_code == 200  # the form again, with its error
    assert _post_login(client, path, "staff", "wrong-password").status_code == 429  # the last failure locks
    assert not _logged_in(client)

    response = _post_login(client, path, "staff", PASSWORD)

    assert response.status_code == 429
    assert not _logged_in(client)
    html = response.content.decode()
    assert "登录已暂时锁定" in html
    assert "15 分钟后再试" in html
    assert 'class="site-header"' in html  # the site's layout, not a bare page


@pytest.mark.django_db
def test_below_the_limit_the_right_password_logs_in_and_clears_the_count(client, staff_user):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _post_login(client, "/accounts/login/", "staff", "wrong-password")

    response = _post_login(client, "/accounts/login/", "staff", PASSWORD)

    assert response.status_code == 302
    assert _logged_in(client)
    assert not AccessAttempt.objects.filter(username="staff").exists()


@pytest.mark.django_db
def test_lockout_is_per_username_and_address(staff_user, unit_user):
    attacker = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _post_login(attacker, "/accounts/login/", "staff", "wrong-password", ip="10.0.0.66")
    assert _post_login(attacker, "/accounts/login/", "staff", PASSWORD, ip="10.0.0.66").status_code == 429

    # the same user from another address, and another user from the attacker's address, still log in
    elsewhere = Client()
    assert _post_login(elsewhere, "/accounts/login/", "staff", PASSWORD, ip="10.0.0.7").status_code == 302
    neighbour = Client()
    assert _post_login(neighbour, "/accounts/login/", "unituser", PASSWORD, ip="10.0.0.66").status_code == 302


@pytest.mark.django_db
def test_the_lockout_ends_after_the_cool_off(client, staff_user):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _post_login(client, "/accounts/login/", "staff", "wrong-password")
    assert _post_login(client, "/accounts/login/", "staff", PASSWORD).status_code == 429

    AccessAttempt.objects.filter(username="staff").update(
        attempt_time=AccessAttempt.objects.get(username="staff").attempt_time - timedelta(minutes=16)
    )

    assert _post_login(client, "/accounts/login/", "staff", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_staff_see_the_lockouts_in_chinese_and_unlock_one(staff_user, unit_user, plain_static_storage):
    attacker = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _post_login(attacker, "/accounts/login/", "unituser", "wrong-password", ip="10.0.0.9")
    assert _post_login(attacker, "/accounts/login/", "unituser", PASSWORD, ip="10.0.0.9").status_code == 429

    staff = Client()
    staff.force_login(staff_user)  # a department staff member, not a superuser: the group grants it
    changelist = reverse("admin:accounts_loginattempt_changelist")
    page = staff.get(changelist).content.decode()
    assert "登录失败与锁定" in page
    assert "已锁定" in page
    assert "unituser" in page
    assert "解除所选账户的登录锁定" in page

    attempt = LoginAttempt.objects.get(username="unituser")
    response = staff.post(changelist, {"action": "unlock", "_selected_action": [attempt.pk]})

    assert response.status_code == 302
    assert not LoginAttempt.objects.exists()
    assert _post_login(attacker, "/accounts/login/", "unituser", PASSWORD, ip="10.0.0.9").status_code == 302


@pytest.mark.django_db
def test_unit_users_cannot_see_or_unlock_lockouts(unit_user):
    client = Client()
    client.force_login(unit_user)
    assert client.get(reverse("admin:accounts_loginattempt_changelist")).status_code == 302  # to admin login


@pytest.mark.django_db
def test_test_client_login_force_login_and_api_tokens_keep_working(staff_user):
    client = Client()
    assert client.login(username="staff", password=PASSWORD)  # authenticate() without a request
    assert not client.login(username="staff", password="wrong-password")

    # a locked-out password login does not stop the user's API token (a separate credential)
    attacker = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _post_login(attacker, "/accounts/login/", "staff", "wrong-password")
    _, key = api_token_create(user=staff_user, name="ci")
    response = Client().get("/api/v1/achievements/", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 200

    forced = Client()
    forced.force_login(staff_user)
    assert forced.get(reverse("achievements:achievement_list")).status_code == 200


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "1.1.1.1", "10.0.0.2"),  # no proxy trusted: a forged header is ignored
        (1, "1.1.1.1", "1.1.1.1"),
        (1, "6.6.6.6, 1.1.1.1", "1.1.1.1"),  # the client's own (forged) entry is on the left
        (2, "6.6.6.6, 1.1.1.1, 172.16.0.5", "1.1.1.1"),
        (2, "", "10.0.0.2"),
    ],
)
def test_client_address_counts_only_trusted_proxies(settings, proxies, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().post(
        "/accounts/login/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded
    )
    assert client_ip(request) == expected


# --- passwords -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_user_can_change_their_password_from_the_user_box(unit_client, unit_user, plain_static_storage):
    home = unit_client.get(reverse("home")).content.decode()
    assert reverse("password_change") in home

    page = unit_client.get(reverse("password_change"))
    assert page.status_code == 200
    assert "修改密码" in page.content.decode()

    response = unit_client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "Liaoning-new-2025",
            "new_password2": "Liaoning-new-2025",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("password_change_done")
    unit_user.refresh_from_db()
    assert unit_user.check_password("Liaoning-new-2025")
    assert "密码已修改" in unit_client.get(reverse("password_change_done")).content.decode()


@pytest.mark.django_db
def test_password_change_needs_a_login(client):
    response = client.get(reverse("password_change"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_password_reset_by_email(client, unit_user, plain_static_storage):
    unit_user.email = "tto@example.edu.cn"
    unit_user.save(update_fields=["email"])
    assert reverse("password_reset") in client.get(reverse("login")).content.decode()

    response = client.post(reverse("password_reset"), {"email": "tto@example.edu.cn"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["tto@example.edu.cn"]
    assert message.from_email == settings.DEFAULT_FROM_EMAIL
    assert "重置密码" in message.subject
    assert "unituser" in message.body
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/)", message.body).group(1)

    form = client.get(link, follow=True)
    assert "设置新密码" in form.content.decode()
    response = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "Liaoning-reset-2025", "new_password2": "Liaoning-reset-2025"},
    )
    assert response.status_code == 302
    unit_user.refresh_from_db()
    assert unit_user.check_password("Liaoning-reset-2025")
    assert "无效" in client.get(link, follow=True).content.decode()  # a link works once


@pytest.mark.django_db
def test_password_reset_for_an_unknown_address_sends_nothing_and_says_the_same(client, unit_user):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.cn"})
    assert response.status_code == 302
    assert response["Location"] == reverse("password_reset_done")
    assert mail.outbox == []


# --- Content-Security-Policy ---------------------------------------------------------------------

TEMPLATES_DIR = BASE_DIR / "templates"
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/(?:ld\+)?json\")[^>]*>", re.I)
# on*= handlers, and htmx's hx-on*= (code that htmx evaluates, refused by the policy too)
EVENT_HANDLER = re.compile(r"<[^>]*\s(?:on[a-z]+|hx-on[^\s=]*)\s*=", re.I)


def _csp(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {d.split()[0]: d.split()[1:] for d in (p.strip() for p in header.split(";")) if d}


def test_templates_carry_no_inline_script_event_handler_or_style():
    templates = sorted(TEMPLATES_DIR.rglob("*.html"))
    assert len(templates) > 20
    problems = []
    for path in templates:
        text = path.read_text(encoding="utf-8")
        name = path.relative_to(TEMPLATES_DIR)
        if INLINE_SCRIPT.search(text):
            problems.append(f"inline <script> in {name}")
        if EVENT_HANDLER.search(text):
            problems.append(f"inline event handler in {name}")
        if re.search(r"\sstyle=", text):
            problems.append(f"inline style attribute in {name}")
    assert problems == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    ["/", "/accounts/login/", "/achievements/", "/contracts/", "/dashboard/", "/exchange/import/", "/admin/"],
)
def test_pages_send_a_csp_without_inline_scripts(staff_client, url, plain_static_storage):
    response = staff_client.get(url)
    assert response.status_code == 200
    policy = _csp(response)
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]  # so no <style> element from the page itself
    assert policy["style-src-attr"] == ["'unsafe-inline'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    html = response.content.decode()
    if url != "/admin/":
        assert not INLINE_SCRIPT.search(html)
        assert not EVENT_HANDLER.search(html)


@pytest.mark.django_db
def test_dashboard_data_is_json_not_script(staff_client, plain_static_storage):
    html = staff_client.get("/dashboard/").content.decode()
    assert '<script id="dashboard-data" type="application/json">' in html


@pytest.mark.django_db
def test_api_docs_run_under_the_policy_with_only_inline_styles_allowed(staff_client):
    swagger = staff_client.get("/api/v1/docs/")
    assert swagger.status_code == 200
    html = swagger.content.decode()
    assert not INLINE_SCRIPT.search(html)
    policy = _csp(swagger)
    assert policy["script-src"] == ["'self'"]
    assert "'unsafe-inline'" in policy["style-src"]
    script_url = re.search(r'<script src="([^"]*\?script[^"]*)"', html).group(1).replace("&amp;", "&")
    script = staff_client.get(script_url)
    assert script.status_code == 200
    assert "SwaggerUIBundle" in script.content.decode()

    redoc = staff_client.get("/api/v1/redoc/")
    assert redoc.status_code == 200
    html = redoc.content.decode()
    assert not INLINE_SCRIPT.search(html)
    assert "fonts.googleapis.com" not in html
    policy = _csp(redoc)
    assert policy["script-src"] == ["'self'"]
    assert "blob:" in policy["worker-src"]


# --- HTTPS settings and check --deploy -------------------------------------------------------------

SECURITY_ENV = [
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_PROXY_SSL_HEADER",
    "EMAIL_URL",
    "EMAIL_BACKEND",
    "DEFAULT_FROM_EMAIL",
]
PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "registry.example.cn",
    "SECURE_SSL_REDIRECT": "1",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
    "SECURE_HSTS_PRELOAD": "1",
}


def _run(args: list[str], **env_values: str) -> subprocess.CompletedProcess:
    # The browser tests' harness variable (DJANGO_ALLOW_ASYNC_UNSAFE) is no setting of a deployment.
    ignored = {*SECURITY_ENV, "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {k: v for k, v in os.environ.items() if k not in ignored}
    env.update(env_values, DJANGO_SETTINGS_MODULE="liaoning_tt.settings", PYTHONPATH=str(BASE_DIR))
    return subprocess.run(
        [sys.executable, *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=180
    )


def _setting(names: str, **env_values: str) -> list[str]:
    code = f"import django; django.setup(); from django.conf import settings as s; [print(repr(getattr(s, n))) for n in {names.split()!r}]"
    result = _run(["-c", code], **env_values)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-len(names.split()) :]


def test_https_is_off_in_development_and_on_from_the_environment():
    names = (
        "SECURE_SSL_REDIRECT SECURE_HSTS_SECONDS SESSION_COOKIE_SECURE SECURE_PROXY_SSL_HEADER EMAIL_BACKEND"
    )
    assert _setting(names) == [
        "False",
        "0",
        "False",
        "None",
        "'django.core.mail.backends.console.EmailBackend'",
    ]
    assert _setting(names, **PRODUCTION_ENV) == [
        "True",
        "31536000",
        "True",
        "('HTTP_X_FORWARDED_PROTO', 'https')",
        "'django.core.mail.backends.console.EmailBackend'",
    ]
    assert _setting("SECURE_PROXY_SSL_HEADER", **PRODUCTION_ENV, SECURE_PROXY_SSL_HEADER="") == ["None"]


def test_mail_comes_from_email_url():
    values = _setting(
        "EMAIL_BACKEND EMAIL_HOST EMAIL_PORT EMAIL_USE_TLS DEFAULT_FROM_EMAIL",
        EMAIL_URL="smtp+tls://mailer:secret@smtp.example.cn:587",
        DEFAULT_FROM_EMAIL="registry@example.cn",
    )
    assert values == [
        "'django.core.mail.backends.smtp.EmailBackend'",
        "'smtp.example.cn'",
        "587",
        "True",
        "'registry@example.cn'",
    ]


def test_check_deploy_reports_nothing_with_the_production_settings():
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **PRODUCTION_ENV)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_would_report_https_left_off():
    env = {**PRODUCTION_ENV, "SECURE_SSL_REDIRECT": "0", "SECURE_HSTS_SECONDS": "0"}
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **env)

    assert result.returncode != 0
    assert "security.W004" in result.stderr + result.stdout
    assert "security.W008" in result.stderr + result.stdout


@pytest.mark.django_db
def test_ssl_redirect_spares_the_health_check(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 3600

    page = client.get("/accounts/login/")
    assert page.status_code == 301
    assert page["Location"] == "https://testserver/accounts/login/"
    assert client.get("/healthz/").status_code != 301  # docker's health check speaks plain HTTP
    secure = client.get("/accounts/login/", secure=True)
    assert secure["Strict-Transport-Security"] == "max-age=3600"

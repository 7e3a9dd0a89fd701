"""API tokens: stored as hashes only, read-only and expiring tokens, revocation, unit scoping,
the management command and the admin."""

import datetime
import hashlib
import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken
from accounts.services import api_token_create, api_token_revoke, user_create_unit_user
from core.api.testing import fast_password_hashing  # noqa: F401  (autouse fixture)

from .factories import AchievementFactory

pytestmark = pytest.mark.django_db

ACHIEVEMENTS = "/api/v1/achievements/"


def token_client(key: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api


def stored_values(token: ApiToken) -> list[str]:
    return [str(getattr(token, f.attname)) for f in ApiToken._meta.concrete_fields]


def test_only_the_sha256_hash_of_the_key_is_stored(staff_user):
    token, key = api_token_create(user=staff_user, name="省数据平台")
    token.refresh_from_db()
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key.startswith("lntt_") and len(key) >= 40
    assert token.key_prefix == key[:12]
    assert not any(key in value for value in stored_values(token))


def test_each_token_gets_a_different_key(staff_user):
    keys = {api_token_create(user=staff_user, name=f"c{i}")[1] for i in range(5)}
    assert len(keys) == 5


def test_valid_token_authenticates_and_records_use(staff_user):
    token, key = api_token_create(user=staff_user, name="客户端")
    assert token.last_used_at is None
    response = token_client(key).get(ACHIEVEMENTS)
    assert response.status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_last_use_is_written_at_most_once_a_minute(staff_user):
    token, key = api_token_create(user=staff_user, name="客户端")
    recent = timezone.now() - datetime.timedelta(seconds=30)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=recent)
    token_client(key).get(ACHIEVEMENTS)
    token.refresh_from_db()
    assert token.last_used_at == recent
    old = timezone.now() - datetime.timedelta(minutes=5)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=old)
    token_client(key).get(ACHIEVEMENTS)
    token.refresh_from_db()
    assert token.last_used_at > old


@pytest.mark.parametrize(
    "header",
    ["Token lntt_not-a-real-key", "Token", "Token two parts", "Token clé"],
)
def test_unknown_or_malformed_token_is_401(staff_user, header):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=header)
    response = api.get(ACHIEVEMENTS)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json()["detail"]


def test_anonymous_request_is_401_not_403():
    response = APIClient().get(ACHIEVEMENTS)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_expired_token_is_401(staff_user):
    _, key = api_token_create(
        user=staff_user, name="过期", expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    response = token_client(key).get(ACHIEVEMENTS)
    assert response.status_code == 401
    assert response.json()["detail"] == "令牌已过期。"


def test_token_with_future_expiry_works(staff_user):
    _, key = api_token_create(
        user=staff_user, name="未过期", expires_at=timezone.now() + datetime.timedelta(days=1)
    )
    assert token_client(key).get(ACHIEVEMENTS).status_code == 200


def test_revoked_token_is_401(staff_user):
    token, key = api_token_create(user=staff_user, name="吊销")
    assert token_client(key).get(ACHIEVEMENTS).status_code == 200
    api_token_revoke(token=token)
    response = token_client(key).get(ACHIEVEMENTS)
    assert response.status_code == 401
    assert response.json()["detail"] == "令牌已吊销。"
    assert ApiToken.objects.usable().filter(pk=token.pk).exists() is False


def test_token_of_deactivated_user_is_401(staff_user):
    _, key = api_token_create(user=staff_user, name="停用")
    staff_user.is_active = False
    staff_user.save()
    assert token_client(key).get(ACHIEVEMENTS).status_code == 401


def test_read_only_token_reads_but_cannot_write(staff_user, unit):
    achievement = AchievementFactory(unit=unit)
    _, key = api_token_create(user=staff_user, name="只读", read_only=True)
    api = token_client(key)
    assert api.get(ACHIEVEMENTS).status_code == 200
    url = f"{ACHIEVEMENTS}{achievement.pk}/"
    for response in (
        api.patch(url, {"title": "改", "version": achievement.version}, format="json"),
        api.post(ACHIEVEMENTS, {"ref": "X"}, format="json"),
        api.post(f"{url}withdraw/", {"withdrawn_on": "2024-01-01", "version": 1}, format="json"),
    ):
        assert response.status_code == 403
        assert response.json()["detail"] == "只读令牌只能查询数据，不能新增或修改。"
    achievement.refresh_from_db()
    assert achievement.version == 1


def test_read_write_token_writes_without_csrf(staff_user, unit):
    achievement = AchievementFactory(unit=unit)
    _, key = api_token_create(user=staff_user, name="读写")
    api = APIClient(enforce_csrf_checks=True)
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = api.patch(
        f"{ACHIEVEMENTS}{achievement.pk}/", {"title": "令牌修改", "version": 1}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert achievement.history.first().history_user == staff_user


def test_unit_users_token_sees_only_that_unit(unit, other_unit):
    user = user_create_unit_user(username="tt", password="pass-for-tests-1", unit=unit)
    mine, theirs = AchievementFactory(unit=unit), AchievementFactory(unit=other_unit)
    _, key = api_token_create(user=user, name="高校系统")
    api = token_client(key)
    ids = {row["id"] for row in api.get(ACHIEVEMENTS).json()["results"]}
    assert ids == {mine.pk}
    assert api.get(f"{ACHIEVEMENTS}{theirs.pk}/").status_code == 404
    assert api.get(f"{ACHIEVEMENTS}{mine.pk}/").status_code == 200


# --- management command ----------------------------------------------------------------------


def test_command_prints_the_key_once_and_stores_its_hash(staff_user):
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "create_api_token",
        "staff",
        "--read-only",
        "--expires-days",
        "30",
        "--name",
        "省平台",
        stdout=out,
        stderr=err,
    )
    key = out.getvalue().strip()
    token = ApiToken.objects.get()
    assert token.key_hash == ApiToken.hash_key(key)
    assert token.read_only is True
    assert token.name == "省平台"
    assert token.user == staff_user
    assert token.expires_at - token.created_at == pytest.approx(
        datetime.timedelta(days=30), abs=datetime.timedelta(minutes=1)
    )
    assert token.key_prefix in err.getvalue()
    assert key not in err.getvalue()
    assert token_client(key).get(ACHIEVEMENTS).status_code == 200


def test_command_defaults_to_read_write_without_expiry(unit_user):
    out = io.StringIO()
    call_command("create_api_token", "unituser", stdout=out, stderr=io.StringIO())
    token = ApiToken.objects.get()
    assert (token.read_only, token.expires_at, token.user) == (False, None, unit_user)


def test_command_refuses_unknown_user(db):
    with pytest.raises(CommandError):
        call_command("create_api_token", "nobody", stdout=io.StringIO(), stderr=io.StringIO())
    assert not ApiToken.objects.exists()


# --- admin -----------------------------------------------------------------------------------


def test_staff_issue_a_token_in_the_admin_and_see_the_key_once(staff_client, unit_user):
    response = staff_client.post(
        reverse("admin:accounts_apitoken_add"),
        {"user": unit_user.pk, "name": "大学系统", "description": "", "expires_at_0": "", "expires_at_1": ""},
    )
    assert response.status_code == 302
    token = ApiToken.objects.get()
    assert token.user == unit_user
    shown = re.findall(r"<code>(lntt_[^<]+)</code>", staff_client.get(response.url).content.decode())
    assert len(shown) == 1
    assert token.key_hash == ApiToken.hash_key(shown[0])
    # Shown once: the next page no longer carries it.
    change_page = staff_client.get(reverse("admin:accounts_apitoken_change", args=[token.pk]))
    assert shown[0] not in change_page.content.decode()
    assert token.key_prefix in change_page.content.decode()


def test_staff_revoke_tokens_in_the_admin(staff_client, staff_user):
    token, key = api_token_create(user=staff_user, name="待吊销")
    response = staff_client.post(
        reverse("admin:accounts_apitoken_changelist"),
        {"action": "revoke_tokens", "_selected_action": [token.pk]},
    )
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert token_client(key).get(ACHIEVEMENTS).status_code == 401


def test_token_list_request_costs_the_same_queries_whatever_the_page_size(
    staff_user, django_assert_num_queries
):
    for _ in range(12):
        AchievementFactory()
    _, key = api_token_create(user=staff_user, name="计数")
    api = token_client(key)
    api.get(ACHIEVEMENTS)  # first use writes last_used_at; later uses within a minute do not
    for page_size in (5, 10):
        # token + user, permissions (2), count, page
        with django_assert_num_queries(5):
            assert len(api.get(ACHIEVEMENTS, {"page_size": page_size}).json()["results"]) == page_size


def test_admin_token_list_renders(staff_client, staff_user):
    api_token_create(user=staff_user, name="列表中的令牌")
    response = staff_client.get(reverse("admin:accounts_apitoken_changelist"))
    assert response.status_code == 200
    assert "列表中的令牌" in response.content.decode()


def test_staff_cannot_issue_a_token_for_a_superuser(staff_client, django_user_model):
    root = django_user_model.objects.create_superuser(username="root", password="x" * 12)
    response = staff_client.post(
        reverse("admin:accounts_apitoken_add"),
        {"user": root.pk, "name": "越权", "description": "", "expires_at_0": "", "expires_at_1": ""},
    )
    assert response.status_code == 200  # the form is shown again with an error
    assert not ApiToken.objects.exists()

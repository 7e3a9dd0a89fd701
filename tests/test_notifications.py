"""Notifications: each event reaches exactly its recipients (never the actor), e-mails follow the
commit and the user's opt-out, a broker or mail server that is down never fails the write, the bell,
the list and preferences pages, the API, and nobody reaches another user's notification."""

import datetime
import socket
from unittest import mock

import pytest
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from kombu import pools as kombu_pools
from rest_framework.test import APIClient

from accounts.services import api_token_create, user_create_staff, user_create_unit_user
from achievements import events as achievement_events
from achievements import services as achievement_services
from achievements.models import Achievement
from core.registry import RECIPIENT_STAFF, NotificationEvent, notification_event, register, registry
from exchange import events as import_events
from exchange.models import ImportJob, ImportStatus
from liaoning_tt.celery import app as celery_app
from notifications import mail, selectors, services
from notifications.choices import EmailStatus
from notifications.models import EmailPreference, Notification
from notifications.tasks import send_notification_emails_task, sweep_notification_emails_task

from .factories import AchievementFactory, UnitFactory
from .test_exchange_pages import good_file, upload

pytestmark = pytest.mark.django_db
PASSWORD = "pass-for-tests-1"
REASON = "与另一条记录重复登记"


@pytest.fixture(autouse=True)
def _eager(celery_eager):
    """E-mail tasks run in-process here, also when a real broker is configured."""
    return celery_eager


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def people(unit, other_unit):
    """Two users of the record's unit (one without an e-mail address), a user of another unit and
    two staff members."""
    return {
        "clerk": user_create_unit_user(
            username="clerk", password=PASSWORD, unit=unit, email="clerk@example.cn"
        ),
        "clerk2": user_create_unit_user(username="clerk2", password=PASSWORD, unit=unit),
        "stranger": user_create_unit_user(
            username="stranger", password=PASSWORD, unit=other_unit, email="s@example.cn"
        ),
        "staff": user_create_staff(username="curator", password=PASSWORD, email="curator@example.cn"),
        "staff2": user_create_staff(username="curator2", password=PASSWORD, email="curator2@example.cn"),
    }


def received(event: str) -> set[str]:
    return set(Notification.objects.filter(event=event).values_list("recipient__username", flat=True))


# --- each event reaches exactly its recipients -----------------------------------------------------


def test_staff_withdrawing_a_record_notifies_the_users_of_its_unit_only(people, unit):
    achievement = AchievementFactory(unit=unit, registered_on=datetime.date(2023, 3, 1))
    achievement_services.achievement_withdraw(
        achievement=achievement, acting_user=people["staff"], on=datetime.date(2024, 6, 30), reason=REASON
    )
    assert received(achievement_events.WITHDRAWN) == {"clerk", "clerk2"}
    note = Notification.objects.filter(event=achievement_events.WITHDRAWN).first()
    assert note.unit_id == unit.pk and note.actor == people["staff"]
    assert note.url == achievement.get_absolute_url() and note.object_id == achievement.pk
    assert achievement.ref in note.title and REASON in note.title and note.read_at is None


def test_a_unit_user_withdrawing_their_own_record_notifies_nobody(people, unit):
    achievement = AchievementFactory(unit=unit, registered_on=datetime.date(2023, 3, 1))
    achievement_services.achievement_withdraw(
        achievement=achievement, acting_user=people["clerk"], on=datetime.date(2024, 6, 30), reason=REASON
    )
    assert Achievement.objects.get(pk=achievement.pk).status == "withdrawn"
    assert not Notification.objects.exists()


def test_restore_merge_and_convertible_by_staff_notify_the_units_users(people, unit):
    staff = people["staff"]
    withdrawn = AchievementFactory(
        unit=unit,
        status="withdrawn",
        registered_on=datetime.date(2023, 1, 5),
        withdrawn_on=datetime.date(2024, 1, 15),
    )
    achievement_services.achievement_restore(achievement=withdrawn, acting_user=staff)
    assert received(achievement_events.RESTORED) == {"clerk", "clerk2"}

    keep, duplicate = AchievementFactory(unit=unit), AchievementFactory(unit=unit)
    achievement_services.achievement_merge(keep=keep, duplicate=duplicate, acting_user=staff, reason=REASON)
    assert received(achievement_events.MERGED) == {"clerk", "clerk2"}
    merged = Notification.objects.filter(event=achievement_events.MERGED).first()
    assert duplicate.ref in merged.title and keep.ref in merged.title and merged.object_id == keep.pk

    plain = AchievementFactory(unit=unit, convertible=False)
    achievement_services.achievement_set_convertible(achievement=plain, acting_user=staff, convertible=True)
    assert received(achievement_events.CONVERTIBLE) == {"clerk", "clerk2"}
    # Taking the mark away is no event.
    before = Notification.objects.count()
    achievement_services.achievement_set_convertible(
        achievement=Achievement.objects.get(pk=plain.pk), acting_user=staff, convertible=False
    )
    assert Notification.objects.count() == before


def test_the_actor_is_never_notified_of_their_own_act(people, unit):
    register(
        NotificationEvent(
            "test_staff_event", "测试", "测试事件 %(ref)s", recipients=(RECIPIENT_STAFF,), email=False
        )
    )
    try:
        achievement = AchievementFactory(unit=unit)
        services.notify(
            event="test_staff_event", obj=achievement, actor=people["staff"], context={"ref": achievement.ref}
        )
        assert received("test_staff_event") == {"curator2"}
    finally:
        registry.unregister(NotificationEvent, "test_staff_event")


def test_an_undeclared_event_or_a_context_that_does_not_fill_the_title_is_refused(people, unit):
    achievement = AchievementFactory(unit=unit)
    with pytest.raises(ImproperlyConfigured):
        services.notify(event="no_such_event", obj=achievement)
    with pytest.raises(ImproperlyConfigured):
        services.notify(event=achievement_events.RESTORED, obj=achievement, context={})
    assert not Notification.objects.exists()


def test_an_import_tells_its_uploader_preview_ready_then_done(media, people, unit, tmp_path, client):
    client.force_login(people["clerk"])
    upload(client, good_file(tmp_path, unit, convertible="否"))
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.PREVIEW_READY
    assert received(import_events.PREVIEW_READY) == {"clerk"}
    note = Notification.objects.get(event=import_events.PREVIEW_READY)
    assert note.url == reverse("exchange:import_job", args=[job.pk]) and job.original_name in note.title
    assert note.actor is None  # the system ended the job: the uploader is told

    client.post(reverse("exchange:import_job_confirm", args=[job.pk]))
    assert ImportJob.objects.get().status == ImportStatus.DONE
    assert received(import_events.DONE) == {"clerk"}
    assert not received(import_events.FAILED)


def test_an_import_that_fails_or_does_not_pass_the_check_tells_its_uploader(
    media, people, unit, tmp_path, client
):
    client.force_login(people["clerk"])
    upload(client, good_file(tmp_path, unit, registered_on="2023/13/01"))
    assert ImportJob.objects.get().status == ImportStatus.INVALID
    assert received(import_events.FAILED) == {"clerk"}

    from django.core.files.uploadedfile import SimpleUploadedFile

    client.post(
        reverse("exchange:import_upload"),
        {"file": SimpleUploadedFile("broken.xlsx", b"PK\x03\x04 not a zip")},
    )
    assert ImportJob.objects.filter(status=ImportStatus.FAILED).count() == 1
    assert Notification.objects.filter(event=import_events.FAILED, recipient=people["clerk"]).count() == 2
    assert not received(import_events.DONE) and not received(import_events.PREVIEW_READY)


def test_a_failing_notification_does_not_fail_the_import(media, people, unit, tmp_path, client):
    client.force_login(people["clerk"])
    with mock.patch("exchange.services.notify", side_effect=RuntimeError("notifications broken")):
        upload(client, good_file(tmp_path, unit, convertible="否"))
    assert ImportJob.objects.get().status == ImportStatus.PREVIEW_READY


# --- e-mail --------------------------------------------------------------------------------------


def _withdraw(people, unit, **kwargs):
    achievement = AchievementFactory(unit=unit, registered_on=datetime.date(2023, 3, 1), **kwargs)
    achievement_services.achievement_withdraw(
        achievement=achievement, acting_user=people["staff"], on=datetime.date(2024, 6, 30), reason=REASON
    )
    return achievement


def test_emails_are_sent_after_the_commit_to_recipients_with_an_address(
    people, unit, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        achievement = _withdraw(people, unit)
    assert mailoutbox == []  # nothing is sent before the write commits
    for callback in callbacks:
        callback()
    assert [m.to for m in mailoutbox] == [["clerk@example.cn"]]  # clerk2 has no address
    assert achievement.ref in mailoutbox[0].subject
    assert achievement.get_absolute_url() in mailoutbox[0].body
    statuses = dict(Notification.objects.values_list("recipient__username", "email_status"))
    assert statuses == {"clerk": EmailStatus.SENT, "clerk2": EmailStatus.NONE}


def test_a_rolled_back_write_sends_nothing(people, unit, mailoutbox, django_capture_on_commit_callbacks):
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            _withdraw(people, unit)
            raise RuntimeError("rolled back")
    assert mailoutbox == [] and not Notification.objects.exists()


@pytest.mark.parametrize("choice", ["all", "event"])
def test_the_users_opt_out_stops_the_email_but_not_the_notification(
    choice, people, unit, mailoutbox, django_capture_on_commit_callbacks
):
    events = {achievement_events.WITHDRAWN: choice != "event"}
    services.email_preferences_save(user=people["clerk"], all_events=choice != "all", events=events)
    with django_capture_on_commit_callbacks(execute=True):
        _withdraw(people, unit)
    assert mailoutbox == []
    assert Notification.objects.get(recipient=people["clerk"]).email_status == EmailStatus.NONE
    # other events still send (per-event opt-out) or not (all off)
    with django_capture_on_commit_callbacks(execute=True):
        withdrawn = AchievementFactory(
            unit=unit,
            status="withdrawn",
            registered_on=datetime.date(2023, 1, 5),
            withdrawn_on=datetime.date(2024, 1, 15),
        )
        achievement_services.achievement_restore(achievement=withdrawn, acting_user=people["staff"])
    assert len(mailoutbox) == (0 if choice == "all" else 1)


def test_an_event_without_email_by_default_sends_one_when_the_user_asks(people, unit, mailoutbox):
    kind = notification_event(import_events.PREVIEW_READY)
    assert kind.email is False
    assert services.email_wanted(kind, {}) is False
    assert services.email_wanted(kind, {import_events.PREVIEW_READY: True}) is True
    assert services.email_wanted(kind, {import_events.PREVIEW_READY: True, "": False}) is False


def test_a_reason_on_several_lines_still_makes_a_one_line_subject(
    people, unit, mailoutbox, django_capture_on_commit_callbacks
):
    achievement = AchievementFactory(unit=unit, registered_on=datetime.date(2023, 3, 1))
    with django_capture_on_commit_callbacks(execute=True):
        achievement_services.achievement_withdraw(
            achievement=achievement,
            acting_user=people["staff"],
            on=datetime.date(2024, 6, 30),
            reason="第一行\r\n第二行",
        )
    assert len(mailoutbox) == 1 and "\n" not in mailoutbox[0].subject and "第二行" in mailoutbox[0].subject
    assert "第二行" in mailoutbox[0].body


def test_sending_is_idempotent(people, unit, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        _withdraw(people, unit)
    ids = list(Notification.objects.values_list("pk", flat=True))
    send_notification_emails_task.apply(args=[ids])
    send_notification_emails_task.apply(args=[ids])
    sweep_notification_emails_task.apply()
    assert len(mailoutbox) == 1


def test_a_failing_mail_server_keeps_the_email_for_the_sweep_and_gives_up_after_the_limit(
    people, unit, mailoutbox, django_capture_on_commit_callbacks
):
    with mock.patch("notifications.mail.send_mail", side_effect=OSError("mail server down")):
        with django_capture_on_commit_callbacks(execute=True):
            achievement = _withdraw(people, unit)
    assert Achievement.objects.get(pk=achievement.pk).status == "withdrawn"  # the write stands
    note = Notification.objects.get(recipient=people["clerk"])
    assert (note.email_status, note.email_attempts, note.emailed_at) == (EmailStatus.PENDING, 1, None)
    sweep_notification_emails_task.apply()  # the server is back
    note.refresh_from_db()
    assert note.email_status == EmailStatus.SENT and note.emailed_at and len(mailoutbox) == 1

    with django_capture_on_commit_callbacks(execute=False):
        _withdraw(people, unit)
    with mock.patch("notifications.mail.send_mail", side_effect=OSError("still down")):
        for _ in range(mail.EMAIL_MAX_ATTEMPTS + 2):
            sweep_notification_emails_task.apply()
    last = Notification.objects.filter(recipient=people["clerk"]).order_by("-pk").first()
    assert (last.email_status, last.email_attempts) == (EmailStatus.FAILED, mail.EMAIL_MAX_ATTEMPTS)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def broker_down():
    """The Celery app pointed at a closed port, not eager, for the test."""
    saved = {k: getattr(celery_app.conf, k) for k in ("broker_url", "broker_write_url", "task_always_eager")}

    def point(url, eager):
        kombu_pools.reset()
        celery_app._pool = None
        celery_app.amqp._producer_pool = None
        celery_app.conf.broker_url = celery_app.conf.broker_write_url = url
        celery_app.conf.task_always_eager = eager

    point(f"redis://127.0.0.1:{_closed_port()}/3", False)
    yield
    point(saved["broker_url"], saved["task_always_eager"])
    for name, value in saved.items():
        setattr(celery_app.conf, name, value)


def test_a_broker_that_is_down_does_not_fail_the_triggering_save(
    people, unit, mailoutbox, broker_down, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        achievement = _withdraw(people, unit)
    assert Achievement.objects.get(pk=achievement.pk).status == "withdrawn"
    note = Notification.objects.get(recipient=people["clerk"])
    assert note.email_status == EmailStatus.PENDING and mailoutbox == []
    # the sweep (beat every minute, or a worker starting) sends it once the broker is back
    mail.send_emails(None)
    assert len(mailoutbox) == 1


def test_the_sweep_is_scheduled_every_minute_and_queued_when_a_worker_starts():
    from celery.signals import worker_ready
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(name="notifications.sweep_emails")
    assert task.task == "notifications.tasks.sweep_notification_emails_task" and task.enabled
    assert (task.interval.every, task.interval.period) == (1, "minutes") and 0 < task.expire_seconds <= 60
    with mock.patch.object(sweep_notification_emails_task, "apply_async") as queued:
        worker_ready.send(sender=None)
    queued.assert_called_once()


# --- the bell ------------------------------------------------------------------------------------


def _notification_queries(captured) -> int:
    table = Notification._meta.db_table
    return sum(table in q["sql"] for q in captured.captured_queries)


def test_the_bell_shows_the_unread_count_with_one_query_and_follows_changes(people, unit, client):
    client.force_login(people["clerk"])
    client.get("/")  # warm the session and the banner cache
    cache.delete(services.unread_cache_key(people["clerk"].pk))
    with CaptureQueriesContext(connection) as captured:
        page = client.get("/").content.decode()
    assert _notification_queries(captured) == 1
    assert 'data-testid="notifications-bell"' in page and "notifications-unread" not in page
    with CaptureQueriesContext(connection) as captured:
        client.get("/")
    assert _notification_queries(captured) == 0  # cached until the user's notifications change

    for _ in range(2):
        _withdraw(people, unit)
    page = client.get("/").content.decode()
    assert 'data-testid="notifications-unread">2<' in page
    services.notification_mark_all_read(acting_user=people["clerk"])
    assert "notifications-unread" not in client.get("/").content.decode()


def test_the_bell_counts_without_a_cache(people, unit, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    _withdraw(people, unit)
    assert selectors.unread_count(user=people["clerk"]) == 1
    assert selectors.unread_count(user=people["stranger"]) == 0


def test_anonymous_pages_have_no_bell(client):
    assert "notifications-bell" not in client.get(reverse("login")).content.decode()


# --- pages ---------------------------------------------------------------------------------------


def test_the_list_shows_unread_first_links_to_the_record_and_marks_read(people, unit, client):
    first = _withdraw(people, unit)
    second = _withdraw(people, unit)
    older = Notification.objects.get(recipient=people["clerk"], object_id=first.pk)
    services.notification_mark_read(notification=older, acting_user=people["clerk"])
    client.force_login(people["clerk"])
    response = client.get(reverse("notifications:list"))
    assert response.status_code == 200
    rows = list(response.context["page_obj"].object_list)
    assert [n.object_id for n in rows] == [second.pk, first.pk]  # unread first
    page = response.content.decode()
    assert f'href="{second.get_absolute_url()}"' in page and second.ref in page

    newer = Notification.objects.get(recipient=people["clerk"], object_id=second.pk)
    response = client.post(reverse("notifications:read", args=[newer.pk]), {"next": "https://evil.example/"})
    assert response.status_code == 302 and response.url == reverse("notifications:list")
    newer.refresh_from_db()
    assert newer.read_at is not None
    assert client.get(reverse("notifications:read", args=[newer.pk])).status_code == 405

    unread = client.get(reverse("notifications:list"), {"unread": "true"}).context["page_obj"].object_list
    assert list(unread) == []
    assert client.get(reverse("notifications:list"), {"unread": "perhaps"}).status_code == 400


def test_mark_all_read(people, unit, client):
    _withdraw(people, unit)
    _withdraw(people, unit)
    _withdraw(people, UnitFactory())  # nothing for the clerk
    client.force_login(people["clerk"])
    response = client.post(reverse("notifications:read_all"))
    assert response.status_code == 302
    assert not Notification.objects.filter(recipient=people["clerk"], read_at__isnull=True).exists()
    assert Notification.objects.filter(recipient=people["clerk2"], read_at__isnull=True).count() == 2


def test_another_users_notification_is_404_for_everybody_else(people, unit, client):
    _withdraw(people, unit)
    note = Notification.objects.get(recipient=people["clerk"])
    for other in ("clerk2", "stranger", "staff"):
        client.force_login(people[other])
        assert client.post(reverse("notifications:read", args=[note.pk])).status_code == 404
        listed = client.get(reverse("notifications:list")).context["page_obj"].object_list
        assert note not in listed
    note.refresh_from_db()
    assert note.read_at is None


def test_the_preferences_page_stores_the_choices(people, client):
    client.force_login(people["clerk"])
    page = client.get(reverse("notifications:preferences"))
    assert page.status_code == 200
    form = page.context["form"]
    assert form["all_events"].value() is True
    assert form[f"event_{import_events.PREVIEW_READY}"].value() is False  # the event's default
    assert form[f"event_{achievement_events.WITHDRAWN}"].value() is True

    data = {"all_events": "on", f"event_{import_events.PREVIEW_READY}": "on"}  # everything else off
    response = client.post(reverse("notifications:preferences"), data)
    assert response.status_code == 302
    stored = dict(EmailPreference.objects.filter(user=people["clerk"]).values_list("event", "email"))
    assert stored[import_events.PREVIEW_READY] is True and stored[achievement_events.WITHDRAWN] is False
    assert "" not in stored  # e-mails as such stay on

    client.post(reverse("notifications:preferences"), {})
    assert EmailPreference.objects.get(user=people["clerk"], event="").email is False


def test_titles_are_shown_in_the_readers_language(people, unit, client):
    achievement = _withdraw(people, unit)
    note = Notification.objects.get(recipient=people["clerk"])
    assert note.display_title == note.title  # Chinese
    with translation.override("en"):
        assert achievement.ref in note.display_title
        assert note.event_label == str(notification_event(achievement_events.WITHDRAWN).label)


# --- API -----------------------------------------------------------------------------------------


def _api(user, *, read_only=False):
    client = APIClient()
    _, key = api_token_create(user=user, name="notifications", read_only=read_only)
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_the_api_lists_only_ones_own_notifications_and_marks_them_read(people, unit):
    _withdraw(people, unit)
    _withdraw(people, unit)
    mine = list(Notification.objects.filter(recipient=people["clerk"]).order_by("pk"))
    theirs = Notification.objects.get(recipient=people["clerk2"], object_id=mine[0].object_id)
    api = _api(people["clerk"])
    body = api.get("/api/v1/notifications/").json()
    assert body["count"] == 2 and {r["id"] for r in body["results"]} == {n.pk for n in mine}
    assert body["results"][0]["read"] is False and body["results"][0]["event"] == achievement_events.WITHDRAWN

    assert api.get(f"/api/v1/notifications/{theirs.pk}/").status_code == 404
    assert api.post(f"/api/v1/notifications/{theirs.pk}/read/").status_code == 404
    answer = api.post(f"/api/v1/notifications/{mine[0].pk}/read/")
    assert answer.status_code == 200 and answer.json()["read"] is True
    assert api.get("/api/v1/notifications/", {"unread": "true"}).json()["count"] == 1
    assert api.post("/api/v1/notifications/read-all/").json() == {"marked": 1}
    theirs.refresh_from_db()
    assert theirs.read_at is None

    read_only = _api(people["clerk2"], read_only=True)
    assert read_only.get("/api/v1/notifications/").json()["count"] == 2
    assert read_only.post(f"/api/v1/notifications/{theirs.pk}/read/").status_code == 403
    assert APIClient().get("/api/v1/notifications/").status_code == 401


def test_the_api_list_reads_a_fixed_number_of_queries(people, unit):
    api = _api(people["clerk"])
    _withdraw(people, unit)
    api.get("/api/v1/notifications/")  # warm: the token's first use is recorded once
    with CaptureQueriesContext(connection) as small:
        api.get("/api/v1/notifications/")
    for _ in range(5):
        _withdraw(people, unit)
    with CaptureQueriesContext(connection) as large:
        api.get("/api/v1/notifications/")
    assert len(small) == len(large)

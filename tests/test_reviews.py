"""The shared review workflow (reviews/), exercised through the annual report, its first user:
the state machine and its policies, locking, revisions, the diff, the log, field comments and
the notifications of every transition."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django_fsm import TransitionNotAllowed

from accounts.services import user_create_staff, user_create_unit_user
from core.exceptions import StaleVersionError
from notifications.models import Notification
from reports.models import AnnualReport
from reviews import services
from reviews.choices import ReviewAction, ReviewStatus
from reviews.models import FieldComment, ReviewLog

from . import reports_helpers as h
from .factories import UnitFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(db):
    unit = UnitFactory()
    other = UnitFactory()
    return {
        "unit": unit,
        "owner": user_create_unit_user(username="owner", password="pass-for-tests-1", unit=unit),
        "stranger": user_create_unit_user(username="stranger", password="pass-for-tests-1", unit=other),
        "staff": user_create_staff(username="reviewer", password="pass-for-tests-1"),
    }


@pytest.fixture
def filled(people):
    report = h.report(people["unit"])
    return h.complete(report, people["owner"])


def act(report, action, user, **kwargs):
    return services.document_transition(
        document=report, action=action, acting_user=user, expected_version=report.version, **kwargs
    )


def test_the_whole_path_draft_to_accepted_then_a_revision(filled, people):
    owner, staff = people["owner"], people["staff"]
    r = act(filled, ReviewAction.SUBMIT, owner)
    assert r.status == ReviewStatus.SUBMITTED and r.submitted_at is not None
    r = act(r, ReviewAction.RETURN, staff, comments=[("tto_staff", "专职人员数与上年差异大，请核实。")])
    assert r.status == ReviewStatus.RETURNED
    assert [c.text for c in r.open_comments()["tto_staff"]] == ["专职人员数与上年差异大，请核实。"]
    r = services.document_update(document=r, acting_user=owner, changes={"tto_staff": 4}, expected_version=r.version)
    r = act(r, ReviewAction.RESUBMIT, owner)
    assert r.status == ReviewStatus.RESUBMITTED
    r = act(r, ReviewAction.ACCEPT, staff)
    assert r.status == ReviewStatus.ACCEPTED and r.accepted_at is not None

    second = services.document_revise(document=r, acting_user=owner, note="更正股权奖励")
    assert (second.revision, second.status, second.is_current) == (2, ReviewStatus.DRAFT, True)
    r.refresh_from_db()
    assert (r.status, r.is_current) == (ReviewStatus.ACCEPTED, False)
    assert second.tto_staff == 4 and second.reported == r.reported
    assert [d.revision for d in second.revisions()] == [1, 2]

    actions = list(ReviewLog.objects.filter(object_id=r.pk).values_list("action", "source", "target"))
    assert actions == [
        ("submit", "draft", "submitted"),
        ("return_for_changes", "submitted", "returned"),
        ("resubmit", "returned", "resubmitted"),
        ("accept", "resubmitted", "accepted"),
    ]
    assert ReviewLog.objects.get(object_id=second.pk).action == "revise"


def test_a_transition_checks_its_policy_itself_whoever_calls_it(filled, people):
    with pytest.raises(PermissionDenied):
        filled.submit(by=people["staff"])  # staff do not file for a unit
    with pytest.raises(PermissionDenied):
        filled.submit(by=people["stranger"])  # nor does another unit
    assert filled.status == ReviewStatus.DRAFT
    filled.submit(by=people["owner"])
    with pytest.raises(PermissionDenied):
        filled.accept(by=people["owner"])  # a unit does not accept its own report
    assert filled.status == ReviewStatus.SUBMITTED


def test_no_state_can_be_skipped(filled, people):
    with pytest.raises(TransitionNotAllowed):
        filled.accept(by=people["staff"])
    with pytest.raises(ValidationError, match="不能执行"):
        act(filled, ReviewAction.ACCEPT, people["staff"])
    with pytest.raises(ValidationError):
        act(filled, ReviewAction.RESUBMIT, people["owner"])
    assert AnnualReport.objects.get(pk=filled.pk).status == ReviewStatus.DRAFT


def test_the_state_field_cannot_be_assigned_directly(filled):
    with pytest.raises(AttributeError):
        filled.status = ReviewStatus.ACCEPTED


@pytest.mark.parametrize("path", [["submit"], ["submit", "accept"], ["submit", "return_for_changes", "resubmit"]])
def test_a_filed_or_accepted_document_is_locked(filled, people, path):
    r = filled
    for action in path:
        user = people["staff"] if action in ("accept", "return_for_changes") else people["owner"]
        r = act(r, action, user, note="请修改" if action == "return_for_changes" else "")
    with pytest.raises(ValidationError, match="已锁定"):
        services.document_update(document=r, acting_user=people["owner"], changes={"companies": 9}, expected_version=r.version)
    assert AnnualReport.objects.get(pk=r.pk).companies == 0


def test_two_tabs_saving_the_same_draft_the_second_is_refused(filled, people):
    read = filled.version
    services.document_update(document=filled, acting_user=people["owner"], changes={"companies": 1}, expected_version=read)
    with pytest.raises(StaleVersionError):
        services.document_update(document=filled, acting_user=people["owner"], changes={"companies": 2}, expected_version=read)
    assert AnnualReport.objects.get(pk=filled.pk).companies == 1
    with pytest.raises(StaleVersionError):
        services.document_transition(document=filled, action="submit", acting_user=people["owner"], expected_version=read)


def test_only_the_owner_edits_and_revises(filled, people):
    for user in (people["staff"], people["stranger"]):
        with pytest.raises(PermissionDenied):
            services.document_update(document=filled, acting_user=user, changes={"companies": 5}, expected_version=None)


def test_a_return_needs_a_comment_or_a_note_and_comments_name_reviewed_fields(filled, people):
    r = act(filled, "submit", people["owner"])
    with pytest.raises(ValidationError) as exc:
        act(r, "return_for_changes", people["staff"])
    assert "note" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        act(r, "return_for_changes", people["staff"], comments=[("no_such_field", "x")])
    assert "no_such_field" in str(exc.value)
    assert AnnualReport.objects.get(pk=r.pk).status == ReviewStatus.SUBMITTED
    assert not FieldComment.objects.exists()


def test_every_transition_notifies_the_other_side(filled, people):
    owner, staff = people["owner"], people["staff"]
    r = act(filled, "submit", owner)
    assert set(Notification.objects.filter(event="report_submitted").values_list("recipient", flat=True)) == {staff.pk}
    r = act(r, "return_for_changes", staff, note="请补充典型案例")
    returned = Notification.objects.get(event="report_returned")
    assert returned.recipient == owner and "请补充典型案例" in returned.title
    r = act(r, "resubmit", owner)
    assert Notification.objects.filter(event="report_resubmitted", recipient=staff).exists()
    r = act(r, "accept", staff)
    assert Notification.objects.filter(event="report_accepted", recipient=owner).exists()
    assert not Notification.objects.filter(recipient=people["stranger"]).exists()


def test_the_diff_lists_the_changed_fields_of_two_revisions(filled, people):
    r = act(act(filled, "submit", people["owner"]), "accept", people["staff"])
    second = services.document_revise(document=r, acting_user=people["owner"])
    reported = {part: dict(v) for part, v in second.reported.items()}
    second = services.document_update(
        document=second, acting_user=people["owner"], changes={"companies": 3, "reported": reported},
        expected_version=second.version,
    )
    rows = services.revision_diff(r, second)
    assert [(row["key"], row["old"], row["new"]) for row in rows] == [("companies", "0", "3")]
    everything = services.revision_diff(r, second, changed_only=False)
    assert len(everything) == len(second.review_fields())


def test_only_the_latest_accepted_revision_can_be_revised(filled, people):
    with pytest.raises(ValidationError):
        services.document_revise(document=filled, acting_user=people["owner"])
    r = act(act(filled, "submit", people["owner"]), "accept", people["staff"])
    with pytest.raises(PermissionDenied):
        services.document_revise(document=r, acting_user=people["staff"])
    services.document_revise(document=r, acting_user=people["owner"])
    with pytest.raises(ValidationError):
        services.document_revise(document=r, acting_user=people["owner"])  # revision 1 is no longer the latest


def test_the_revisions_page_reads_a_fixed_number_of_queries_however_many_revisions(filled, people, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    owner, staff = people["owner"], people["staff"]
    client.force_login(owner)

    def accepted_then_revised(report):
        report = act(act(report, "submit", owner), "return_for_changes", staff, comments=[("companies", "请核实")])
        report = act(act(report, "resubmit", owner), "accept", staff)
        return services.document_revise(document=report, acting_user=owner, note="更正")

    def page_queries(report):
        url = reverse("reports:report_revisions", kwargs={"pk": report.pk})
        client.get(url)  # the session's first reads (warm-up)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200 and "请核实" in response.content.decode()
        return len(queries)

    second = accepted_then_revised(filled)
    few = page_queries(second)
    fourth = accepted_then_revised(accepted_then_revised(second))
    assert fourth.revision == 4
    assert page_queries(fourth) == few


def test_a_revise_of_a_stale_version_is_refused_under_the_lock(filled, people):
    owner = people["owner"]
    accepted = act(act(filled, "submit", owner), "accept", people["staff"])
    read = accepted.version
    with pytest.raises(StaleVersionError):
        services.document_revise(document=accepted, acting_user=owner, expected_version=read - 1)
    assert AnnualReport.objects.filter(unit=people["unit"]).count() == 1
    second = services.document_revise(document=accepted, acting_user=owner, expected_version=read)
    assert second.revision == 2
    # the superseded revision's version moved on: the same request again (another tab, a retry that
    # passed the page's checks before the first one wrote) is stale, not a third revision
    assert AnnualReport.objects.get(pk=accepted.pk).version == read + 1
    with pytest.raises(StaleVersionError):
        services.document_revise(document=accepted, acting_user=owner, expected_version=read)
    assert AnnualReport.objects.filter(unit=people["unit"]).count() == 2
    # expected_version stays optional (commands, the demo seeder)
    third_try = act(act(second, "submit", owner), "accept", people["staff"])
    assert services.document_revise(document=third_try, acting_user=owner).revision == 3


def test_the_revise_page_sends_the_version_it_showed_and_a_stale_one_gets_the_message(filled, people, client):
    from django.urls import reverse

    owner = people["owner"]
    accepted = act(act(filled, "submit", owner), "accept", people["staff"])
    client.force_login(owner)
    url = reverse("reports:report_revise", kwargs={"pk": accepted.pk})
    page = client.get(url)
    assert page.status_code == 200
    assert f'name="version" value="{accepted.version}"' in page.content.decode()
    response = client.post(url, {"version": accepted.version - 1}, follow=True)
    assert [str(m) for m in response.context["messages"]] == [str(StaleVersionError.default_message)]
    assert response.redirect_chain[0][0] == accepted.get_absolute_url()
    assert AnnualReport.objects.filter(unit=people["unit"]).count() == 1
    response = client.post(url, {"version": accepted.version})
    assert response.status_code == 302
    assert AnnualReport.objects.filter(unit=people["unit"], is_current=True).get().revision == 2

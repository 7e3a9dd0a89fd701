"""The pilot bases: register rules, status history and statistics, the evaluation against a
hand-computed table, pilot-test requests (suggestions, steps, TRL raised through the registry),
the API and the demo figures."""

import contextlib
import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from accounts.services import user_create_staff, user_create_unit_user
from achievements.models import Achievement
from notifications.models import Notification
from pilots import selectors, services
from pilots.choices import Grade, RequestStatus
from pilots.models import PilotService

from .factories import AchievementFactory, cluster
from .pilot_factories import make_base, make_report

# A report's figures other than pilot_tests, small and valid.
SMALL_FIGURES = {
    "achievements_tested": 1,
    "enterprises_served": 1,
    "enterprises_local": 0,
    "revenue": 0,
    "equipment_utilisation": 1,
    "staff_year_end": 1,
}

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _eager(celery_eager):
    """Tasks (evaluations, e-mails, imports) run in-process here, also when a real broker is
    configured (the PostgreSQL run of CI); the worker's own tests are tests/test_celery_worker.py."""
    return celery_eager


# --- register -------------------------------------------------------------------------------------


def test_large_figures_need_confirmation_and_negatives_are_refused(unit):
    with pytest.raises(ValidationError) as exc:
        make_base(unit, site_area_m2=Decimal("1000000.01"))
    assert "site_area_m2" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        make_base(unit, staff_count=10_001)
    assert "staff_count" in exc.value.message_dict
    base = make_base(unit, site_area_m2=Decimal("1200000"), staff_count=10_001, confirmed_large=True)
    assert base.site_area_m2 == Decimal("1200000")
    with pytest.raises(ValidationError) as exc:
        make_base(unit, site_area_m2=Decimal("-1"))
    assert "site_area_m2" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        make_base(unit, equipment_count=-3)
    assert "equipment_count" in exc.value.message_dict


def test_operator_changes_only_own_base_and_only_capacities(unit, other_unit):
    own = make_base(unit)
    other = make_base(other_unit)
    user = user_create_unit_user(username="op", password="pass-for-tests-1", unit=unit)
    updated = services.base_update(base=own, acting_user=user, expected_version=own.version, staff_count=45)
    assert updated.staff_count == 45 and updated.version == own.version + 1
    with pytest.raises(PermissionDenied):
        services.base_update(base=other, acting_user=user, staff_count=1)
    with pytest.raises(ValidationError) as exc:
        services.base_update(base=own, acting_user=user, name="改名")
    assert "name" in exc.value.message_dict
    with pytest.raises(PermissionDenied):
        services.base_create(
            acting_user=user,
            code="X-1",
            name="x",
            operator=unit,
            city="210100",
            designated_year=2022,
            site_area_m2=1,
            equipment_count=1,
            staff_count=1,
        )


def test_status_history_decides_the_yearly_statistics(unit, staff_user):
    active = make_base(unit, site_area_m2=Decimal("100.50"), equipment_count=7, staff_count=3)
    revoked = make_base(unit, site_area_m2=Decimal("900"), equipment_count=1, staff_count=1)
    make_base(unit, designated_year=2024, site_area_m2=Decimal("5"), equipment_count=1, staff_count=1)
    services.fund_record(base=active, year=2022, amount=Decimal("1000000"), acting_user=staff_user)
    services.fund_record(base=active, year=2024, amount=Decimal("500000"), acting_user=staff_user)
    services.base_set_status(
        base=revoked,
        acting_user=staff_user,
        status="revoked",
        effective_on=datetime.date(2024, 3, 1),
        reason="考核不合格",
    )
    t2023 = selectors.pilot_totals(2023)
    assert t2023["bases"] == 2 and t2023["site_area_m2"] == Decimal("1000.50")
    assert t2023["provincial_funds"] == Decimal("1000000")
    t2024 = selectors.pilot_totals(2024)
    assert t2024["bases"] == 2  # revoked gone, the 2024 designation in
    assert t2024["equipment_count"] == 8 and t2024["provincial_funds"] == Decimal("1500000")
    assert list(revoked.status_changes.values_list("status", flat=True)) == ["active", "revoked"]
    with pytest.raises(ValidationError):
        services.base_set_status(
            base=active,
            acting_user=staff_user,
            status="suspended",
            effective_on=datetime.date(2024, 3, 1),
            reason="",
        )
    with pytest.raises(ValidationError):
        services.fund_record(base=active, year=2023, amount=Decimal("-1"), acting_user=staff_user)


# --- evaluation against a hand-computed table -------------------------------------------------------

# (figures of the base, of its report, rating) → expected (score, rank, grade), computed by hand with
# the shipped rubric (pilots/rubric_defaults.py; docs/pilots.md shows the same table).
HAND = {
    "A": ((60000, 350, 60), (25, 70, 12_000_000, 60), (95, 92), ("100.00", 1, Grade.EXCELLENT)),
    "D": ((60000, 350, 60), (25, 70, 12_000_000, 60), (95, 92), ("100.00", 1, Grade.EXCELLENT)),
    "E": ((60000, 350, 60), (25, 70, 12_000_000, 60), (80, 92), ("96.00", 3, Grade.GOOD)),
    "B": ((10000, 150, 30), (8, 35, 3_000_000, 30), (80, 70), ("65.00", 4, Grade.PASS)),
    "C": ((3000, 50, 10), (2, 5, 500_000, 10), (None, None), ("15.00", 5, Grade.FAIL)),  # no rating: 0 + 0
}


def test_evaluation_matches_the_hand_computed_table(unit, staff_user):
    bases = {}
    for key, ((area, equipment, staff), (tests, served, revenue, year_end), (mgmt, rep), _e) in HAND.items():
        base = make_base(
            unit, code=f"HAND-{key}", site_area_m2=Decimal(area), equipment_count=equipment, staff_count=staff
        )
        make_report(
            base,
            2024,
            pilot_tests=tests,
            enterprises_served=served,
            enterprises_local=0,
            revenue=Decimal(revenue),
            staff_year_end=year_end,
        )
        if mgmt is not None:
            services.rating_save(
                base=base, year=2024, management=mgmt, reputation=rep, acting_user=staff_user
            )
        bases[key] = base
    make_report(make_base(unit, code="HAND-OPEN"), 2024, accepted=False)  # not accepted: not evaluated
    done = services.evaluate_year(year=2024, acting_user=staff_user)
    got = {e.base.code[5:]: (str(e.score), e.rank, e.grade) for e in done}
    assert got == {key: row[3] for key, row in HAND.items()}
    assert selectors.base_grades(2024) == {f"HAND-{k}": row[3][2] for k, row in HAND.items()}
    b = next(e for e in done if e.base.code == "HAND-B")
    lines = {line["code"]: (line["value"], line["band"], line["points"]) for line in b.lines}
    assert lines["tests_per_staff"] == ("0.2667", "0.2000", "7.00")
    assert lines["revenue"] == ("300.0000", "100.0000", "3.00")
    assert lines["management"] == ("80.00", "75.0000", "16.00")
    c = next(e for e in done if e.base.code == "HAND-C")
    assert {line["code"]: line["points"] for line in c.lines}["management"] == "0.00"  # no rating
    # running it again changes nothing
    again = services.evaluate_year(year=2024, acting_user=staff_user)
    assert sorted((e.base.code, e.score, e.grade) for e in again) == sorted(
        (e.base.code, e.score, e.grade) for e in done
    )


def test_two_fail_years_put_a_base_on_the_watch_list(unit, staff_user):
    weak = make_base(unit, code="WEAK-1", site_area_m2=Decimal(1), equipment_count=1, staff_count=1)
    strong = make_base(
        unit, code="STRONG-1", site_area_m2=Decimal(60000), equipment_count=400, staff_count=60
    )
    for year in (2023, 2024):
        make_report(
            weak, year, pilot_tests=0, enterprises_served=0, enterprises_local=0, revenue=0, staff_year_end=1
        )
        make_report(
            strong,
            year,
            pilot_tests=30,
            enterprises_served=80,
            revenue=Decimal(20_000_000),
            staff_year_end=60,
        )
        services.evaluate_year(year=year, acting_user=staff_user)
    assert [e.base.code for e in selectors.watch_list(2024)] == ["WEAK-1"]
    assert selectors.watch_list(2023) == []


def test_rubric_is_data_edited_by_staff(unit, staff_user):
    rubric = services.rubric_for_year(year=2024, acting_user=staff_user)
    assert sum(i.weight for i in rubric.indicators.all()) == 100
    indicator = rubric.indicators.get(code="pilot_tests")
    with pytest.raises(ValidationError):
        services.band_set(indicator=indicator, bands=[(0, 0), (5, 13)], acting_user=staff_user)
    services.band_set(
        indicator=indicator, bands=[(0, 0), (1, 12)], acting_user=staff_user, expected_version=rubric.version
    )
    rubric.refresh_from_db()
    assert rubric.version == 2
    copy = services.rubric_for_year(
        year=2025 if datetime.date.today().year >= 2025 else 2024, acting_user=staff_user
    )
    assert copy.indicators.get(code="pilot_tests").bands.get(lower=1).points == 12
    base = make_base(unit, code="ONE-TEST")
    make_report(base, 2024, pilot_tests=1)
    line = next(
        ln
        for ln in services.evaluate_year(year=2024, acting_user=staff_user)[0].lines
        if ln["code"] == "pilot_tests"
    )
    assert line["points"] == "12.00"


# --- requests ------------------------------------------------------------------------------------------


def _request_setup(unit, other_unit):
    achievement = AchievementFactory(unit=unit, cluster=cluster("A01"), trl=5)
    requester = user_create_unit_user(username="req", password="pass-for-tests-1", unit=unit)
    operator = user_create_unit_user(username="opr", password="pass-for-tests-1", unit=other_unit)
    return achievement, requester, operator


def test_suggestions_rank_bases_with_reasons(unit, other_unit):
    achievement, requester, _op = _request_setup(unit, other_unit)
    both = make_base(other_unit, code="BOTH", clusters=("A01",), services_=("pilot_test",), city="210200")
    near = make_base(other_unit, code="NEAR", clusters=("A01",), services_=("testing",), city="210100")
    make_base(other_unit, code="NONE", clusters=("B01",), services_=("testing",))
    service = PilotService.objects.get(code="pilot_test")
    request = services.request_create(
        achievement=achievement, service=service, description="放大", acting_user=requester
    )
    ranked = selectors.suggestions(request)
    assert [s["base"].code for s in ranked] == ["BOTH", "NEAR"]
    assert [k for k, _v in ranked[0]["reasons"]] == ["cluster", "service"]
    assert [k for k, _v in ranked[1]["reasons"]] == ["cluster", "city"]
    assert both.pk != near.pk


def test_request_flow_raises_trl_through_the_registry(unit, other_unit):
    achievement, requester, operator = _request_setup(unit, other_unit)
    base = make_base(other_unit, code="FLOW")
    service = PilotService.objects.get(code="pilot_test")
    request = services.request_create(
        achievement=achievement, service=service, description="放大", acting_user=requester
    )
    request = services.request_send(request=request, base=base, acting_user=requester)
    assert Notification.objects.filter(recipient=operator, event="pilot_request_sent").count() == 1
    with pytest.raises(PermissionDenied):
        services.request_answer(request=request, accept=True, acting_user=requester)
    request = services.request_answer(request=request, accept=True, acting_user=operator)
    assert Notification.objects.filter(recipient=requester, event="pilot_request_accepted").count() == 1
    request = services.request_start(request=request, on=datetime.date.today(), acting_user=operator)
    with pytest.raises(ValidationError) as exc:
        services.request_complete(
            request=request, on=datetime.date.today(), outcome="success", trl_after=4, acting_user=operator
        )
    assert "trl_after" in exc.value.message_dict
    services.request_complete(
        request=request, on=datetime.date.today(), outcome="success", trl_after=7, acting_user=operator
    )
    achievement = Achievement.objects.get(pk=achievement.pk)
    assert achievement.trl == 7
    assert "FLOW" not in achievement.history.first().history_change_reason  # names the base by name
    assert base.name in achievement.history.first().history_change_reason
    assert Notification.objects.filter(recipient=requester, event="pilot_request_completed").count() == 1


def test_requests_by_year_counts_in_the_database_by_the_local_year(
    unit, other_unit, django_assert_num_queries
):
    from pilots.models import PilotRequest

    achievement, requester, operator = _request_setup(unit, other_unit)
    base = make_base(other_unit)
    service = PilotService.objects.get(code="pilot_test")

    def sent(at):
        request = services.request_create(
            achievement=achievement, service=service, description="放大", acting_user=requester, base=base
        )
        PilotRequest.objects.filter(pk=request.pk).update(submitted_at=at)
        return request

    utc = datetime.UTC
    sent(datetime.datetime(2023, 6, 1, 2, 0, tzinfo=utc))
    sent(datetime.datetime(2023, 12, 31, 16, 30, tzinfo=utc))  # 2024-01-01 00:30 in Shenyang
    done = sent(datetime.datetime(2024, 3, 1, 2, 0, tzinfo=utc))
    PilotRequest.objects.filter(pk=done.pk).update(status=RequestStatus.COMPLETED)
    services.request_create(
        achievement=achievement, service=service, description="未发送", acting_user=requester
    )
    with django_assert_num_queries(1):
        rows = selectors.requests_by_year()
    assert rows == [
        {"year": 2023, "requests": 1, "completed": 0},
        {"year": 2024, "requests": 2, "completed": 1},
    ]


def test_request_refusals(unit, other_unit):
    achievement, requester, operator = _request_setup(unit, other_unit)
    withdrawn = AchievementFactory(unit=unit, status="withdrawn", withdrawn_on=datetime.date(2024, 1, 2))
    service = PilotService.objects.get(code="pilot_test")
    with pytest.raises(ValidationError) as exc:
        services.request_create(
            achievement=withdrawn, service=service, description="x", acting_user=requester
        )
    assert "achievement" in exc.value.message_dict
    foreign = AchievementFactory(unit=other_unit)
    with pytest.raises(PermissionDenied):
        services.request_create(achievement=foreign, service=service, description="x", acting_user=requester)
    request = services.request_create(
        achievement=achievement, service=service, description="x", acting_user=requester
    )
    base = make_base(other_unit, code="DECL")
    services.request_send(request=request, base=base, acting_user=requester)
    with pytest.raises(ValidationError) as exc:
        services.request_answer(request=request, accept=False, acting_user=operator)
    assert "reason" in exc.value.message_dict
    request = services.request_answer(request=request, accept=False, reason="排期已满", acting_user=operator)
    assert request.status == RequestStatus.DECLINED
    with pytest.raises(ValidationError):
        services.request_start(request=request, on=datetime.date.today(), acting_user=operator)


def test_performance_report_review_and_revisions(client, unit, other_unit, staff_user):
    from reviews.choices import ReviewAction, ReviewStatus

    base = make_base(unit)
    operator = user_create_unit_user(username="rep_op", password="pass-for-tests-1", unit=unit)
    outsider = user_create_unit_user(username="rep_out", password="pass-for-tests-1", unit=other_unit)
    tested = AchievementFactory(unit=other_unit)
    with pytest.raises(PermissionDenied):
        services.report_create(
            base=base,
            year=2024,
            acting_user=outsider,
            pilot_tests=1,
            **SMALL_FIGURES,
        )
    report = make_report(base, 2024, accepted=False, pilot_tests=4)
    report.achievements.set([tested])
    with pytest.raises(ValidationError) as exc:
        make_report(base, 2024, accepted=False)
    assert "year" in exc.value.message_dict
    client.force_login(staff_user)
    assert (
        client.get(reverse("pilots:report_detail", args=[report.pk])).status_code == 404
    )  # a draft is the unit's
    report = services.report_transition(report=report, action=ReviewAction.SUBMIT, acting_user=operator)
    assert Notification.objects.filter(recipient=staff_user, event="pilot_report_submitted").exists()
    with pytest.raises(PermissionDenied):
        services.report_transition(report=report, action=ReviewAction.ACCEPT, acting_user=operator)
    report = services.report_transition(
        report=report,
        action=ReviewAction.RETURN,
        acting_user=staff_user,
        comments=[("pilot_tests", "请核对")],
    )
    assert Notification.objects.filter(recipient=operator, event="pilot_report_returned").exists()
    report = services.report_update(
        report=report, acting_user=operator, pilot_tests=5, expected_version=report.version
    )
    report = services.report_transition(report=report, action=ReviewAction.RESUBMIT, acting_user=operator)
    report = services.report_transition(report=report, action=ReviewAction.ACCEPT, acting_user=staff_user)
    with pytest.raises(ValidationError):  # accepted: locked
        services.report_update(report=report, acting_user=operator, pilot_tests=9)
    with pytest.raises(ValidationError) as exc:  # a year with an accepted report: only a revision
        make_report(base, 2024, accepted=False)
    assert "更正" in str(exc.value)
    revised = services.report_revise(report=report, acting_user=operator, note="更正")
    assert (revised.revision, revised.status, list(revised.achievements.all())) == (
        2,
        ReviewStatus.DRAFT,
        [tested],
    )
    services.report_update(report=revised, acting_user=operator, pilot_tests=30)
    # the accepted revision 1 stays what the evaluation reads until revision 2 is accepted
    assert [r.pilot_tests for r in selectors.accepted_reports().filter(base=base)] == [5]
    client.force_login(operator)
    page = client.get(reverse("pilots:report_detail", args=[revised.pk])).content.decode()
    assert reverse("pilots:report_submit", args=[revised.pk]) in page
    diff = client.get(reverse("pilots:report_diff", args=[revised.pk]))
    assert diff.status_code == 200 and "30" in diff.content.decode()
    with pytest.raises(ValidationError) as exc:
        make_report(make_base(unit), 2024, enterprises_served=3, enterprises_local=4)
    assert "enterprises_local" in exc.value.message_dict


def test_the_system_reads_what_staff_read(unit, other_unit, staff_user):
    """``None`` (commands, the demo seeder) is trusted like staff (docs/security.md): the querysets
    agree with the policies. A unit user reads their own requests and reports; the anonymous nothing."""
    from django.contrib.auth.models import AnonymousUser

    from pilots import policies
    from pilots.models import PilotBase, PilotRequest

    achievement, requester, operator = _request_setup(unit, other_unit)
    base = make_base(other_unit)
    third = make_base(other_unit)
    service = PilotService.objects.get(code="pilot_test")
    request = services.request_create(
        achievement=achievement, service=service, description="放大", acting_user=requester, base=base
    )
    draft = make_report(base, 2024, accepted=False)
    filed = make_report(third, 2024)
    anonymous = AnonymousUser()

    assert policies.can_read_register(None)
    assert (
        set(PilotBase.objects.for_user(None)) == set(PilotBase.objects.for_user(staff_user)) == {base, third}
    )
    assert set(selectors.base_list(user=None)) == {base, third}
    assert not PilotBase.objects.for_user(anonymous).exists()

    assert (
        list(PilotRequest.objects.for_user(None))
        == list(PilotRequest.objects.for_user(staff_user))
        == [request]
    )
    assert (
        list(selectors.request_list(user=requester))
        == list(selectors.request_list(user=operator))
        == [request]
    )
    assert not PilotRequest.objects.for_user(anonymous).exists()

    assert set(selectors.report_list(user=None)) == {draft, filed}  # drafts too
    assert set(selectors.report_list(user=staff_user)) == {filed}  # a draft is the operator's
    assert set(selectors.report_list(user=operator)) == {draft, filed}
    assert not selectors.report_list(user=requester).exists()
    assert not selectors.report_list(user=anonymous).exists()


# --- two saves at once ------------------------------------------------------------------------------


@contextlib.contextmanager
def _saved_at_once_with(model, other):
    """Two saves at once: ``other`` was written by the other save, which this one's reads (its
    lookups and ``full_clean``) did not see yet; its insert then meets the database's constraint."""
    manager = model._default_manager
    real_full_clean = model.full_clean

    def full_clean(self, *args, **kwargs):
        real_full_clean(self, *args, **kwargs)
        vars(manager).pop("get_queryset", None)  # the checks are done: the other row is visible

    manager.get_queryset = lambda: type(manager).get_queryset(manager).exclude(pk=other.pk)
    model.full_clean = full_clean
    try:
        yield
    finally:
        vars(manager).pop("get_queryset", None)
        del model.full_clean


def test_report_created_twice_at_once_is_a_field_error_not_a_500(unit, other_unit):
    from pilots.models import PerformanceReport

    base = make_base(unit)
    tested = AchievementFactory(unit=other_unit)
    other = make_report(base, 2024, accepted=False, pilot_tests=7)
    with _saved_at_once_with(PerformanceReport, other), pytest.raises(ValidationError) as exc:
        services.report_create(
            base=base,
            year=2024,
            acting_user=None,
            achievements=[tested],
            pilot_tests=3,
            **SMALL_FIGURES,
        )
    assert list(exc.value.message_dict) == ["year"]
    # nothing of the refused save is written: the other report alone, without the refused links
    (report,) = PerformanceReport.objects.filter(base=base, year=2024)
    assert report.pk == other.pk and report.pilot_tests == 7 and report.is_current
    assert not report.achievements.exists()


def test_rating_saved_twice_at_once_is_a_field_error_not_a_500(unit, staff_user):
    from pilots.models import BaseRating

    base = make_base(unit)
    other = services.rating_save(base=base, year=2024, management=50, reputation=60, acting_user=staff_user)
    with _saved_at_once_with(BaseRating, other), pytest.raises(ValidationError) as exc:
        services.rating_save(base=base, year=2024, management=80, reputation=90, acting_user=staff_user)
    assert list(exc.value.message_dict) == ["year"]
    (rating,) = BaseRating.objects.filter(base=base, year=2024)
    assert (rating.management, rating.reputation) == (50, 60)
    assert BaseRating.history.filter(base_id=base.pk).count() == 1  # the other save's record only
    # saved again, the rating seen: an update
    services.rating_save(base=base, year=2024, management=80, reputation=90, acting_user=staff_user)
    rating.refresh_from_db()
    assert (rating.management, rating.reputation) == (80, 90)


# --- pages and API ------------------------------------------------------------------------------------


def test_pages_render_for_operator_and_staff(client, unit, other_unit, staff_user):
    base = make_base(unit)
    make_report(base, 2024)
    services.evaluate_year(year=2024, acting_user=staff_user)
    client.force_login(staff_user)
    for name, args in (
        ("pilots:base_list", []),
        ("pilots:base_detail", [base.pk]),
        ("pilots:base_edit", [base.pk]),
        ("pilots:evaluation_list", []),
        ("pilots:request_list", []),
        ("pilots:request_queue", []),
        ("pilots:report_list", []),
    ):
        assert client.get(reverse(name, args=args)).status_code == 200, name
    response = client.get(reverse("pilots:base_list") + "?city=210100&status=active")
    assert base.name in response.content.decode()
    operator = user_create_unit_user(username="op2", password="pass-for-tests-1", unit=unit)
    outsider = user_create_unit_user(username="out2", password="pass-for-tests-1", unit=other_unit)
    client.force_login(outsider)
    assert client.get(reverse("pilots:base_edit", args=[base.pk])).status_code == 403
    client.force_login(operator)
    page = client.get(reverse("pilots:base_edit", args=[base.pk]))
    assert page.status_code == 200 and 'name="name"' not in page.content.decode()
    response = client.post(
        reverse("pilots:base_edit", args=[base.pk]),
        {
            "version": base.version,
            "site_area_m2": "2000000",
            "equipment_count": 1,
            "staff_count": 2,
            "services": [s.pk for s in base.services.all()],
        },
    )
    assert response.status_code == 400 and "确认数值无误" in response.content.decode()


def test_api_answers_per_the_spec(client, unit, staff_user):
    base = make_base(
        unit, code="API-1", city="210200", clusters=("A01", "B02"), site_area_m2=Decimal("1234.5")
    )
    services.fund_record(base=base, year=2023, amount=Decimal("300000"), acting_user=staff_user)
    client.force_login(staff_user)
    item = client.get("/api/v1/pilot-bases/?city=210200").json()["results"][0]
    assert {
        k: item[k]
        for k in ("code", "operator", "city", "clusters", "status", "site_area_m2", "provincial_funds")
    } == {
        "code": "API-1",
        "operator": unit.code,
        "city": "210200",
        "clusters": ["A01", "B02"],
        "status": "active",
        "site_area_m2": "1234.50",
        "provincial_funds": "300000.00",
    }
    stats = client.get("/api/v1/stats/pilots/?year=2024&cluster=B02").json()
    assert (
        stats["bases"] == 1
        and stats["site_area_m2"] == "1234.50"
        and stats["scope"] == {"city": None, "cluster": "B02"}
    )
    assert client.get("/api/v1/stats/pilots/?year=1984").status_code == 400
    assert "city" in client.get("/api/v1/stats/pilots/?year=2024&city=110000").json().__str__()
    client.logout()
    assert client.get("/api/v1/stats/pilots/?year=2024").status_code == 401


# --- demo -----------------------------------------------------------------------------------------------


def test_demo_totals_reproduce_the_source_paper(demo_data, client):
    client.force_login(user_create_staff(username="pilots_demo_staff", password="pass-for-tests-1"))
    stats = client.get("/api/v1/stats/pilots/?year=2024").json()
    assert stats["bases"] == 36
    assert abs(Decimal(stats["site_area_m2"]) - Decimal("1660000")) <= Decimal("1660000") * Decimal("0.005")
    assert stats["equipment_count"] > 10_000
    assert 1_900 <= stats["staff_count"] <= 1_999
    assert Decimal(stats["provincial_funds"]) > Decimal("100000000")
    grades = selectors.base_grades(2024)
    assert 0 < len(grades) < 36 and set(grades.values()) <= set(Grade.values)
    assert len(selectors.base_grades(2023)) == 36  # 22 designated in 2022, 14 in 2023: all report for 2023
    from pilots.models import PerformanceReport, PilotBase, PilotRequest

    assert PilotBase.objects.get(code="LNZS-001").operator.name == "大连理工大学"  # the demo unit login's
    states = set(PerformanceReport.objects.filter(year=2024).values_list("status", flat=True))
    assert {"accepted", "draft", "submitted", "returned"} <= states
    assert PerformanceReport.objects.filter(year=2023, revision=2, status="accepted").count() == 1
    assert set(PilotRequest.objects.values_list("status", flat=True)) == set(RequestStatus.values) - {
        "cancelled"
    }


def test_demo_grades_look_like_a_real_provinces(demo_data):
    """A few 优秀, most 良好/合格, one to three 不合格 and one or two bases on the watch list."""
    from collections import Counter

    for year in (2023, 2024):
        grades = Counter(selectors.base_grades(year).values())
        total = sum(grades.values())
        assert 1 <= grades[Grade.EXCELLENT] <= 6, (year, grades)
        assert 1 <= grades[Grade.FAIL] <= 3, (year, grades)
        assert grades[Grade.GOOD] + grades[Grade.PASS] >= total * 0.7, (year, grades)
        assert grades[Grade.GOOD] and grades[Grade.PASS], (year, grades)
    assert 1 <= len(selectors.watch_list(2024)) <= 2
    assert Counter(selectors.base_grades(2024).values())[Grade.FAIL] <= 3  # (was 16 of 30)


# --- exchange sheets ---------------------------------------------------------------------------------------


def test_pilot_sheets_round_trip_through_the_exchange_export(tmp_path, unit, staff_user):
    from django.core.management import CommandError, call_command

    from achievements.models import Achievement as A
    from exchange import export
    from pilots.models import BaseFund, PilotBase

    base = make_base(unit, code="XCH-1", name="=HYPERLINK(1)", clusters=("A01", "B02"))
    services.fund_record(base=base, year=2023, amount=Decimal("250000.00"), acting_user=staff_user)
    path = tmp_path / "export.xlsx"
    export.write_xlsx(str(path), A.objects.none())
    import openpyxl

    workbook = openpyxl.load_workbook(path)
    assert workbook["中试基地"]["B2"].value == "'=HYPERLINK(1)"  # neutralised
    assert workbook["中试基地"]["A1"].value == "基地编号"
    # change the sheet: one base renamed and a new one, funds corrected
    sheet = workbook["中试基地"]
    sheet["B2"] = "交换基地"
    sheet.append(
        ["XCH-2", "新基地", unit.code, "210200", "A01", 2023, "active", 500, 3, 2, "testing", "", "", "", ""]
    )
    workbook["中试基地资金"]["C2"] = 300000
    workbook.save(path)
    call_command("import_pilot_sheets", str(path), "--dry-run")
    assert not PilotBase.objects.filter(code="XCH-2").exists()
    call_command("import_pilot_sheets", str(path))
    assert PilotBase.objects.get(code="XCH-1").name == "交换基地"
    assert PilotBase.objects.get(code="XCH-2").services.get().code == "testing"
    assert BaseFund.objects.get(base=base, year=2023).amount == Decimal("300000")
    # a bad row: nothing of the sheet is written, the message names the row and the column
    sheet.append(
        ["XCH-3", "坏基地", unit.code, "210100", "Z99", 2023, "active", -5, 1, 1, "", "", "", "", ""]
    )
    sheet["B2"] = "不应写入"
    workbook.save(path)
    with pytest.raises(CommandError) as exc:
        call_command("import_pilot_sheets", str(path))
    assert "第4行" in str(exc.value) and "服务产业集群" in str(exc.value)
    assert PilotBase.objects.get(code="XCH-1").name == "交换基地"
    assert not PilotBase.objects.filter(code="XCH-3").exists()


def test_list_and_api_queries_do_not_grow_with_the_rows(client, unit, staff_user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count(url):
        client.get(url)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    client.force_login(staff_user)
    make_base(unit, clusters=("A01", "B01"))
    before = {url: count(url) for url in ("/pilots/", "/api/v1/pilot-bases/", "/pilots/requests/")}
    for n in range(6):
        base = make_base(unit, clusters=("A01", "C01"), services_=("testing", "pilot_test"))
        services.fund_record(base=base, year=2023, amount=Decimal(n), acting_user=staff_user)
    after = {url: count(url) for url in before}
    assert after == before


def test_staff_record_the_rating_the_rubric_reads(client, unit, staff_user):
    from pilots.models import BaseRating

    base = make_base(unit)
    client.force_login(staff_user)
    url = reverse("pilots:base_rating", args=[base.pk])
    bad = client.post(url, {"year": 2024, "management": "101", "reputation": "70"})
    assert bad.status_code == 400 and "运行管理评分" in bad.content.decode()
    assert not BaseRating.objects.exists()
    assert client.post(url, {"year": 2024, "management": "80", "reputation": "70"}).status_code == 302
    assert client.post(url, {"year": 2024, "management": "85", "reputation": "70"}).status_code == 302
    rating = BaseRating.objects.get(base=base, year=2024)
    assert (rating.management, rating.reputation) == (Decimal("85"), Decimal("70"))


def test_staff_set_the_top_share_and_it_decides_excellent(client, unit, staff_user):
    for key in ("A", "E"):  # 100.00 and 96.00 with the shipped rubric (HAND above)
        (area, equipment, staff), (tests, served, revenue, year_end), (mgmt, rep), _e = HAND[key]
        base = make_base(
            unit, code=f"TOP-{key}", site_area_m2=Decimal(area), equipment_count=equipment, staff_count=staff
        )
        make_report(
            base,
            2024,
            pilot_tests=tests,
            enterprises_served=served,
            enterprises_local=0,
            revenue=Decimal(revenue),
            staff_year_end=year_end,
        )
        services.rating_save(base=base, year=2024, management=mgmt, reputation=rep, acting_user=staff_user)
    rubric = services.rubric_for_year(year=2024, acting_user=staff_user)
    services.evaluate_year(year=2024, acting_user=staff_user)
    # the shipped share 0.3 of 2 bases is 0.6: not even rank 1 is within it
    assert selectors.base_grades(2024) == {"TOP-A": "good", "TOP-E": "good"}
    client.force_login(staff_user)
    url = reverse("pilots:rubric_edit", args=[rubric.pk])
    body = {
        "version": rubric.version,
        "title": rubric.title,
        "top_share": "0.500",
        "excellent_min": "90",
        "good_min": "70",
        "pass_min": "60",
    }
    assert client.post(url, {**body, "good_min": "95"}).status_code == 400  # lines out of order
    assert client.post(url, body).status_code == 302
    assert client.post(url, body).status_code == 409  # the version read is stale now
    services.evaluate_year(year=2024, acting_user=staff_user)
    assert selectors.base_grades(2024) == {"TOP-A": "excellent", "TOP-E": "good"}  # 0.5 × 2 = 1
    rubric.refresh_from_db()
    assert client.post(url, {**body, "version": rubric.version, "top_share": "1.000"}).status_code == 302
    services.evaluate_year(year=2024, acting_user=staff_user)
    assert selectors.base_grades(2024) == {"TOP-A": "excellent", "TOP-E": "excellent"}

# ruff: noqa: F811
"""Annual reports at their edges (issue 10, "Integrity"): figures and texts beyond what the columns
hold are a message naming the field at every door (page, API), never a 500 — also on PostgreSQL,
which refuses what SQLite stores; the pages in English; the admin is no door; staff on the cycle
page reach the last filed revision but never a draft's contents."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse

from reports import checks, figures, services
from reports.models import AnnualReport
from reviews.choices import ReviewStatus

# The fixtures ``world`` and ``draft`` of test_reports, imported so pytest finds them (F811: the
# tests' parameters of the same name are those fixtures).
from .test_reports import API, api_for, client_for, draft, form_data, world  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _eager(celery_eager):
    """Tasks (evaluations, e-mails, imports) run in-process here, also when a real broker is
    configured (the PostgreSQL run of CI); the worker's own tests are tests/test_celery_worker.py."""
    return celery_eager


HUGE_COUNT = "99999999999"  # beyond a 32-bit integer column (PostgreSQL refuses, SQLite stores it)
LONG_TEXT = "很长的文字" * 3000  # 15,000 characters


@pytest.mark.parametrize("field", ["sme_contracts", "rep__transfer__contracts"])
def test_a_count_beyond_the_column_is_a_message_on_the_page(draft, world, field):
    response = client_for(world["owner"]).post(reverse("reports:report_edit", args=[draft.pk]),
                                              form_data(draft, **{field: HUGE_COUNT}))
    assert response.status_code == 400
    assert "数额过大" in response.content.decode()
    assert AnnualReport.objects.get(pk=draft.pk).version == draft.version


def test_a_count_or_amount_beyond_the_column_is_a_400_by_api_naming_the_key(draft, world):
    api = api_for(world["owner"])
    url = f"{API}{draft.pk}/"
    reported = {part: dict(values) for part, values in draft.reported.items()}
    reported["equity"] = {"contracts": int(HUGE_COUNT), "amount": "1" + "0" * 20, "received": "0"}
    answer = api.patch(url, {"version": draft.version, "companies": int(HUGE_COUNT), "reported": reported},
                       format="json")
    assert answer.status_code == 400
    body = answer.json()
    assert {"companies", "reported.equity.contracts", "reported.equity.amount"} <= set(body)
    assert "数额过大" in str(body["companies"])
    assert AnnualReport.objects.get(pk=draft.pk).version == draft.version


@pytest.mark.parametrize("field", ["typical_cases", "problems", "team_share_explanation"])
def test_very_long_text_is_a_message_naming_the_field_at_every_door(draft, world, field):
    page = client_for(world["owner"]).post(reverse("reports:report_edit", args=[draft.pk]),
                                          form_data(draft, **{field: LONG_TEXT}))
    assert page.status_code == 400
    label = str(AnnualReport._meta.get_field(field).verbose_name)
    assert f"不能超过{checks.TEXT_MAX}字（现有15000字）" in page.content.decode()
    answer = api_for(world["owner"]).patch(f"{API}{draft.pk}/", {"version": draft.version, field: LONG_TEXT},
                                           format="json")
    assert answer.status_code == 400 and f"不能超过{checks.TEXT_MAX}字" in str(answer.json()[field])
    with pytest.raises(Exception, match=label):
        services.report_update(report=draft, acting_user=world["owner"], changes={field: LONG_TEXT},
                               expected_version=draft.version)
    assert AnnualReport.objects.get(pk=draft.pk).version == draft.version


def test_a_long_explanation_of_a_difference_is_named(draft, world):
    page = client_for(world["owner"]).post(reverse("reports:report_edit", args=[draft.pk]), form_data(
        draft, rep__transfer__contracts=str(draft.reported["transfer"]["contracts"] + 1),
        exp__transfer__contracts="说" * 500))
    assert page.status_code == 400
    answer = api_for(world["owner"]).patch(f"{API}{draft.pk}/", {
        "version": draft.version, "explanations": {"reported.transfer.contracts": "说" * 500}}, format="json")
    assert answer.status_code == 400
    assert AnnualReport.objects.get(pk=draft.pk).version == draft.version


def test_a_long_return_note_or_comment_is_a_message_not_a_500(draft, world):
    filed = services.report_transition(report=draft, action="submit", acting_user=world["owner"],
                                       expected_version=draft.version)
    staff = client_for(world["staff"])
    page = staff.post(reverse("reports:report_return_for_changes", args=[filed.pk]),
                      {"version": filed.version, "note": LONG_TEXT})
    assert page.status_code == 400
    answer = api_for(world["staff"]).post(f"{API}{filed.pk}/return/", {
        "version": filed.version, "comments": [{"field": "tto_staff", "text": LONG_TEXT}]}, format="json")
    assert answer.status_code == 400
    assert AnnualReport.objects.get(pk=filed.pk).status == ReviewStatus.SUBMITTED


def test_the_pages_render_in_english(draft, world):
    owner = client_for(world["owner"])
    owner.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    for name in ("report_detail", "report_edit", "report_print", "report_revisions"):
        response = owner.get(reverse(f"reports:{name}", args=[draft.pk]))
        assert response.status_code == 200, name
        assert response.headers["Content-Language"] == "en", name
    assert owner.get(reverse("reports:report_list")).status_code == 200
    filed = services.report_transition(report=draft, action="submit", acting_user=world["owner"],
                                       expected_version=draft.version)
    staff = client_for(world["staff"])
    staff.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    for url in (reverse("reports:cycle_list"), reverse("reports:cycle_detail", args=[filed.year]),
                reverse("reports:report_detail", args=[filed.pk]), reverse("reports:report_print", args=[filed.pk])):
        response = staff.get(url)
        assert response.status_code == 200, url
        assert response.headers["Content-Language"] == "en", url


def test_staff_on_the_cycle_page_see_a_drafts_state_and_reach_the_last_filed_revision(draft, world):
    accepted = services.report_transition(report=draft, action="submit", acting_user=world["owner"],
                                          expected_version=draft.version)
    accepted = services.report_transition(report=accepted, action="accept", acting_user=world["staff"],
                                          expected_version=accepted.version)
    correction = services.report_revise(report=accepted, acting_user=world["owner"])
    staff = client_for(world["staff"])
    page = staff.get(reverse("reports:cycle_detail", args=[draft.year]))
    row = next(r for r in page.context["rows"] if r["unit"] == world["unit"])
    assert row["state"] == ReviewStatus.DRAFT and row["readable"].pk == accepted.pk
    body = page.content.decode()
    assert reverse("reports:report_detail", args=[accepted.pk]) in body
    assert reverse("reports:report_detail", args=[correction.pk]) not in body
    assert staff.get(reverse("reports:report_detail", args=[correction.pk])).status_code == 404


def test_the_admin_is_no_door_to_a_report(draft, world, django_user_model):
    root = django_user_model.objects.create_superuser(username="root", password="pass-for-tests-1",
                                                       email="root@example.cn")
    admin = client_for(root)
    change = reverse("admin:reports_annualreport_change", args=[draft.pk])
    assert admin.get(change).status_code == 200
    admin.post(change, {"companies": "9", "version": draft.version})
    assert AnnualReport.objects.get(pk=draft.pk).companies == draft.companies
    assert admin.get(reverse("admin:reports_annualreport_add")).status_code == 403
    assert admin.post(reverse("admin:reports_annualreport_delete", args=[draft.pk]), {"post": "yes"}).status_code == 403
    assert AnnualReport.objects.filter(pk=draft.pk).exists()


def test_parse_figure_bounds_counts_to_the_column():
    assert figures.parse_figure(str(figures.MAX_COUNT), "x", integer=True) == figures.MAX_COUNT
    with pytest.raises(Exception, match="数额过大"):
        figures.parse_figure(str(figures.MAX_COUNT + 1), "x", integer=True)


def test_recompute_stats_if_needed_computes_only_when_the_snapshot_is_behind(world):
    """The demo seeder computes the snapshot for the 2023 cycle; `make run` then asks
    ``recompute_stats --if-needed``, which must not compute it a second time."""
    import io

    from django.core.management import call_command
    from django.utils import timezone

    from achievements.models import Achievement
    from dashboards import engine

    from .factories import AchievementFactory

    achievement = AchievementFactory(unit=world["unit"])
    engine.recompute_full()
    assert engine.recompute_needed() is None
    out = io.StringIO()
    call_command("recompute_stats", "--if-needed", stdout=out)
    assert "无需重算" in out.getvalue()
    # A bulk write that marks nothing dirty (the demo seeder's rows): a full run.
    Achievement.objects.filter(pk=achievement.pk).update(updated_at=timezone.now())
    assert engine.recompute_needed() == "full"
    call_command("recompute_stats", "--if-needed", stdout=io.StringIO())
    assert engine.recompute_needed() is None
    engine.mark_dirty(unit_ids=[world["unit"].pk], years=[2023])
    assert engine.recompute_needed() == "incremental"
    assert engine.recompute_if_needed()["kind"] == "incremental"
    assert engine.recompute_needed() is None


def test_the_dashboard_panel_follows_the_dashboards_filters_and_drills_down(draft, world):
    from achievements.choices import UnitType
    from reports.panels import comparison_rows

    from .test_reports import accepted

    report = accepted(draft, world)
    unit = world["unit"]
    assert [r["report"].pk for r in comparison_rows(year=report.year, unit_type=unit.type)] == [report.pk]
    other_type = UnitType.INSTITUTE if unit.type != UnitType.INSTITUTE else UnitType.UNIVERSITY
    assert comparison_rows(year=report.year, unit_type=other_type) == []
    assert [r["report"].pk for r in comparison_rows(year=report.year, region=unit.region)] == [report.pk]
    elsewhere = "110000" if not unit.region.startswith("11") else "210000"
    assert comparison_rows(year=report.year, region=elsewhere) == []
    staff = client_for(world["staff"])
    page = staff.get("/dashboard/", {"year": report.year})
    section = next(s for s in page.context["sections"] if s["id"] == "annual_reports")
    (row,) = section["table"]["rows"]
    registry_link = row["cells"][0]["url"]
    assert unit.code in registry_link and str(report.year) in registry_link
    assert staff.get(registry_link).status_code == 200
    assert row["cells"][1]["url"] == report.get_absolute_url()
    assert "年度报告：填报数与成果库数据" not in staff.get(
        "/dashboard/", {"year": report.year, "unit_type": other_type}).content.decode()
    from core.registry import PanelContext
    from dashboards.selectors import Scope
    from reports.panels import build

    assert build(PanelContext(year=report.year, scope=Scope(), summary={}, series=[])) is not None
    assert build(PanelContext(year=report.year, scope=Scope(cluster="A01"), summary={}, series=[])) is None


@pytest.mark.parametrize("year", [-5, 1984, 99999999999, 10**30])
def test_a_report_for_a_year_outside_1985_to_this_year_is_refused_naming_the_year(world, year):
    answer = api_for(world["owner"]).post(API, {"year": year}, format="json")
    assert answer.status_code == 400 and "1985" in str(answer.json()["year"])
    assert not AnnualReport.objects.exists()


def test_the_report_endpoints_are_in_the_openapi_schema():
    import io

    import yaml
    from django.core.management import call_command

    out = io.StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
    paths = yaml.safe_load(out.getvalue())["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/reports/"])
    assert {"get", "patch"} <= set(paths["/api/v1/reports/{id}/"])
    assert "delete" not in paths["/api/v1/reports/{id}/"]
    for action in ("refresh", "submit", "resubmit", "return", "accept", "revise"):
        assert "post" in paths[f"/api/v1/reports/{{id}}/{action}/"], action
    listed = {p["name"] for p in paths["/api/v1/reports/"]["get"]["parameters"]}
    assert {"year", "unit", "status"} <= listed


def test_every_transition_reaches_the_other_side_by_e_mail_too(draft, world, mailoutbox,
                                                                django_capture_on_commit_callbacks):
    world["owner"].email = "owner@example.cn"
    world["owner"].save()
    world["staff"].email = "reviewer@example.cn"
    world["staff"].save()
    world["stranger"].email = "stranger@example.cn"
    world["stranger"].save()
    steps = [
        ("submit", world["owner"], {}, "reviewer@example.cn"),
        ("return_for_changes", world["staff"], {"comments": [("tto_staff", "请核实")]}, "owner@example.cn"),
        ("resubmit", world["owner"], {}, "reviewer@example.cn"),
        ("accept", world["staff"], {}, "owner@example.cn"),
    ]
    report = draft
    for action, user, extra, to in steps:
        mailoutbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            report = services.report_transition(report=report, action=action, acting_user=user,
                                                expected_version=report.version, **extra)
        recipients = {address for message in mailoutbox for address in message.to}
        assert to in recipients, action
        assert "stranger@example.cn" not in recipients, action

"""Annual transformation reports (issue 10; docs/reports.md): the cycle, the prefilled registry
block, the checks on submit, the pages, the exports, the API, the home card and the panel."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import load_workbook
from rest_framework.test import APIClient

from accounts.services import api_token_create, user_create_staff, user_create_unit_user
from achievements.choices import UnitType
from notifications.models import Notification
from reports import checks, figures, services
from reports.models import AnnualReport, ReportCycle
from reviews.choices import ReviewStatus

from . import reports_helpers as h
from .factories import AchievementFactory, UnitFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _eager(celery_eager):
    """Tasks (evaluations, e-mails, imports) run in-process here, also when a real broker is
    configured (the PostgreSQL run of CI); the worker's own tests are tests/test_celery_worker.py."""
    return celery_eager

API = "/api/v1/reports/"


@pytest.fixture
def world(db):
    unit = UnitFactory(name="甲大学")
    other = UnitFactory(name="乙研究院", type=UnitType.INSTITUTE)
    return {
        "unit": unit,
        "other": other,
        "owner": user_create_unit_user(username="owner", password="pass-for-tests-1", unit=unit),
        "stranger": user_create_unit_user(username="stranger", password="pass-for-tests-1", unit=other),
        "staff": user_create_staff(username="reviewer", password="pass-for-tests-1"),
    }


def client_for(user):
    from django.test import Client

    c = Client()
    c.force_login(user)
    return c


def api_for(user):
    _token, key = api_token_create(user=user, name="t")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api


# --- the registry block ------------------------------------------------------------------------


def test_the_registry_block_counts_the_units_effective_contracts_of_the_year_by_mode_and_place(world):
    h.contracts(world["unit"])
    block = services.selectors.registry_block(unit=world["unit"], year=h.YEAR)
    assert block["transfer"] == {"contracts": 2, "amount": "130000.00", "received": "70000.00"}
    assert block["license"] == {"contracts": 1, "amount": "50000.00", "received": "0.00"}
    assert block["equity"] == {"contracts": 0, "amount": "0.00", "received": "0.00"}
    assert block["local"] == {"contracts": 2, "amount": "150000.00", "received": "40000.00"}
    assert block["non_local"] == {"contracts": 1, "amount": "30000.00", "received": "30000.00"}


def test_the_registry_block_equals_the_statistics_breakdown_by_mode(world):
    h.contracts(world["unit"])
    staff_api = api_for(world["staff"])
    answer = staff_api.get("/api/v1/stats/breakdown/", {"year": h.YEAR, "unit": world["unit"].code, "by": "mode"})
    assert answer.status_code == 200
    block = services.selectors.registry_block(unit=world["unit"], year=h.YEAR)
    for row in answer.json()["results"]:
        assert block[row["key"]] == {"contracts": row["contracts"], "amount": row["amount"], "received": row["received"]}


# --- the cycle ---------------------------------------------------------------------------------


def test_opening_a_cycle_prefills_a_draft_for_each_university_and_institute_with_achievements(world):
    h.contracts(world["unit"])
    AchievementFactory(unit=world["other"])
    UnitFactory(name="无成果大学")  # owns nothing: no report
    company = UnitFactory(name="某公司", type=UnitType.ENTERPRISE) if "enterprise" in UnitType.values else None
    if company:
        AchievementFactory(unit=company)
    out = io.StringIO()
    call_command("open_report_cycle", "--year", str(h.YEAR), "--deadline", "2024-05-31", stdout=out)
    reports = AnnualReport.objects.filter(year=h.YEAR)
    assert set(reports.values_list("unit__name", flat=True)) == {"甲大学", "乙研究院"}
    mine = reports.get(unit=world["unit"])
    assert mine.status == ReviewStatus.DRAFT and mine.reported == mine.registry
    assert mine.registry["transfer"]["contracts"] == 2
    assert Notification.objects.filter(event="report_cycle_opened", recipient=world["owner"]).exists()
    # Again: nothing duplicated, the deadline moves.
    call_command("open_report_cycle", "--year", str(h.YEAR), "--deadline", "2024-06-30", stdout=out)
    assert AnnualReport.objects.filter(year=h.YEAR).count() == 2
    assert ReportCycle.objects.get(year=h.YEAR).deadline == datetime.date(2024, 6, 30)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--year", "1984"], "1985"),
        (["--year", "2023", "--deadline", "2023-06-01"], "12月31日之后"),
        (["--year", "2023", "--deadline", "2024/05/31"], "YYYY-MM-DD"),
        (["--year", str(datetime.date.today().year + 1)], "今年"),
    ],
)
def test_open_report_cycle_refuses_bad_years_and_deadlines_naming_them(world, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("open_report_cycle", *args, stdout=io.StringIO())
    assert not ReportCycle.objects.exists()


def test_the_cycle_page_shows_each_units_state_overdue_filter_sort_and_reminds_the_late(
    world, mailoutbox, django_capture_on_commit_callbacks
):
    h.cycle(deadline=datetime.date(2024, 5, 31))  # past: the late are overdue
    late = h.report(world["unit"])
    filed = h.complete(h.report(world["other"]), world["stranger"])
    services.report_transition(report=filed, action="submit", acting_user=world["stranger"], expected_version=filed.version)
    staff = client_for(world["staff"])
    page = staff.get(reverse("reports:cycle_detail", args=[h.YEAR]))
    assert page.status_code == 200
    rows = {row["unit"].name: row for row in page.context["rows"]}
    assert rows["甲大学"]["state"] == "not_started" and rows["甲大学"]["overdue"]
    assert rows["乙研究院"]["state"] == "submitted" and not rows["乙研究院"]["overdue"]
    only_late = staff.get(reverse("reports:cycle_detail", args=[h.YEAR]), {"overdue": "1"})
    assert [r["unit"].name for r in only_late.context["rows"]] == ["甲大学"]
    by_state = staff.get(reverse("reports:cycle_detail", args=[h.YEAR]), {"sort": "-state"})
    assert [r["unit"].name for r in by_state.context["rows"]] == ["乙研究院", "甲大学"]
    bad = staff.get(reverse("reports:cycle_detail", args=[h.YEAR]), {"state": "nonsense", "sort": "x"})
    assert bad.status_code == 400 and "状态" in bad.content.decode()
    assert [name for name, _label, _m in bad.context["filter_errors"]] == ["state", "sort"]
    world["owner"].email = "owner@example.cn"
    world["owner"].save(update_fields=["email"])
    world["stranger"].email = "stranger@example.cn"
    world["stranger"].save(update_fields=["email"])
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(reverse("reports:cycle_remind", args=[h.YEAR]))
    assert response.status_code == 302
    reminded = Notification.objects.filter(event="report_reminder")
    assert list(reminded.values_list("recipient__username", flat=True)) == ["owner"]  # not the unit that filed
    assert reminded.get().url == late.get_absolute_url()
    assert [m.to for m in mailoutbox] == [["owner@example.cn"]]


def test_staff_open_a_cycle_on_the_page_and_units_cannot(world):
    AchievementFactory(unit=world["unit"])
    assert client_for(world["owner"]).get(reverse("reports:cycle_list")).status_code == 403
    staff = client_for(world["staff"])
    response = staff.post(reverse("reports:cycle_list"), {"year": "2023", "deadline": "2024-05-31"})
    assert response.status_code == 302
    assert AnnualReport.objects.filter(year=2023, unit=world["unit"]).exists()
    again = staff.post(reverse("reports:cycle_list"), {"year": "2023", "deadline": "2023-01-01"})
    assert again.status_code == 400 and "报送截止日期" in again.content.decode()
    for year in ("9999", "99999"):  # no default deadline is built from a year out of range (was a 500)
        far = staff.post(reverse("reports:cycle_list"), {"year": year})
        assert far.status_code == 400 and "报告年度" in far.content.decode(), year
    assert not ReportCycle.objects.filter(year__gt=2100).exists()
    with pytest.raises(CommandError, match="报告年度"):
        call_command("open_report_cycle", "--year", "99999")


def test_the_cycle_list_reads_a_fixed_number_of_queries(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    staff = client_for(world["staff"])
    h.report(world["unit"], year=h.YEAR)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            response = staff.get(reverse("reports:cycle_list"))
        assert response.status_code == 200
        return len(ctx), response.content.decode()

    count()  # warm up
    one, _page = count()
    for year in (h.YEAR - 1, h.YEAR - 2, h.YEAR - 3):
        h.report(UnitFactory(), year=year)
    assert count()[0] == one
    assert "<td>1</td>" in count()[1]


# --- checks --------------------------------------------------------------------------------------


@pytest.fixture
def draft(world):
    h.contracts(world["unit"])
    services.cycle_open(year=h.YEAR, acting_user=world["staff"])
    report = AnnualReport.objects.get(unit=world["unit"], year=h.YEAR)
    return h.complete(report, world["owner"])


def submit_errors(report, **changes):
    for name, value in changes.items():
        setattr(report, name, value)
    return checks.submission_errors(report)


def test_a_complete_report_passes_the_checks(draft):
    assert checks.submission_errors(draft) == {}


def test_totals_must_equal_the_sum_of_their_parts(draft):
    reported = {p: dict(v) for p, v in draft.reported.items()}
    reported["local"]["contracts"] += 1
    errors = submit_errors(draft, reported=reported)
    assert "reported.local.contracts" in errors
    assert "各转化方式合计" in errors["reported.local.contracts"][0]


def test_received_above_amount_and_negative_figures_are_named(draft):
    reported = {p: dict(v) for p, v in draft.reported.items()}
    reported["license"]["received"] = "60000.00"
    errors = submit_errors(draft, reported=reported)
    assert "许可 · 到账金额（元）" in errors["reported.license.received"][0]
    reported["license"]["received"] = "-1.00"
    errors = submit_errors(draft, reported=reported)
    assert "不能为负数" in errors["reported.license.received"][0]
    errors = submit_errors(draft, service_received=Decimal("999999999"))
    assert "service_received" in errors


def test_required_sections_are_named(draft):
    errors = submit_errors(draft, typical_cases="", fiscal_transformed=None, tto_exists=None)
    assert {"typical_cases", "fiscal_transformed", "tto_exists"} <= set(errors)
    assert errors["typical_cases"][0].startswith("典型案例")


def test_a_difference_from_the_registry_needs_a_one_line_explanation(draft):
    reported = {p: dict(v) for p, v in draft.reported.items()}
    reported["transfer"]["amount"] = "140000.00"
    reported["non_local"]["amount"] = "40000.00"
    errors = submit_errors(draft, reported=reported)
    assert set(errors) == {"reported.transfer.amount", "reported.non_local.amount"}
    assert "130000.00" in errors["reported.transfer.amount"][0]
    errors = submit_errors(draft, explanations={"reported.transfer.amount": "补录一份合同", "reported.non_local.amount": "同左"})
    assert errors == {}
    errors = checks.shape_errors(draft.__class__(**{**{f.attname: getattr(draft, f.attname) for f in draft._meta.concrete_fields if f.attname != "status"},
                                                    "explanations": {"reported.transfer.amount": "两行\n说明"}}))
    assert "reported.transfer.amount" in errors


def test_rewards_below_the_art45_minimum_warn_and_need_an_explanation_not_a_block(draft):
    errors = submit_errors(draft, net_income=Decimal("100000.00"), reward_cash=Decimal("30000.00"))
    assert list(errors) == ["team_share_explanation"] and "50%" in errors["team_share_explanation"][0]
    assert "的 30.0%，" in checks.team_share_warning(draft.__class__(net_income=Decimal("100000.00"), reward_cash=Decimal("30000.00"), year=draft.year))
    assert submit_errors(draft, team_share_explanation="本单位规定另以股权奖励") == {}
    assert checks.team_share_warning(draft)  # still shown as a warning


def test_the_art45_hook_supplies_the_minimum_share(draft):
    assert checks.minimum_team_share(2023) == Decimal("0.50")
    installed = checks._team_share_provider  # the incentives app's, put back for the tests that follow
    checks.set_team_share_provider(lambda year: Decimal("0.25") if year == 2023 else None)
    try:
        assert checks.minimum_team_share(2023) == Decimal("0.25")
        assert checks.minimum_team_share(2022) == Decimal("0.50")
        assert submit_errors(draft, net_income=Decimal("100000.00"), reward_cash=Decimal("30000.00")) == {}
    finally:
        checks.set_team_share_provider(installed)


@pytest.mark.parametrize("typed", ["1,2", "五万", "1e5", "12.345", "-3", " "])
def test_a_figure_typed_wrongly_is_a_message_naming_the_field_not_a_crash(typed):
    with pytest.raises(ValidationError) as exc:
        figures.parse_figure(typed, "许可 · 合同金额（元）", allow_blank=False)
    assert exc.value.messages[0].startswith("许可 · 合同金额（元）：")


@pytest.mark.parametrize("typed, integer", [("1" * 30, False), ("9" * 5000, False), ("9" * 5000, True), ("-" + "1" * 30, False)])
def test_a_figure_with_too_many_digits_is_a_message_not_a_crash(typed, integer):
    with pytest.raises(ValidationError) as exc:
        figures.parse_figure(typed, "许可 · 合同金额（元）", integer=integer)
    assert exc.value.messages[0].startswith("许可 · 合同金额（元）：")


def test_submitting_runs_the_checks_and_names_the_fields(draft, world):
    draft = services.report_update(report=draft, acting_user=world["owner"], changes={"problems": ""}, expected_version=draft.version)
    with pytest.raises(ValidationError) as exc:
        services.report_transition(report=draft, action="submit", acting_user=world["owner"], expected_version=draft.version)
    assert "problems" in exc.value.message_dict
    assert AnnualReport.objects.get(pk=draft.pk).status == ReviewStatus.DRAFT


# --- pages -----------------------------------------------------------------------------------------


def form_data(report, **overrides):
    data = {"version": report.version}
    for part in figures.PARTS:
        for figure in figures.FIGURES:
            data[f"rep__{part}__{figure}"] = report.reported[part][figure]
    for name in figures.SECTION_FIELDS:
        value = getattr(report, name)
        data[name] = {True: "true", False: "false", None: ""}.get(value, value) if name == "tto_exists" else (value if value is not None else "")
    data.update(overrides)
    return data


def test_the_unit_saves_its_draft_on_the_page_with_figures_beside_the_registry(draft, world):
    owner = client_for(world["owner"])
    url = reverse("reports:report_edit", args=[draft.pk])
    page = owner.get(url)
    assert page.status_code == 200 and "130000.00" in page.content.decode()
    response = owner.post(url, form_data(draft, rep__transfer__amount="140000.00", rep__non_local__amount="40000.00",
                                         exp__transfer__amount="补录合同", companies="2"))
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.reported["transfer"]["amount"] == "140000.00" and draft.companies == 2
    assert draft.explanations == {"reported.transfer.amount": "补录合同"}
    detail = owner.get(reverse("reports:report_detail", args=[draft.pk])).content.decode()
    assert "补录合同" in detail and 'class="differs"' in detail


@pytest.mark.parametrize("typed", ["1,2", "五万"])
def test_a_figure_typed_as_text_on_the_page_is_a_400_naming_the_field(draft, world, typed):
    response = client_for(world["owner"]).post(reverse("reports:report_edit", args=[draft.pk]),
                                              form_data(draft, rep__license__amount=typed, sme_amount=typed))
    assert response.status_code == 400
    body = response.content.decode()
    assert "许可 · 合同金额（元）：" in body and "向中小企业转化 · 合同金额（元）：" in body
    assert AnnualReport.objects.get(pk=draft.pk).version == draft.version


def test_two_tabs_the_second_save_is_a_409_and_overwrites_nothing(draft, world):
    owner = client_for(world["owner"])
    url = reverse("reports:report_edit", args=[draft.pk])
    assert owner.post(url, form_data(draft, companies="1")).status_code == 302
    second = owner.post(url, form_data(draft, companies="7"))
    assert second.status_code == 409
    assert AnnualReport.objects.get(pk=draft.pk).companies == 1


def test_refresh_from_registry_rereads_and_keeps_the_units_changes(draft, world):
    draft = services.report_update(report=draft, acting_user=world["owner"], changes={
        "reported": {**draft.reported, "license": {"contracts": 1, "amount": "55000.00", "received": "0.00"}},
    }, expected_version=draft.version)
    h.contracts(world["unit"])  # three more contracts, snapshot recomputed
    response = client_for(world["owner"]).post(reverse("reports:report_refresh", args=[draft.pk]), {"version": draft.version})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.registry["transfer"]["contracts"] == 4 and draft.reported["transfer"]["contracts"] == 4
    assert draft.reported["license"]["amount"] == "55000.00"  # typed by the unit: kept


def test_a_submitted_report_cannot_be_edited_or_refreshed_at_any_door(draft, world):
    draft = services.report_transition(report=draft, action="submit", acting_user=world["owner"], expected_version=draft.version)
    owner = client_for(world["owner"])
    response = owner.post(reverse("reports:report_edit", args=[draft.pk]), form_data(draft, companies="9"))
    assert response.status_code == 302
    response = owner.post(reverse("reports:report_refresh", args=[draft.pk]), {"version": draft.version})
    api = api_for(world["owner"]).patch(f"{API}{draft.pk}/", {"version": draft.version, "companies": 9}, format="json")
    assert api.status_code == 400 and "已锁定" in str(api.json())
    assert AnnualReport.objects.get(pk=draft.pk).companies == draft.companies


def test_nobody_but_the_unit_sees_a_draft_and_other_units_see_nothing(draft, world):
    url = reverse("reports:report_detail", args=[draft.pk])
    assert client_for(world["owner"]).get(url).status_code == 200
    assert client_for(world["stranger"]).get(url).status_code == 404
    assert client_for(world["staff"]).get(url).status_code == 404  # a draft is the unit's alone
    assert api_for(world["stranger"]).get(f"{API}{draft.pk}/").status_code == 404
    services.report_transition(report=draft, action="submit", acting_user=world["owner"], expected_version=draft.version)
    assert client_for(world["staff"]).get(url).status_code == 200
    assert client_for(world["stranger"]).get(url).status_code == 404


def test_the_review_pages_return_with_field_comments_and_accept(draft, world):
    owner, staff = client_for(world["owner"]), client_for(world["staff"])
    assert owner.post(reverse("reports:report_submit", args=[draft.pk]), {"version": draft.version}).status_code == 302
    draft.refresh_from_db()
    page = staff.get(reverse("reports:report_return_for_changes", args=[draft.pk]))
    assert page.status_code == 200 and "comment__tto_staff" in page.content.decode()
    response = staff.post(reverse("reports:report_return_for_changes", args=[draft.pk]),
                          {"version": draft.version, "comment__tto_staff": "请核实专职人员数"})
    assert response.status_code == 302
    detail = owner.get(reverse("reports:report_detail", args=[draft.pk])).content.decode()
    assert "请核实专职人员数" in detail
    assert owner.post(reverse("reports:report_accept", args=[draft.pk]), {"version": draft.version + 1}).status_code == 403


# --- outputs ---------------------------------------------------------------------------------------


def accepted(report, world):
    report = services.report_transition(report=report, action="submit", acting_user=world["owner"], expected_version=report.version)
    return services.report_transition(report=report, action="accept", acting_user=world["staff"], expected_version=report.version)


def test_print_page_and_xlsx_of_one_report_neutralise_formulas(draft, world):
    draft = services.report_update(report=draft, acting_user=world["owner"], changes={"typical_cases": "=HYPERLINK(\"x\")"},
                                   expected_version=draft.version)
    owner = client_for(world["owner"])
    printed = owner.get(reverse("reports:report_print", args=[draft.pk]))
    assert printed.status_code == 200 and "年度科技成果转化年度报告" in printed.content.decode()
    xlsx = owner.get(reverse("reports:report_xlsx", args=[draft.pk]))
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    values = [cell.value for row in sheet.iter_rows() for cell in row if cell.value is not None]
    assert "'=HYPERLINK(\"x\")" in values
    assert 130000 == next(row[1].value for row in sheet.iter_rows() if row[0].value == "转让 · 合同金额（元）")


def test_the_province_workbook_has_one_row_per_accepted_report_and_totals(draft, world):
    accepted(draft, world)
    other = h.complete(h.report(world["other"]), world["stranger"])  # left as a draft: not in the workbook
    assert other.status == ReviewStatus.DRAFT
    response = client_for(world["staff"]).get(reverse("reports:cycle_export", args=[h.YEAR]))
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert [r[0] for r in rows[1:-1]] == ["甲大学"]
    header = rows[0]
    column = header.index("转让 · 合同金额（元）")
    assert rows[-1][0].startswith("合计") and Decimal(str(rows[-1][column])) == Decimal("130000")
    assert client_for(world["owner"]).get(reverse("reports:cycle_export", args=[h.YEAR])).status_code == 403


def test_the_dashboard_panel_compares_reported_with_registry_and_flags_large_differences(draft, world):
    from reports.panels import comparison_rows

    reported = {p: dict(v) for p, v in draft.reported.items()}
    reported["transfer"]["amount"] = "200000.00"
    reported["non_local"]["amount"] = "100000.00"
    draft = services.report_update(report=draft, acting_user=world["owner"], changes={
        "reported": reported,
        "explanations": {"reported.transfer.amount": "补录", "reported.non_local.amount": "补录"}},
        expected_version=draft.version)
    assert comparison_rows(year=h.YEAR) == []  # a draft is not compared
    accepted(draft, world)
    (row,) = comparison_rows(year=h.YEAR)
    assert row["difference"] == Decimal("70000.00") and row["large"]
    page = client_for(world["staff"]).get("/dashboard/", {"year": h.YEAR})
    assert page.status_code == 200 and "年度报告：填报数与成果库数据" in page.content.decode()


def test_the_unit_sees_its_deadline_on_its_home_page(draft, world):
    page = client_for(world["owner"]).get("/")
    assert "2024-05-31" in page.content.decode() and "年度报告" in page.content.decode()
    assert "2024-05-31" not in client_for(world["stranger"]).get("/").content.decode()


# --- API -----------------------------------------------------------------------------------------


def test_the_api_lists_reports_as_data_spec_says(draft, world):
    draft = accepted(draft, world)
    answer = api_for(world["staff"]).get(API, {"year": h.YEAR})
    assert answer.status_code == 200
    (item,) = answer.json()["results"]
    assert item["unit"] == world["unit"].code and item["year"] == h.YEAR
    assert item["status"] == "accepted" and item["revision"] == 1
    assert item["registry"] == draft.registry and set(item["registry"]) == set(figures.PARTS)
    assert item["reported"]["transfer"] == {"contracts": 2, "amount": "130000.00", "received": "70000.00"}
    for bad in ({"year": "abc"}, {"status": "resubmitted"}, {"unit": "nobody"}, {"all_revisions": "maybe"}):
        assert api_for(world["staff"]).get(API, bad).status_code == 400


def test_the_api_reads_all_revisions_as_every_yes_no_parameter(draft, world):
    first = accepted(draft, world)
    services.report_revise(report=first, acting_user=world["owner"])
    api = api_for(world["owner"])
    for value, revisions in (("true", [1, 2]), ("1", [1, 2]), ("yes", [1, 2]), ("是", [1, 2]),
                             ("false", [2]), ("0", [2]), ("", [2])):
        answer = api.get(API, {"all_revisions": value})
        assert answer.status_code == 200, value
        assert [item["revision"] for item in answer.json()["results"]] == revisions, value
    bad = api.get(API, {"all_revisions": "maybe"})
    assert bad.status_code == 400 and list(bad.json()) == ["all_revisions"]


def test_a_units_token_files_its_report_by_api_with_the_same_checks(world):
    h.contracts(world["unit"])
    h.cycle()
    api = api_for(world["owner"])
    created = api.post(API, {"year": h.YEAR}, format="json")
    assert created.status_code == 201
    report = created.json()
    assert report["status"] == "draft" and report["registry"]["transfer"]["contracts"] == 2
    assert api.post(API, {"year": h.YEAR}, format="json").status_code == 400  # no duplicate
    url = f"{API}{report['id']}/"
    bad = api.patch(url, {"version": report["version"], "sme_amount": "五万", "reported": {**report["registry"], "equity": {"contracts": -1, "amount": "1,2", "received": "0"}}}, format="json")
    assert bad.status_code == 400
    assert set(bad.json()) >= {"sme_amount", "reported.equity.contracts", "reported.equity.amount"}
    # more digits than Python or the decimal context takes: a 400 naming the field, not a 500
    huge = api.patch(url, {"version": report["version"], "sme_amount": "1" * 30, "companies": "9" * 5000}, format="json")
    assert huge.status_code == 400 and set(huge.json()) >= {"sme_amount", "companies"}
    fields = h.complete_fields(AnnualReport.objects.get(pk=report["id"]))
    body = {k: (str(v) if isinstance(v, Decimal) else v) for k, v in fields.items()}
    saved = api.patch(url, {"version": report["version"], **body}, format="json")
    assert saved.status_code == 200
    stale = api.patch(url, {"version": report["version"], "companies": 5}, format="json")
    assert stale.status_code == 409 and stale.json()["code"] == "stale_version"
    version = saved.json()["version"]
    assert api.post(f"{url}accept/", {"version": version}, format="json").status_code == 403
    submitted = api.post(f"{url}submit/", {"version": version}, format="json")
    assert submitted.status_code == 200 and submitted.json()["status"] == "submitted"
    staff = api_for(world["staff"])
    returned = staff.post(f"{url}return/", {"version": submitted.json()["version"],
                                             "comments": [{"field": "tto_staff", "text": "请核实"}]}, format="json")
    assert returned.status_code == 200 and returned.json()["status"] == "returned"
    again = api.post(f"{url}resubmit/", {"version": returned.json()["version"]}, format="json")
    assert again.json()["status"] == "submitted" and again.json()["review_status"] == "resubmitted"
    done = staff.post(f"{url}accept/", {"version": again.json()["version"]}, format="json")
    assert done.json()["status"] == "accepted"
    revised = api.post(f"{url}revise/", {"version": done.json()["version"]}, format="json")
    assert revised.status_code == 201 and revised.json()["revision"] == 2
    assert api.post(API, {"year": h.YEAR}, format="json").status_code == 400  # only revisions


def test_another_units_token_cannot_read_file_or_submit(draft, world):
    api = api_for(world["stranger"])
    assert api.get(f"{API}{draft.pk}/").status_code == 404
    assert api.patch(f"{API}{draft.pk}/", {"version": draft.version, "companies": 1}, format="json").status_code == 404
    assert api.post(f"{API}{draft.pk}/submit/", {"version": draft.version}, format="json").status_code == 404
    assert api.get(API).json()["results"] == []


# --- demo ------------------------------------------------------------------------------------------


def test_the_demo_cycle_leaves_reports_in_every_state_and_prefills_the_statistics_breakdown(demo_data):
    from dashboards.selectors import Scope, stats_breakdown

    reports = AnnualReport.objects.filter(year=2023)
    states = set(reports.values_list("status", flat=True))
    assert states == set(ReviewStatus.values)
    assert reports.filter(revision=2).exists()
    assert reports.filter(status=ReviewStatus.DRAFT, version=1).exists()  # not started
    for report in reports.filter(revision=1).select_related("unit"):
        rows = stats_breakdown(year=2023, by="mode", scope=Scope(unit=report.unit.code))
        expected = {mode: {"contracts": 0, "amount": "0.00", "received": "0.00"} for mode in figures.MODES}
        for row in rows:
            expected[row["key"]] = {"contracts": row["contracts"], "amount": row["amount"], "received": row["received"]}
        assert {mode: report.registry[mode] for mode in figures.MODES} == expected, report.unit.name
        total = figures.block_total(report.registry, figures.MODES)
        places = figures.block_total(report.registry, figures.PLACES)
        assert total == places


# --- query counts ----------------------------------------------------------------------------------


def _filed(unit, staff):
    owner = user_create_unit_user(username=f"u{unit.pk}", password="pass-for-tests-1", unit=unit)
    report = h.complete(h.report(unit), owner)
    report = services.report_transition(report=report, action="submit", acting_user=owner, expected_version=report.version)
    return report


def test_the_list_endpoint_and_page_read_a_fixed_number_of_queries(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _filed(world["unit"], world["staff"])
    api = api_for(world["staff"])
    staff = client_for(world["staff"])

    def count(call):
        with CaptureQueriesContext(connection) as ctx:
            assert call().status_code == 200
        return len(ctx)

    api.get(API), staff.get(reverse("reports:report_list"))  # warm up (token use, caches)
    one_api, one_page = count(lambda: api.get(API)), count(lambda: staff.get(reverse("reports:report_list")))
    for _n in range(4):
        _filed(UnitFactory(), world["staff"])
    api.get(API), staff.get(reverse("reports:report_list"))  # the bell's count, forgotten by the new notifications
    assert count(lambda: api.get(API)) == one_api
    assert count(lambda: staff.get(reverse("reports:report_list"))) == one_page
    assert len(api.get(API).json()["results"]) == 5


def test_while_a_correction_is_drafted_staff_still_find_the_accepted_revision(draft, world):
    first = accepted(draft, world)
    second = services.report_revise(report=first, acting_user=world["owner"])
    assert [r.pk for r in services.selectors.current_reports(world["staff"])] == [first.pk]
    assert [r.pk for r in services.selectors.current_reports(world["owner"])] == [second.pk]
    (item,) = api_for(world["staff"]).get(API, {"year": h.YEAR}).json()["results"]
    assert (item["id"], item["revision"], item["is_current"]) == (first.pk, 1, False)
    page = client_for(world["staff"]).get(reverse("reports:cycle_detail", args=[h.YEAR]))
    assert first.get_absolute_url() in page.content.decode() and second.get_absolute_url() not in page.content.decode()


def test_a_correction_of_a_version_the_caller_did_not_read_is_refused_as_stale(draft, world):
    from core.exceptions import StaleVersionError

    first = accepted(draft, world)
    with pytest.raises(StaleVersionError):
        services.report_revise(report=first, acting_user=world["owner"], expected_version=first.version - 1)
    assert AnnualReport.objects.filter(unit=world["unit"]).count() == 1
    second = services.report_revise(report=first, acting_user=world["owner"], expected_version=first.version)
    assert second.revision == 2
    # the same request again: the accepted revision's version moved on, so it is stale, not a third revision
    with pytest.raises(StaleVersionError):
        services.report_revise(report=first, acting_user=world["owner"], expected_version=first.version)
    assert AnnualReport.objects.filter(unit=world["unit"]).count() == 2


def test_a_correction_by_api_with_a_stale_version_is_a_409_and_opens_no_revision(draft, world):
    first = accepted(draft, world)
    api = api_for(world["owner"])
    url = f"{API}{first.pk}/revise/"
    stale = api.post(url, {"version": first.version - 1}, format="json")
    assert stale.status_code == 409
    assert (stale.json()["code"], stale.json()["current_version"]) == ("stale_version", first.version)
    assert AnnualReport.objects.filter(unit=world["unit"]).count() == 1
    revised = api.post(url, {"version": first.version, "note": "更正"}, format="json")
    assert revised.status_code == 201 and revised.json()["revision"] == 2
    # a retry of the same request: the accepted revision's version moved on under the lock
    again = api.post(url, {"version": first.version}, format="json")
    assert again.status_code == 409 and again.json()["current_version"] == first.version + 1
    assert AnnualReport.objects.filter(unit=world["unit"]).count() == 2


@pytest.mark.parametrize(
    ("parameter", "value"), [("state", "nonsense"), ("overdue", "maybe"), ("overdue", "2"), ("sort", "-nonsense")]
)
def test_a_bad_cycle_page_parameter_is_a_400_naming_it(world, parameter, value):
    h.cycle()
    h.report(world["unit"])
    page = client_for(world["staff"]).get(reverse("reports:cycle_detail", args=[h.YEAR]), {parameter: value})
    assert page.status_code == 400
    assert [name for name, _label, _m in page.context["filter_errors"]] == [parameter]
    assert f"<code>{parameter}</code>" in page.content.decode()
    assert page.context["rows"] == []  # no rows rather than an unfiltered list
    assert page.context["total"] == 1  # the counts still shown


@pytest.mark.parametrize("value", ["true", "1", "是"])
def test_the_cycle_page_reads_overdue_as_every_yes_no_parameter(world, value):
    h.cycle(deadline=datetime.date(2024, 5, 31))
    h.report(world["unit"])
    page = client_for(world["staff"]).get(reverse("reports:cycle_detail", args=[h.YEAR]), {"overdue": value})
    assert page.status_code == 200
    assert [row["unit"].name for row in page.context["rows"]] == ["甲大学"]
    assert page.context["overdue"] == "1"  # the form's select and the sort links keep it


def test_the_cycle_page_reads_the_overview_once_in_a_fixed_number_of_queries(world, monkeypatch):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from reports import selectors

    h.cycle()
    _filed(world["unit"], world["staff"])
    staff = client_for(world["staff"])
    url = reverse("reports:cycle_detail", args=[h.YEAR])

    def count(params, status=200):
        with CaptureQueriesContext(connection) as ctx:
            assert staff.get(url, params).status_code == status
        return len(ctx)

    staff.get(url)  # warm up (session, caches)
    plain = count({})
    for _n in range(4):
        _filed(UnitFactory(), world["staff"])
    staff.get(url)  # the bell's count, forgotten by the new notifications
    assert count({}) == plain
    assert count({"state": "submitted", "overdue": "0", "sort": "-updated"}) == plain
    assert count({"state": "nonsense"}, status=400) == plain  # the counts need the overview anyway
    calls = []
    real = selectors._cycle_rows
    monkeypatch.setattr(selectors, "_cycle_rows", lambda cycle: calls.append(cycle) or real(cycle))
    page = staff.get(url, {"state": "submitted"})
    assert len(calls) == 1 and len(page.context["rows"]) == page.context["total"] == 5


def test_opening_a_cycle_without_statistics_says_the_registry_figures_are_not_computed(world):
    AchievementFactory(unit=world["unit"])
    err = io.StringIO()
    call_command("open_report_cycle", "--year", "2023", stdout=io.StringIO(), stderr=err)
    assert "统计数据尚未计算" in err.getvalue()
    h.contracts(world["unit"])  # computes the statistics
    err = io.StringIO()
    call_command("open_report_cycle", "--year", "2023", stdout=io.StringIO(), stderr=err)
    assert err.getvalue() == ""

"""Incentives, reviewed against its issue at every door: typed amounts and rates refused with the
parameter named (service, page, preview), the paid list's bad amounts named by row, the budget's
last record getting what is left, the pilot-base support rule on real pilot evaluations (grades
from ``pilots.services.evaluate_year``, re-graded bases, the operator notified), the Art. 45 minimum
read by the annual reports' shortfall check, overlong texts and dates outside 1985..today refused
with the field named, and the pages in English."""

import datetime
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse

from incentives import services
from incentives.models import Award, Listing, Rule, RuleParameter
from incentives.parameters import clean_value
from notifications.models import Notification
from pilots import selectors as pilot_selectors
from pilots import services as pilot_services

from .pilot_factories import make_base, make_report
from .test_incentives import _paid_file, awards, contract, post_subsidy

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _eager(celery_eager):
    """Tasks (evaluations, e-mails, imports) run in-process here, also when a real broker is
    configured (the PostgreSQL run of CI); the worker's own tests are tests/test_celery_worker.py."""
    return celery_eager

YEAR = 2024
D = Decimal


# --- typed amounts and rates ------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["1,2", "五万", "-1", "1e5", "12,34.00", "NaN", "1.234", "100000000000000.01"])
def test_a_typed_amount_that_is_not_one_is_refused_naming_the_parameter(raw):
    with pytest.raises(ValidationError) as caught:
        clean_value("cap_per_award", raw)
    assert "cap_per_award" in " ".join(caught.value.messages)


def test_thousands_separators_are_read_when_they_group_thousands():
    assert clean_value("cap_per_award", "2,000,000.00") == "2000000.00"
    assert clean_value("budget_per_year", " 100000000 ") == "100000000.00"
    assert clean_value("formula", '{"kind": "fixed", "amount": "20,000.00"}') == {"kind": "fixed", "amount": "20000.00"}


@pytest.mark.parametrize("raw", ["1.5", "-0.1", "5%", "百分之五", "0.0000001"])
def test_a_rate_over_100_percent_or_not_a_rate_is_refused(raw):
    with pytest.raises(ValidationError) as caught:
        clean_value("team_share_equity", raw)
    assert "team_share_equity" in " ".join(caught.value.messages)
    with pytest.raises(ValidationError, match="formula"):
        clean_value("formula", {"kind": "percent", "base": "received", "rate": raw})


def test_the_parameter_page_refuses_bad_values_naming_the_field_and_writes_nothing(staff_client):
    rule = post_subsidy()
    before = (RuleParameter.objects.count(), rule.version)
    url = reverse("incentives:parameter_add", args=[rule.pk])
    cases = [
        ({"key": "cap_per_award", "value": "1,2", "valid_from": "2025-01-01"}, "cap_per_award"),
        ({"key": "cap_per_award", "value": "五万", "valid_from": "2025-01-01"}, "cap_per_award"),
        ({"key": "cap_per_award", "value": "-100", "valid_from": "2025-01-01"}, "cap_per_award"),
        ({"key": "formula", "value": '{"kind": "percent", "base": "received", "rate": "1.2"}',
          "valid_from": "2025-01-01"}, "formula"),
        ({"key": "cap_per_award", "value": "100", "valid_from": "1984-12-31"}, "1985-01-01"),
        ({"key": "cap_per_award", "value": "100", "valid_from": "2025-02-30"}, "起始日期"),
        ({"key": "cap_per_award", "value": "100", "valid_from": "2025-01-01", "note": "长" * 301}, "说明"),
    ]
    for data, named in cases:
        response = staff_client.post(url, data, follow=True)
        assert response.status_code == 200, data
        assert named in response.content.decode(), data
    rule.refresh_from_db()
    assert (RuleParameter.objects.count(), rule.version) == before


def test_the_preview_refuses_bad_input_with_a_400_naming_the_field(staff_client):
    rule = post_subsidy()
    url = reverse("incentives:rule_preview", args=[rule.pk])
    for query, named in [
        ({"key": "cap_per_award", "value": "1,2", "valid_from": "2024-01-01", "year": "2024"}, "cap_per_award"),
        ({"key": "formula", "value": "{", "valid_from": "2024-01-01", "year": "2024"}, "formula"),
        ({"key": "cap_per_award", "value": "10", "valid_from": "2024-01-01", "year": "1984"}, "评审年度"),
        ({"key": "cap_per_award", "value": "10", "valid_from": "2024-01-01", "year": "2999"}, "年度"),
    ]:
        response = staff_client.get(url, query)
        assert response.status_code == 400, query
        assert named in response.content.decode(), query
    assert not Award.objects.exists()


# --- the paid list ------------------------------------------------------------------------------------


def test_a_paid_list_with_an_amount_that_is_not_one_names_the_row_and_writes_nothing(staff_client, staff_user):
    c1, c2 = contract(), contract()
    services.evaluate_rule(rule=post_subsidy(), year=YEAR)
    a1, a2 = awards()[c1.pk], awards()[c2.pk]
    services.awards_decide(awards=[a1, a2], approve=True, comment="", acting_user=staff_user)
    header = ["奖补编号", "奖补金额（元）", "支付日期"]
    rows = [header, [a1.pk, f"{a1.amount:,.2f}", "2025-04-01"], [a2.pk, "五万", "2025-04-01"]]
    response = staff_client.post(reverse("incentives:paid_import"), {"file": _paid_file(rows)})
    body = response.content.decode()
    assert response.status_code == 400 and "第 3 行" in body and "五万" in body
    assert not Award.objects.filter(status="paid").exists()
    rows[2][1] = str(a2.amount)
    rows.append([a1.pk, None, "2099-01-01"])  # a date after today: named by its row
    response = staff_client.post(reverse("incentives:paid_import"), {"file": _paid_file(rows)})
    assert response.status_code == 400 and "第 4 行" in response.content.decode()
    assert not Award.objects.filter(status="paid").exists()
    response = staff_client.post(reverse("incentives:paid_import"), {"file": _paid_file(rows[:3])})
    assert response.status_code == 302  # "1,234.56" with thousands separators matches the amount
    assert Award.objects.filter(status="paid").count() == 2


def test_the_paid_button_refuses_a_date_outside_1985_to_today(staff_client, staff_user):
    c = contract()
    services.evaluate_rule(rule=post_subsidy(), year=YEAR)
    award = awards()[c.pk]
    services.awards_decide(awards=[award], approve=True, comment="", acting_user=staff_user)
    url = reverse("incentives:award_paid", args=[award.pk])
    for day in ("1984-12-31", (datetime.date.today() + datetime.timedelta(days=2)).isoformat(), "昨天"):
        response = staff_client.post(url, {"paid_on": day}, follow=True)
        assert response.status_code in (200, 400) and "支付日期" in response.content.decode(), day
    award.refresh_from_db()
    assert award.status == "approved" and award.paid_on is None


# --- the budget's last record ------------------------------------------------------------------------


def test_the_record_where_the_budget_runs_out_gets_what_is_left_and_the_rest_nothing(staff_user):
    rule = post_subsidy()
    services.parameter_add(rule=rule, key="budget_per_year", value="250000.00", valid_from=datetime.date(2024, 1, 1),
                           acting_user=staff_user)
    made = [contract(received="2000000.00") for _ in range(4)]  # 100,000.00 each
    services.evaluate_rule(rule=rule, year=YEAR)
    got = awards()
    ordered = sorted(made, key=lambda c: (c.transferee.code, c.signed_on, c.unit.code, c.ref))
    assert [got[c.pk].amount if c.pk in got else None for c in ordered] == [
        D("100000.00"), D("100000.00"), D("50000.00"), None]
    assert "年度预算仅剩 50,000.00，计 50,000.00" in got[ordered[2].pk].explanation
    assert sum(a.amount for a in got.values()) == D("250000.00")


# --- the pilot-base support rule on real pilot evaluations ------------------------------------------------

# (figures of the base, of its report, rating) → grade, as in tests/test_pilots.py's hand-computed table
PILOT_BASES = {
    "A": ((60000, 350, 60), (25, 70, 12_000_000, 60), (95, 92)),  # 优秀
    "E": ((60000, 350, 60), (25, 70, 12_000_000, 60), (80, 92)),  # 良好
    "B": ((10000, 150, 30), (8, 35, 3_000_000, 30), (80, 70)),  # 合格
    "C": ((3000, 50, 10), (2, 5, 500_000, 10), (None, None)),  # 不合格
}


def _graded_bases(unit, staff_user):
    bases = {}
    for key, ((area, equipment, staff), (tests, served, revenue, year_end), (mgmt, rep)) in PILOT_BASES.items():
        base = make_base(unit, code=f"INC-{key}", site_area_m2=D(area), equipment_count=equipment, staff_count=staff)
        make_report(base, YEAR, pilot_tests=tests, enterprises_served=served, enterprises_local=0,
                    revenue=D(revenue), staff_year_end=year_end)
        if mgmt is not None:
            pilot_services.rating_save(base=base, year=YEAR, management=mgmt, reputation=rep, acting_user=staff_user)
        bases[key] = base
    pilot_services.evaluate_year(year=YEAR, acting_user=staff_user)
    return bases


def test_pilot_base_support_pays_by_the_grades_of_the_real_evaluation(unit, unit_user, staff_user):
    bases = _graded_bases(unit, staff_user)
    grades = pilot_selectors.base_grades(YEAR)
    assert {code: grades[code] for code in ("INC-A", "INC-E", "INC-B", "INC-C")} == {
        "INC-A": "excellent", "INC-E": "good", "INC-B": "pass", "INC-C": "fail"}
    rule = Rule.objects.get(code="pilot_base_support")
    result = services.evaluate_rule(rule=rule, year=YEAR, acting_user=staff_user)
    got = {a.pilot_base_code: a for a in Award.objects.filter(rule=rule, year=YEAR)}
    assert {code: a.amount for code, a in got.items()} == {"INC-A": D("500000.00"), "INC-E": D("300000.00")}
    assert result.counts["created"] == 2
    a, e = got["INC-A"], got["INC-E"]
    assert a.unit_id == unit.pk and a.beneficiary_kind == "pilot_base" and a.beneficiary_name == bases["A"].name
    assert "考评等级优秀，定额 500,000.00" in a.explanation
    assert a.parameters["formula"]["valid_from"] == "2023-01-01"
    # decisions notify the operating unit
    services.awards_decide(awards=[a], approve=True, comment="同意", acting_user=staff_user)
    assert Notification.objects.filter(recipient=unit_user, event="incentive_award_approved").count() == 1
    # the department raises the grade lines and evaluates again: E (96 points) falls to 合格 and its
    # proposal is withdrawn with the reason; A's approved award never changes, whatever A's grade
    rubric = pilot_services.rubric_for_year(year=YEAR, acting_user=staff_user)
    pilot_services.rubric_update(rubric=rubric, acting_user=staff_user, excellent_min=D("100"), good_min=D("99"),
                                 pass_min=D("60"))
    pilot_services.evaluate_year(year=YEAR, acting_user=staff_user)
    regraded = pilot_selectors.base_grades(YEAR)
    assert regraded["INC-E"] == "pass"
    again = services.evaluate_rule(rule=rule, year=YEAR, acting_user=staff_user)
    a.refresh_from_db()
    e.refresh_from_db()
    assert (a.status, a.amount) == ("approved", D("500000.00"))
    assert e.status == "withdrawn" and "考评等级" in e.comment
    assert again.counts["withdrawn"] == 1
    # and a third run writes nothing
    third = services.evaluate_rule(rule=rule, year=YEAR, acting_user=staff_user)
    assert third.counts["created"] == third.counts["updated"] == third.counts["withdrawn"] == 0


# --- the Law's Art. 45 check in the annual reports ---------------------------------------------------------


def test_a_report_below_the_rules_minimum_team_share_is_flagged(staff_user):
    from reports import checks
    from reports.models import AnnualReport

    report = AnnualReport(year=YEAR, net_income=D("1000000.00"), reward_cash=D("550000.00"))
    assert not checks.team_share_below_minimum(report)  # 55 % ≥ the shipped 50 %
    services.parameter_add(rule=Rule.objects.get(code="art45_team_share"), key="team_share_transfer_license",
                           value="0.6", valid_from=datetime.date(YEAR, 1, 1), acting_user=staff_user)
    assert checks.team_share_below_minimum(report)
    assert "60%" in checks.team_share_warning(report)
    earlier = AnnualReport(year=YEAR - 1, net_income=D("1000000.00"), reward_cash=D("550000.00"))
    assert not checks.team_share_below_minimum(earlier)  # the new value applies from its date only


# --- overlong texts, English pages ---------------------------------------------------------------------------


def test_overlong_rule_texts_and_justifications_are_refused_naming_the_field(staff_client, client, unit, unit_user):
    response = staff_client.post(reverse("incentives:rule_create"), {
        "code": "x" * 60, "name": "名" * 201, "policy": "辽科发〔2025〕1号", "kind": "payment", "subject": "contract",
        "beneficiary_kind": "unit", "valid_from": "2025-01-01"})
    body = response.content.decode()
    assert response.status_code == 400 and "规则名称" in body and "规则代码" in body
    assert not Rule.objects.filter(policy="辽科发〔2025〕1号").exists()
    listing = _listing(unit)
    client.force_login(unit_user)
    response = client.post(reverse("incentives:listing_justify", args=[listing.pk]),
                           {"version": listing.version, "justification": "理" * 5001}, follow=True)
    assert "未转化理由" in response.content.decode()
    listing.refresh_from_db()
    assert listing.justification == "" and listing.justification_status == "none"


def _listing(unit):
    from .factories import AchievementFactory

    AchievementFactory(unit=unit, funded=True, ip_granted_on=datetime.date(2018, 5, 1))
    services.listing_refresh(on=datetime.date(2024, 6, 1), notify_units=False)
    return Listing.objects.get(unit=unit)


def test_the_pages_render_in_english(staff_client, client, unit, staff_user):
    c = contract(unit=unit)
    services.evaluate_rule(rule=post_subsidy(), year=YEAR)
    award = awards()[c.pk]
    listing = _listing(unit)
    staff_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    rule = post_subsidy()
    pages = [
        reverse("incentives:rule_list"),
        reverse("incentives:rule_detail", args=[rule.pk]),
        reverse("incentives:rule_create"),
        reverse("incentives:rule_preview", args=[rule.pk]) + "?key=cap_per_award&value=100000&valid_from=2024-01-01&year=2024",
        reverse("incentives:award_list"),
        reverse("incentives:award_detail", args=[award.pk]),
        reverse("incentives:paid_import"),
        reverse("incentives:beneficiary", args=["transferee", award.beneficiary_code]),
        reverse("incentives:listing_list"),
        reverse("incentives:listing_detail", args=[listing.pk]),
    ]
    for url in pages:
        response = staff_client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Content-Language"] == "en", url
    response = client.get(reverse("incentives:public_list"))
    assert response.status_code == 200 and response.headers["Content-Language"] == "en"
    assert listing.achievement.ref in response.content.decode()


# --- only an active payment rule valid in the year is evaluated, at every door ------------------------------


def test_a_draft_a_check_rule_or_a_year_outside_the_validity_is_not_evaluated(staff_client, staff_user):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    contract()
    draft = services.rule_create(acting_user=staff_user, code="draft_rule", name="草稿", policy="测试", kind="payment",
                                 subject="contract", beneficiary_kind="unit", valid_from=datetime.date(2024, 1, 1))
    services.parameter_add(rule=draft, key="formula", value='{"kind": "fixed", "amount": "100.00"}',
                           valid_from=datetime.date(2024, 1, 1), acting_user=staff_user)
    with pytest.raises(ValidationError, match="草稿"):
        services.evaluate_rule(rule=draft, year=YEAR, acting_user=staff_user)
    with pytest.raises(CommandError, match="draft_rule"):
        call_command("evaluate_incentives", "--year", str(YEAR), "--rule", "draft_rule")
    response = staff_client.post(reverse("incentives:rule_evaluate", args=[draft.pk]), {"year": YEAR}, follow=True)
    assert "只有生效的规则可以评审" in response.content.decode()
    with pytest.raises(ValidationError, match="核查规则"):
        services.evaluate_rule(rule=Rule.objects.get(code="art45_team_share"), year=YEAR)
    with pytest.raises(ValidationError, match="有效期"):  # the post-subsidy is valid from 2021
        services.evaluate_rule(rule=post_subsidy(), year=2020)
    assert not Award.objects.exists()


def test_the_page_refuses_a_rule_without_a_formula_in_the_year_before_queueing(staff_client, staff_user, monkeypatch):
    rule = services.rule_create(acting_user=staff_user, code="late_formula", name="公式晚生效", policy="测试",
                                kind="payment", subject="contract", beneficiary_kind="unit",
                                valid_from=datetime.date(2021, 1, 1))
    services.parameter_add(rule=rule, key="formula", value='{"kind": "fixed", "amount": "100.00"}',
                           valid_from=datetime.date(YEAR + 1, 1, 1), acting_user=staff_user)
    rule = services.rule_set_status(rule=rule, status="active", acting_user=staff_user)
    queued = []  # a worker's refusal would reach nobody: the page asks the service's checks first
    monkeypatch.setattr("incentives.views.publish_quickly", lambda task, **options: queued.append(options))
    response = staff_client.post(reverse("incentives:rule_evaluate", args=[rule.pk]), {"year": YEAR}, follow=True)
    assert "没有计算公式" in response.content.decode()
    assert queued == []


def test_an_evaluation_run_from_the_page_names_the_staff_user_in_the_history(staff_client, staff_user):
    c = contract()
    rule = post_subsidy()
    response = staff_client.post(reverse("incentives:rule_evaluate", args=[rule.pk]), {"year": YEAR})
    assert response.status_code == 302
    award = awards()[c.pk]
    first = award.history.earliest("history_id")
    assert (first.history_user_id, first.history_change_reason) == (staff_user.pk, "评审：拟奖补")


# --- the monthly job in the beat schedule; N configurable ------------------------------------------------------


def test_the_monthly_list_is_in_the_beat_schedule_and_reads_n_on_its_day(staff_user, unit):
    from django_celery_beat.models import PeriodicTask

    from liaoning_tt.celery import app as celery_app

    from .factories import AchievementFactory

    celery_app.loader.import_default_modules()  # what a worker does: autodiscover the apps' tasks
    entry = PeriodicTask.objects.get(name="incentives.use_before_transfer_list")
    assert entry.enabled and entry.task == "incentives.tasks.listing_refresh_task" and entry.task in celery_app.tasks
    assert (entry.crontab.minute, entry.crontab.hour, entry.crontab.day_of_month) == ("30", "3", "1")
    assert str(entry.crontab.timezone) == "Asia/Shanghai" and 0 < entry.expire_seconds <= 24 * 3600
    four = AchievementFactory(unit=unit, funded=True, ip_granted_on=datetime.date(2020, 3, 1))
    six = AchievementFactory(unit=unit, funded=True, ip_granted_on=datetime.date(2018, 3, 1))
    rule = Rule.objects.get(code="use_before_transfer")
    services.parameter_add(rule=rule, key="years_after_grant", value="5", valid_from=datetime.date(2024, 6, 1),
                           acting_user=staff_user)
    task = celery_app.tasks[entry.task]
    assert task.apply(kwargs={"on": "2024-05-01"}).get()["listed"] == 2  # N = 3 before 2024-06-01
    task.apply(kwargs={"on": "2024-07-01"}).get()  # N = 5: the 4-year-old grant leaves the list
    statuses = dict(Listing.objects.values_list("achievement_id", "status"))
    assert statuses == {four.pk: "delisted", six.pk: "listed"}


def test_incentives_have_no_admin_pages_every_write_goes_through_the_services():
    from django.contrib import admin

    assert not [model for model in admin.site._registry if model._meta.app_label == "incentives"]


def test_a_finance_list_exported_in_english_comes_back_with_its_amounts_checked(staff_client, staff_user):
    import io

    from openpyxl import load_workbook

    contract(), contract()
    services.evaluate_rule(rule=post_subsidy(), year=YEAR)
    services.awards_decide(awards=list(awards().values()), approve=True, comment="", acting_user=staff_user)
    staff_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = staff_client.get(reverse("incentives:award_export_xlsx") + "?status=approved")
    assert response.headers["Content-Language"] == "en"
    rows = [list(r) for r in load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.iter_rows(values_only=True)]
    header = rows[0]
    assert "奖补编号" not in header  # English headers
    amount_col = next(i for i, h in enumerate(header) if str(h).startswith("Award amount"))
    filled = [header] + [r[:-1] + ["2025-04-01"] for r in rows[1:]]
    wrong = [list(r) for r in filled]
    wrong[1][amount_col] = "1.00"
    assert staff_client.post(reverse("incentives:paid_import"), {"file": _paid_file(wrong)}).status_code == 400
    assert not Award.objects.filter(status="paid").exists()
    assert staff_client.post(reverse("incentives:paid_import"), {"file": _paid_file(filled)}).status_code == 302
    assert Award.objects.filter(status="paid").count() == 2


def test_numbers_and_texts_no_database_or_parser_can_take_are_refused_naming_the_field(staff_client, staff_user):
    c = contract()
    services.evaluate_rule(rule=post_subsidy(), year=YEAR)
    award = awards()[c.pk]
    huge = "99999999999999999999"
    with pytest.raises(ValidationError, match="所选奖补不存在"):
        services.awards_decide(awards=[award.pk, huge], approve=True, comment="", acting_user=staff_user)
    response = staff_client.post(reverse("incentives:award_decide"), {"award": huge, "decision": "approve"}, follow=True)
    assert response.status_code == 200 and "所选奖补不存在" in response.content.decode()
    rows = [["奖补编号", "支付日期"], [huge, "2025-04-01"]]
    response = staff_client.post(reverse("incentives:paid_import"), {"file": _paid_file(rows)})
    assert response.status_code == 400 and "第 2 行" in response.content.decode()
    award.refresh_from_db()
    assert award.status == "proposed"
    # a value nested deeper than a parser goes, an overlong one, a cluster that does not exist,
    # a formula whose base is no string (a list or an object cannot be looked up)
    for key, raw in [("formula", "[" * 5000), ("clusters", '["' + "A" * 20000 + '"]'), ("clusters", '["ZZ9"]'),
                     ("formula", '{"kind": "percent", "base": [], "rate": "0.05"}'),
                     ("formula", '{"kind": "tiers", "base": {}, "tiers": [[0, "0.1"]]}')]:
        with pytest.raises(ValidationError) as caught:
            clean_value(key, raw)
        assert key in " ".join(caught.value.messages)
    response = staff_client.get(reverse("incentives:rule_preview", args=[post_subsidy().pk]),
                                {"key": "formula", "value": "[" * 5000, "year": YEAR})
    assert response.status_code == 400 and "formula" in response.content.decode()
    # a year no date can hold (the preview's default start date is built from it): a 400 naming it
    response = staff_client.get(reverse("incentives:rule_preview", args=[post_subsidy().pk]),
                                {"key": "formula", "value": '{"kind": "fixed", "amount": "1.00"}', "year": "100000"})
    assert response.status_code == 400 and "评审年度" in response.content.decode()


def test_the_first_worked_example_of_the_docs_gives_its_figures():
    from .factories import TransfereeFactory, UnitFactory

    enterprise = TransfereeFactory(region="210100")
    unit1, unit2 = sorted([UnitFactory(type="university"), UnitFactory(type="university")], key=lambda u: u.code)
    made = {
        "HT-A": contract(ref="HT-A", signed=datetime.date(2023, 1, 5), unit=unit1, transferee=enterprise,
                         amount="40000000.00", received="30000000.00"),
        "HT-B": contract(ref="HT-B", signed=datetime.date(2023, 5, 1), unit=unit2, transferee=enterprise,
                         amount="25000000.00", received="20000000.00"),
        "HT-C": contract(ref="HT-C", signed=datetime.date(2024, 3, 1), unit=unit1, transferee=enterprise,
                         amount="3000000.10", received="3000000.10"),
    }
    result = services.evaluate_rule(rule=post_subsidy(), year=YEAR)
    got = awards()
    assert {ref: got[c.pk].amount for ref, c in made.items() if c.pk in got} == {
        "HT-A": D("1500000.00"), "HT-B": D("500000.00")}
    assert "每企业每年上限 2,000,000.00 已触及，剩余 500,000.00，计 500,000.00" in got[made["HT-B"].pk].explanation
    outcome = next(o for o in result.outcomes if o.subject.ref == "HT-C")
    assert not outcome.eligible and "150,000.01" in outcome.explanation and "剩余 0.00" in outcome.explanation

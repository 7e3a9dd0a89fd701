"""Incentives: the shipped rules, evaluation (amounts, caps, budget, order, idempotence, withdrawal),
preview, dated parameters, approval and payment, the use-before-transfer list, API and pages."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from incentives import services
from incentives.models import Award, Listing, ListingRun, Rule
from notifications.models import Notification

from .factories import AchievementFactory, TransfereeFactory, TransformationFactory, UnitFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _eager(celery_eager):
    """Tasks (evaluations, e-mails, imports) run in-process here, also when a real broker is
    configured (the PostgreSQL run of CI); the worker's own tests are tests/test_celery_worker.py."""
    return celery_eager

YEAR = 2024
D = Decimal


def post_subsidy():
    return Rule.objects.get(code="post_subsidy")


def contract(*, received="3000000.00", amount="5000000.00", signed=datetime.date(2024, 3, 1), transferee=None,
             unit=None, mode="transfer", **kwargs):
    ach = AchievementFactory(unit=unit or UnitFactory())
    return TransformationFactory(
        achievement=ach, amount=D(amount), received=None if received is None else D(received), signed_on=signed,
        transferee=transferee or TransfereeFactory(), mode=mode, **kwargs
    )


def awards(year=YEAR):
    return {a.contract_id: a for a in Award.objects.filter(year=year)}


# --- the shipped rules -------------------------------------------------------------------------


def test_shipped_post_subsidy_is_the_data_specification():
    values, snapshot = services.parameter_values(post_subsidy(), datetime.date(YEAR, 12, 31))
    assert values == {
        "contract_modes": ["equity", "license", "transfer"],
        "unit_types": ["institute", "university"],
        "transferee_local": True,
        "min_amount": "1000000.00",
        "signed_within_years": 2,
        "once_per_subject": True,
        "formula": {"kind": "percent", "base": "received", "rate": "0.05"},
        "cap_per_beneficiary_year": "2000000.00",
        "budget_per_year": "100000000.00",
    }
    rules = {r.code: r for r in Rule.objects.all()}
    assert rules["post_subsidy"].policy == "辽科发〔2021〕18号"
    pilot, _s = services.parameter_values(rules["pilot_base_support"], datetime.date(YEAR, 12, 31))
    assert pilot["formula"]["amounts"] == {"excellent": "500000.00", "good": "300000.00"}
    assert rules["art45_team_share"].kind == "check" and "第四十五条" in rules["art45_team_share"].article


def test_art45_minimum_share_comes_from_the_dated_parameter(staff_user):
    rule = Rule.objects.get(code="art45_team_share")
    assert services.art45_minimum_share("transfer", datetime.date(2020, 1, 1)) == D("0.5")
    assert services.art45_minimum_share("equity", datetime.date(2020, 1, 1)) == D("0.5")
    services.parameter_add(rule=rule, key="team_share_transfer_license", value="0.7",
                           valid_from=datetime.date(2023, 1, 1), acting_user=staff_user)
    assert services.art45_minimum_share("license", datetime.date(2022, 12, 31)) == D("0.5")
    assert services.art45_minimum_share("license", datetime.date(2023, 1, 1)) == D("0.7")
    assert services.art45_minimum_share("other", datetime.date(2023, 1, 1)) is None


# --- evaluation -----------------------------------------------------------------------------------


def test_eligibility_of_the_post_subsidy():
    ok = contract()
    not_local = contract(transferee=TransfereeFactory(region="110000"))
    small = contract(amount="999999.99", received="900000.00")
    too_old = contract(signed=datetime.date(2021, 12, 31))
    oldest_ok = contract(signed=datetime.date(2022, 1, 1))
    cooperation = contract(mode="cooperation")
    enterprise = contract(unit=UnitFactory(type="enterprise"))
    cancelled = contract(status="cancelled")
    nothing_received = contract(received=None)
    result = services.evaluate_rule(rule=post_subsidy(), year=YEAR)
    got = awards()
    assert set(got) == {ok.pk, oldest_ok.pk}
    assert result.counts["created"] == 2
    reasons = {o.subject.key: o.explanation for o in result.outcomes if not o.eligible}
    assert "受让方不是省内企业" in reasons[f"contract:{not_local.pk}"]
    assert "低于 1,000,000.00" in reasons[f"contract:{small.pk}"]
    assert "计算基数为 0" in reasons[f"contract:{nothing_received.pk}"]
    # the signing window, modes, unit types and status narrow the records in the database; the
    # engine states the same reasons when it meets such a record (e.g. a proposal's contract)
    from incentives import engine

    values, _s = services.parameter_values(post_subsidy(), datetime.date(YEAR, 12, 31))
    subjects = {c.pk: services._contract_subject(c, "transferee")[0] for c in (too_old, cooperation, enterprise, cancelled)}
    why = {pk: "；".join(engine.ineligibility(s, values, YEAR, awarded_elsewhere=set())) for pk, s in subjects.items()}
    assert "签订日期不在 2022-01-01 至 2024-12-31 之间" in why[too_old.pk]
    assert "转化方式 cooperation" in why[cooperation.pk]
    assert "单位类型 enterprise" in why[enterprise.pk]
    assert "合同不是有效状态" in why[cancelled.pk]


def test_amount_is_five_percent_of_received_half_up_with_explanation():
    c = contract(received="3000000.10", ref="HT-2023-0042")
    c2 = contract(received="1000000.30")  # 50,000.015 -> 50,000.02 (half-up)
    services.evaluate_rule(rule=post_subsidy(), year=YEAR)
    a, a2 = awards()[c.pk], awards()[c2.pk]
    assert a.amount == D("150000.01") and a.base == D("3000000.10")
    assert a2.amount == D("50000.02")
    assert a.explanation.startswith("合同 HT-2023-0042：到账 3,000,000.10 × 5% = 150,000.01；每企业每年上限 2,000,000.00 未触及")
    assert "年度预算剩余" in a.explanation
    assert a.rule_version == post_subsidy().version
    assert a.parameters["formula"] == {"value": {"kind": "percent", "base": "received", "rate": "0.05"},
                                       "valid_from": "2021-01-01"}
    assert a.beneficiary_code == c.transferee.code and a.unit_id == c.unit_id


def test_cap_per_transferee_in_the_specified_order():
    firm = TransfereeFactory()
    unit_1, unit_2 = UnitFactory(), UnitFactory()
    # 5% of 30,000,000 = 1,500,000 each: the first two by (signed_on, unit code, ref) take the cap
    first = contract(received="30000000.00", amount="30000000.00", signed=datetime.date(2023, 1, 1), transferee=firm, unit=unit_2)
    second_a = contract(received="30000000.00", amount="30000000.00", signed=datetime.date(2023, 5, 1), transferee=firm, unit=unit_1)
    second_b = contract(received="30000000.00", amount="30000000.00", signed=datetime.date(2023, 5, 1), transferee=firm, unit=unit_2)
    services.evaluate_rule(rule=post_subsidy(), year=YEAR)
    got = awards()
    assert got[first.pk].amount == D("1500000.00")
    lower, higher = sorted([second_a, second_b], key=lambda c: (c.unit.code, c.ref))
    assert got[lower.pk].amount == D("500000.00")
    assert "已触及" in got[lower.pk].explanation
    assert higher.pk not in got
    assert sum(a.amount for a in got.values()) == D("2000000.00")


def test_budget_runs_out_in_order_across_transferees(staff_user):
    rule = post_subsidy()
    services.parameter_add(rule=rule, key="budget_per_year", value="200000.00", valid_from=datetime.date(2024, 1, 1),
                           acting_user=staff_user)
    made = [contract(received="2000000.00") for _ in range(3)]  # 100,000 each
    services.evaluate_rule(rule=rule, year=YEAR)
    got = awards()
    ordered = sorted(made, key=lambda c: (c.transferee.code, c.signed_on, c.unit.code, c.ref))
    assert [got.get(c.pk) and got[c.pk].amount for c in ordered] == [D("100000.00"), D("100000.00"), None]
    assert sum(a.amount for a in got.values()) <= D("200000.00")


def test_rerun_is_idempotent_and_decided_awards_never_change(staff_user):
    a1, a2, a3 = contract(), contract(), contract()
    rule = post_subsidy()
    services.evaluate_rule(rule=rule, year=YEAR)
    before = {a.pk: (a.amount, a.version, a.status) for a in Award.objects.all()}
    second = services.evaluate_rule(rule=rule, year=YEAR)
    assert second.counts == {"unchanged": 3}
    assert {a.pk: (a.amount, a.version, a.status) for a in Award.objects.all()} == before
    approved = awards()[a1.pk]
    services.awards_decide(awards=[approved], approve=True, comment="同意", acting_user=staff_user)
    services.awards_decide(awards=[awards()[a2.pk]], approve=False, comment="材料不全", acting_user=staff_user)
    # the records change: the approved one keeps its amount; the proposed one no longer qualifies
    type(a1).objects.filter(pk=a1.pk).update(received=D("100.00"))
    type(a3).objects.filter(pk=a3.pk).update(status="cancelled")
    third = services.evaluate_rule(rule=rule, year=YEAR)
    got = awards()
    assert got[a1.pk].status == "approved" and got[a1.pk].amount == before[approved.pk][0]
    assert got[a2.pk].status == "rejected"
    assert got[a3.pk].status == "withdrawn" and "不再符合条件" in got[a3.pk].comment
    assert "合同不是有效状态" in got[a3.pk].comment
    assert third.counts["withdrawn"] == 1
    assert Award.objects.count() == 3
    # back to effective: proposed again, not duplicated
    type(a3).objects.filter(pk=a3.pk).update(status="effective")
    services.evaluate_rule(rule=rule, year=YEAR)
    assert awards()[a3.pk].status == "proposed" and Award.objects.count() == 3


def test_once_per_contract_across_years_and_approved_amounts_count_against_the_cap(staff_user):
    firm = TransfereeFactory()
    old = contract(signed=datetime.date(2023, 2, 1), transferee=firm, received="30000000.00", amount="30000000.00")
    rule = post_subsidy()
    services.evaluate_rule(rule=rule, year=2023)
    assert Award.objects.get(year=2023).amount == D("1500000.00")
    result = services.evaluate_rule(rule=rule, year=YEAR)
    assert not Award.objects.filter(year=YEAR).exists()
    assert "已在其他年度获得" in next(o.explanation for o in result.outcomes if o.subject.key == f"contract:{old.pk}")
    # within one year: an approved award is taken off the transferee's cap before anything else
    early = contract(signed=datetime.date(2024, 1, 2), transferee=firm, received="30000000.00", amount="30000000.00")
    services.evaluate_rule(rule=rule, year=YEAR)
    services.awards_decide(awards=[awards()[early.pk]], approve=True, comment="", acting_user=staff_user)
    earlier = contract(signed=datetime.date(2024, 1, 1), transferee=firm, received="30000000.00", amount="30000000.00")
    services.evaluate_rule(rule=rule, year=YEAR)
    assert awards()[early.pk].amount == D("1500000.00")
    assert awards()[earlier.pk].amount == D("500000.00")


def test_command_and_task(capsys):
    contract()
    call_command("evaluate_incentives", "--year", str(YEAR))
    out = capsys.readouterr().out
    assert f"post_subsidy {YEAR}：新增 1" in out
    call_command("evaluate_incentives", "--year", str(YEAR), "--rule", "post_subsidy")
    assert "新增 0" in capsys.readouterr().out
    with pytest.raises(Exception, match="1985"):
        call_command("evaluate_incentives", "--year", "1984")


def test_pilot_base_rule_by_grade(monkeypatch):
    monkeypatch.setattr(services, "pilot_base_grades", lambda year: {"ZS-A": "excellent", "ZS-B": "good", "ZS-C": "pass"})
    result = services.evaluate_rule(rule=Rule.objects.get(code="pilot_base_support"), year=YEAR)
    got = {a.pilot_base_code: a.amount for a in Award.objects.filter(rule__code="pilot_base_support")}
    assert got == {"ZS-A": D("500000.00"), "ZS-B": D("300000.00")}
    assert result.counts["created"] == 2


# --- parameters and preview ---------------------------------------------------------------------


def test_parameters_are_dated_and_never_edited(staff_user, unit_user):
    rule = post_subsidy()
    version = rule.version
    services.parameter_add(rule=rule, key="formula", value='{"kind": "percent", "base": "received", "rate": "0.06"}',
                           valid_from=datetime.date(2024, 7, 1), acting_user=staff_user)
    assert services.parameter_values(rule, datetime.date(2024, 6, 30))[0]["formula"]["rate"] == "0.05"
    assert services.parameter_values(rule, datetime.date(2024, 7, 1))[0]["formula"]["rate"] == "0.06"
    assert Rule.objects.get(pk=rule.pk).version == version + 1
    with pytest.raises(ValidationError, match="已有取值"):
        services.parameter_add(rule=rule, key="formula", value='{"kind": "fixed", "amount": "1"}',
                               valid_from=datetime.date(2024, 7, 1), acting_user=staff_user)
    with pytest.raises(ValidationError, match="cap_per_award"):
        services.parameter_add(rule=rule, key="cap_per_award", value="-5", valid_from=datetime.date(2024, 7, 2),
                               acting_user=staff_user)
    with pytest.raises(ValidationError, match="不是比例"):
        services.parameter_add(rule=rule, key="formula", value='{"kind": "percent", "base": "received", "rate": "__import__"}',
                               valid_from=datetime.date(2024, 7, 3), acting_user=staff_user)
    with pytest.raises(ValidationError, match="valid_from|起始日期"):
        services.parameter_add(rule=rule, key="min_trl", value="5", valid_from=datetime.date(1984, 12, 31),
                               acting_user=staff_user)
    with pytest.raises(PermissionDenied):
        services.parameter_add(rule=rule, key="min_trl", value="5", valid_from=datetime.date(2024, 1, 1),
                               acting_user=unit_user)


def test_preview_shows_the_difference_and_writes_nothing(staff_user):
    c = contract(received="2000000.00")
    rule = post_subsidy()
    counts = (Award.objects.count(), rule.parameters.count(), Rule.objects.get(pk=rule.pk).version)
    result = services.preview(rule=rule, year=YEAR, acting_user=staff_user,
                              change=("formula", '{"kind": "percent", "base": "received", "rate": "0.08"}',
                                      datetime.date(2024, 1, 1)))
    assert (Award.objects.count(), rule.parameters.count(), Rule.objects.get(pk=rule.pk).version) == counts
    row = next(r for r in result["rows"] if r.label == f"合同 {c.ref}")
    assert (row.current, row.proposed, row.difference) == (D("100000.00"), D("160000.00"), D("60000.00"))
    # a change dated after the year does not apply to it
    later = services.preview(rule=rule, year=YEAR, acting_user=staff_user,
                             change=("formula", '{"kind": "fixed", "amount": "1.00"}', datetime.date(2025, 1, 1)))
    assert not later["change_applies"] and later["total"] == D("100000.00")


def test_tiers_formula(staff_user):
    rule = post_subsidy()
    services.parameter_add(rule=rule, key="formula", acting_user=staff_user, valid_from=datetime.date(2024, 1, 1),
                           value='{"kind": "tiers", "base": "received", "tiers": [["0", "0.05"], ["2000000", "0.03"]]}')
    c = contract(received="3000000.00")
    services.evaluate_rule(rule=rule, year=YEAR)
    assert awards()[c.pk].amount == D("130000.00")  # 2,000,000 × 5% + 1,000,000 × 3%


# --- approval and payment ---------------------------------------------------------------------


def test_decide_pay_notify_and_history(staff_user, unit, unit_user):
    c1, c2 = contract(unit=unit), contract(unit=unit)
    services.evaluate_rule(rule=post_subsidy(), year=YEAR)
    a1, a2 = awards()[c1.pk], awards()[c2.pk]
    with pytest.raises(PermissionDenied):
        services.awards_decide(awards=[a1], approve=True, comment="", acting_user=unit_user)
    with pytest.raises(ValidationError, match="意见"):
        services.awards_decide(awards=[a1], approve=False, comment=" ", acting_user=staff_user)
    services.awards_decide(awards=[a1, a2], approve=True, comment="同意", acting_user=staff_user)
    assert Notification.objects.filter(recipient=unit_user, event="incentive_award_approved").count() == 2
    with pytest.raises(ValidationError, match="不是待审批"):
        services.awards_decide(awards=[a1], approve=False, comment="改判", acting_user=staff_user)
    with pytest.raises(ValidationError, match="支付日期"):
        services.awards_mark_paid(awards=[a1], paid_on=datetime.date(2099, 1, 1), acting_user=staff_user)
    services.awards_mark_paid(awards=[a1], paid_on=datetime.date(2025, 3, 1), acting_user=staff_user)
    a1.refresh_from_db()
    assert a1.status == "paid" and a1.paid_on == datetime.date(2025, 3, 1)
    reasons = list(a1.history.order_by("history_id").values_list("history_change_reason", flat=True))
    assert reasons == ["评审：拟奖补", "批准：同意", "已支付（2025-03-01）"]
    assert Notification.objects.filter(recipient=unit_user, event="incentive_award_paid").count() == 1


def _paid_file(rows):
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    handle = io.BytesIO()
    book.save(handle)
    handle.seek(0)
    handle.name = "paid.xlsx"
    return handle


def test_finance_export_and_paid_list_import(staff_client, staff_user):
    c1, c2 = contract(), contract()
    services.evaluate_rule(rule=post_subsidy(), year=YEAR)
    a1, a2 = awards()[c1.pk], awards()[c2.pk]
    services.awards_decide(awards=[a1, a2], approve=True, comment="", acting_user=staff_user)
    response = staff_client.get(reverse("incentives:award_export_xlsx") + "?status=approved")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0][0] == "奖补编号" and rows[0][-1] == "支付日期"
    assert sorted(r[0] for r in rows[1:]) == sorted([a1.pk, a2.pk])
    # finance fills the date of one row; a wrong amount on the other refuses everything
    header = rows[0]
    amount_col = header.index("奖补金额（元）")
    filled = [header] + [r[:-1] + ["2025-04-01"] for r in rows[1:]]
    bad = [list(r) for r in filled]
    bad[2][amount_col] = "1.00"
    response = staff_client.post(reverse("incentives:paid_import"), {"file": _paid_file(bad)})
    assert response.status_code == 400 and "第 3 行" in response.content.decode()
    assert not Award.objects.filter(status="paid").exists()
    response = staff_client.post(reverse("incentives:paid_import"), {"file": _paid_file(filled)})
    assert response.status_code == 302
    assert set(Award.objects.filter(status="paid").values_list("pk", flat=True)) == {a1.pk, a2.pk}
    # the same list again changes nothing
    versions = dict(Award.objects.values_list("pk", "version"))
    response = staff_client.post(reverse("incentives:paid_import"), {"file": _paid_file(filled)})
    assert response.status_code == 302 and dict(Award.objects.values_list("pk", "version")) == versions


def test_export_neutralises_formulas(staff_client):
    c = contract()
    type(c.transferee).objects.filter(pk=c.transferee_id).update(name="=HYPERLINK(1)")
    services.evaluate_rule(rule=post_subsidy(), year=YEAR)
    response = staff_client.get(reverse("incentives:award_export_xlsx"))
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    names = [r[5] for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert names == ["'=HYPERLINK(1)"]


def test_bulk_decision_from_the_list_page(staff_client, client, unit_user):
    c1, c2 = contract(), contract()
    services.evaluate_rule(rule=post_subsidy(), year=YEAR)
    page = staff_client.get(reverse("incentives:award_list") + f"?year={YEAR}&status=proposed")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'form="bulk-decide"' in html and 'id="bulk-decide"' in html
    ids = [awards()[c1.pk].pk, awards()[c2.pk].pk]
    response = staff_client.post(reverse("incentives:award_decide"),
                                 {"award": ids, "decision": "reject", "comment": "", "next": "/incentives/awards/"})
    assert response.status_code == 302 and not Award.objects.filter(status="rejected").exists()
    response = staff_client.post(reverse("incentives:award_decide"), {"award": ids, "decision": "approve", "comment": "同意"})
    assert Award.objects.filter(status="approved").count() == 2
    client.force_login(unit_user)
    assert client.post(reverse("incentives:award_decide"), {"award": ids, "decision": "reject", "comment": "x"}).status_code == 403


def test_unit_sees_only_its_own_awards_and_beneficiary_page(client, unit, unit_user):
    mine, theirs = contract(unit=unit), contract()
    services.evaluate_rule(rule=post_subsidy(), year=YEAR)
    client.force_login(unit_user)
    page = client.get(reverse("incentives:award_list"))
    assert page.status_code == 200
    assert mine.transferee.name in page.content.decode() and theirs.transferee.name not in page.content.decode()
    assert client.get(awards()[theirs.pk].get_absolute_url()).status_code == 404
    url = reverse("incentives:beneficiary", args=["transferee", mine.transferee.code])
    assert mine.ref in client.get(url).content.decode()
    assert client.get(reverse("incentives:beneficiary", args=["transferee", theirs.transferee.code])).status_code == 404
    api = client.get("/api/v1/incentives/awards/", {"year": YEAR, "rule": "post_subsidy"}).json()
    assert [item["contract"] for item in api["results"]] == [mine.ref]


def test_awards_api_fields(staff_client):
    c = contract(received="1234567.89")
    services.evaluate_rule(rule=post_subsidy(), year=YEAR)
    data = staff_client.get("/api/v1/incentives/awards/", {"year": YEAR, "rule": "post_subsidy"}).json()
    item = data["results"][0]
    assert {k: item[k] for k in ("rule", "year", "unit", "contract", "transferee", "base", "amount", "status")} == {
        "rule": "post_subsidy", "year": YEAR, "unit": c.unit.code, "contract": c.ref, "transferee": c.transferee.code,
        "base": "1234567.89", "amount": "61728.39", "status": "proposed"}
    assert item["explanation"].startswith(f"合同 {c.ref}：到账 1,234,567.89 × 5% = 61,728.39")
    assert staff_client.get("/api/v1/incentives/awards/", {"year": "1984"}).status_code == 400
    schema = staff_client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").content.decode()
    assert "/api/v1/incentives/awards/" in schema


# --- use before transfer ----------------------------------------------------------------------------


def test_listing_refresh_justify_decide_and_public(client, staff_user, unit, unit_user):
    today = datetime.date.today()
    old = AchievementFactory(unit=unit, funded=True, ip_granted_on=today.replace(year=today.year - 4))
    AchievementFactory(unit=unit, funded=False, ip_granted_on=today.replace(year=today.year - 4))  # not fiscal
    AchievementFactory(unit=unit, funded=True, ip_granted_on=today.replace(year=today.year - 2))  # too recent
    transformed = AchievementFactory(unit=unit, funded=True, ip_granted_on=today.replace(year=today.year - 5))
    TransformationFactory(achievement=transformed)
    run = services.listing_refresh(on=today)
    assert set(Listing.objects.values_list("achievement_id", flat=True)) == {old.pk}
    assert (run.listed, run.added) == (1, 1)
    assert Notification.objects.filter(recipient=unit_user, event="use_before_transfer_listed").count() == 1
    again = services.listing_refresh(on=today)
    assert (again.listed, again.added, ListingRun.objects.count()) == (1, 0, 1)
    # the public page and API without login, published fields only
    page = client.get(reverse("incentives:public_list"))
    assert page.status_code == 200 and old.title in page.content.decode()
    api = client.get("/api/v1/incentives/use-before-transfer/").json()
    assert [i["ref"] for i in api["results"]] == [old.ref] and "justification" not in api["results"][0]
    export = client.get(reverse("incentives:public_export_csv"))
    assert export.status_code == 200 and old.title in b"".join(export.streaming_content).decode("utf-8-sig")
    # the unit files a justification, staff accept it: off the public list
    item = Listing.objects.get()
    with pytest.raises(PermissionDenied):
        services.listing_justify(listing=item, text="x", acting_user=services_user_of_other_unit())
    item = services.listing_justify(listing=item, text="正在进行中试验证", acting_user=unit_user)
    with pytest.raises(ValidationError, match="意见"):
        services.listing_decide(listing=item, accept=False, comment="", acting_user=staff_user)
    services.listing_decide(listing=item, accept=True, comment="理由成立", acting_user=staff_user)
    assert client.get("/api/v1/incentives/use-before-transfer/").json()["results"] == []
    services.listing_refresh(on=today)
    assert Listing.objects.get().status == "exempt"  # an accepted justification holds
    # N is a dated parameter: 5 years takes the entry of a 4-year-old grant off
    rule = Rule.objects.get(code="use_before_transfer")
    services.parameter_add(rule=rule, key="years_after_grant", value="5", valid_from=today, acting_user=staff_user)
    assert services.years_after_grant(today) == 5


def services_user_of_other_unit():
    from accounts.services import user_create_unit_user

    return user_create_unit_user(username="other-unit-user", password="pass-for-tests-1", unit=UnitFactory())


def test_dashboard_panel_counts_and_drilldown(staff_client, staff_user):
    c1, c2 = contract(), contract()
    services.evaluate_rule(rule=post_subsidy(), year=YEAR)
    services.awards_decide(awards=[awards()[c1.pk]], approve=True, comment="", acting_user=staff_user)
    from core.registry import PanelContext
    from dashboards.selectors import Scope
    from incentives.panels import awards_panel

    sections = awards_panel(PanelContext(year=YEAR, scope=Scope(), summary={}, series=[]))
    by_rule = sections[0]
    row = by_rule["table"]["rows"][0]
    assert row["label"] == "科技成果转化奖励性后补助"
    assert row["cells"][0]["text"].startswith("1")  # one proposal left
    assert "status=proposed" in row["cells"][0]["url"] and "rule=post_subsidy" in row["cells"][0]["url"]
    assert "预算" in by_rule["note"]
    drill = staff_client.get(row["cells"][0]["url"])
    assert drill.status_code == 200 and c2.transferee.name in drill.content.decode()
    assert staff_client.get(reverse("dashboards:dashboard") + f"?year={YEAR}").status_code == 200


def test_annual_reports_read_the_minimum_team_share_from_the_rule(staff_user):
    from reports.checks import minimum_team_share

    assert minimum_team_share(2023) == D("0.5")
    services.parameter_add(rule=Rule.objects.get(code="art45_team_share"), key="team_share_transfer_license",
                           value="0.6", valid_from=datetime.date(2024, 1, 1), acting_user=staff_user)
    assert minimum_team_share(2023) == D("0.5")
    assert minimum_team_share(2024) == D("0.6")


def test_demo_seeder_is_idempotent_and_resets():
    from incentives import demo

    last_year = datetime.date.today().year - 1
    c = contract(signed=datetime.date(last_year, 5, 1), synthetic=True)
    first = demo.seed(1)
    assert first["incentive awards"] == 1 and Award.objects.get().contract_id == c.pk
    assert demo.seed(1) == first
    assert Award.objects.get().version == 1
    demo.reset()
    assert not Award.objects.exists() and not Listing.objects.exists()


def test_a_new_rule_from_draft_to_active_through_the_pages(staff_client, client, unit_user):
    c = contract(received="2400000.00", mode="license")
    response = staff_client.post(reverse("incentives:rule_create"), {
        "code": "licence_reward", "name": "许可奖励", "policy": "辽科发〔2025〕X号", "kind": "payment",
        "subject": "contract", "beneficiary_kind": "unit", "valid_from": "2024-01-01"})
    rule = Rule.objects.get(code="licence_reward")
    assert response.status_code == 302 and rule.status == "draft"
    for key, value in {"contract_modes": '["license"]', "formula": '{"kind": "percent", "base": "received", "rate": "0.05"}',
                       "cap_per_award": "100000.00"}.items():
        staff_client.post(reverse("incentives:parameter_add", args=[rule.pk]),
                          {"key": key, "value": value, "valid_from": "2024-01-01"})
    assert rule.parameters.count() == 3
    preview = staff_client.get(reverse("incentives:rule_preview", args=[rule.pk]), {"year": YEAR})
    assert preview.status_code == 200 and "单笔上限 100,000.00 已触及" in preview.content.decode()
    assert not Award.objects.exists()
    # a draft is not evaluated with the active rules; once active it is
    services.evaluate_year(year=YEAR)
    assert not Award.objects.filter(rule=rule).exists()
    rule.refresh_from_db()
    staff_client.post(reverse("incentives:rule_status", args=[rule.pk]), {"status": "active", "version": rule.version})
    services.evaluate_year(year=YEAR)
    award = Award.objects.get(rule=rule)
    assert (award.amount, award.beneficiary_code) == (D("100000.00"), c.unit.code)
    fields = {"name": "x", "policy": "x", "kind": "payment", "subject": "contract", "beneficiary_kind": "unit"}
    twice = staff_client.post(reverse("incentives:rule_create"), {**fields, "code": "licence_reward", "valid_from": "2024-01-01"})
    assert twice.status_code == 400 and "规则代码" in twice.content.decode()
    early = staff_client.post(reverse("incentives:rule_create"), {**fields, "code": "early", "valid_from": "1984-12-31"})
    assert early.status_code == 400 and "起始日期应在1985-01-01" in early.content.decode()
    assert not Rule.objects.filter(code="early").exists()
    client.force_login(unit_user)
    assert client.get(reverse("incentives:rule_create")).status_code == 403


def test_refresh_command_and_the_explanation_step_by_step(capsys, staff_client):
    today = datetime.date.today()
    AchievementFactory(funded=True, ip_granted_on=today.replace(year=today.year - 4))
    call_command("refresh_use_before_transfer")
    assert "1 条（新列入 1，移出 0）" in capsys.readouterr().out
    with pytest.raises(Exception, match="1985"):
        call_command("refresh_use_before_transfer", "--on", "1984-01-01")
    c = contract()
    services.evaluate_rule(rule=post_subsidy(), year=YEAR)
    page = staff_client.get(awards()[c.pk].get_absolute_url()).content.decode()
    assert f"<li>合同 {c.ref}：到账 3,000,000.00 × 5% = 150,000.00</li>" in page
    assert "<li>拟奖补 150,000.00</li>" in page

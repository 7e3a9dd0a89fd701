"""Transformation contract pages: list with filters and query counts, detail with history,
create/edit/cancel through the services with the transferee upserted, unit scoping, locking."""

import datetime
import re
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from achievements import services
from achievements.choices import TransformationMode, TransformationStatus
from achievements.models import Transferee, Transformation

from .factories import (
    AchievementFactory,
    TransfereeFactory,
    TransformationFactory,
    make_credit_code,
)

pytestmark = pytest.mark.django_db

LIST_URL = reverse("achievements:transformation_list")


def refs(response) -> list[str]:
    return [c.ref for c in response.context["page_obj"].object_list]


def contract_data(**overrides):
    data = {
        "ref": "HT-NEW-1",
        "mode": TransformationMode.LICENSE,
        "transferee_code": make_credit_code(900_001, "210200", "91"),
        "transferee_name": "大连新材料有限公司",
        "transferee_region": "210203",
        "signed_on": "2023-05-06",
        "amount": "1500000.00",
        "received": "500000.00",
        "registration_no": "",
    }
    data.update(overrides)
    return data


def test_list_filters_by_year_local_mode_and_status(staff_client):
    local = TransfereeFactory(region="210100")
    remote = TransfereeFactory(region="110108")
    TransformationFactory(ref="WANT", transferee=local, signed_on=datetime.date(2023, 3, 1))
    TransformationFactory(ref="REMOTE", transferee=remote, signed_on=datetime.date(2023, 3, 1))
    TransformationFactory(ref="OLD", transferee=local, signed_on=datetime.date(2022, 12, 31))
    TransformationFactory(
        ref="LICENCE", transferee=local, mode="license", signed_on=datetime.date(2023, 4, 1)
    )
    TransformationFactory(
        ref="CANCELLED", transferee=local, status="cancelled", signed_on=datetime.date(2023, 5, 1)
    )
    params = {"signed_year": "2023", "local": "true", "mode": "transfer", "status": "effective"}
    assert refs(staff_client.get(LIST_URL, params)) == ["WANT"]
    assert refs(staff_client.get(LIST_URL, {"local": "false"})) == ["REMOTE"]


def test_list_shows_amounts_in_yuan_like_its_filter_and_totals_with_their_unit(staff_client):
    """The rows in 元 with two decimals (as the amount filter reads them); the totals in 万元 below
    1 亿元 (docs/numbers.md)."""
    TransformationFactory(amount=Decimal("1234567.00"), received=Decimal("10000.00"))
    TransformationFactory(amount=Decimal("100.00"))
    response = staff_client.get(LIST_URL)
    html = response.content.decode()
    cells = re.findall(r'<td class="num">([^<]*)</td>', html)
    assert {"1,234,567.00", "10,000.00", "100.00", "—"} <= set(cells)
    assert "合同金额（元）" in html and "合同金额不低于（元）" in html
    assert "合同金额 <strong>123.47 万元</strong>" in html  # total 1,234,667 yuan
    assert "到账金额 <strong>1.00 万元</strong>" in html  # received 10,000 yuan


def test_list_search_sort_and_htmx_partial(staff_client):
    TransformationFactory(ref="HT-B", achievement=AchievementFactory(title="一种高强度铝合金的制备方法"))
    TransformationFactory(ref="HT-A", achievement=AchievementFactory(title="玉米深加工"))
    assert refs(staff_client.get(LIST_URL, {"q": "合金"})) == ["HT-B"]
    assert refs(staff_client.get(LIST_URL, {"sort": "ref"})) == ["HT-A", "HT-B"]
    partial = staff_client.get(LIST_URL, {"sort": "-ref"}, HTTP_HX_REQUEST="true")
    assert b"<html" not in partial.content and refs(partial) == ["HT-B", "HT-A"]


def _count(client, per_page):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(LIST_URL, {"per_page": per_page, "signed_year": "2023"})
    assert len(response.context["page_obj"].object_list) == per_page
    return len(ctx.captured_queries)


def test_list_query_count_does_not_grow_with_page_size(staff_client):
    for _ in range(105):
        TransformationFactory()
    cache.clear()
    staff_client.get(LIST_URL)  # warm the demo-banner cache
    assert _count(staff_client, 10) == _count(staff_client, 100) <= 8


def test_unit_user_list_and_records_are_scoped(unit_client, unit_user, other_unit):
    own = TransformationFactory(achievement=AchievementFactory(unit=unit_user.unit), ref="OWN")
    foreign = TransformationFactory(achievement=AchievementFactory(unit=other_unit), ref="FOREIGN")
    assert refs(unit_client.get(LIST_URL)) == ["OWN"]
    assert unit_client.get(own.get_absolute_url()).status_code == 200
    for name in ("transformation_detail", "transformation_edit"):
        assert unit_client.get(reverse(f"achievements:{name}", args=[foreign.pk])).status_code == 404
    response = unit_client.post(
        reverse("achievements:transformation_cancel", args=[foreign.pk]),
        {"version": foreign.version, "reason": "试图解除"},
    )
    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.status == TransformationStatus.EFFECTIVE


def test_unit_user_registers_contract_with_new_transferee(unit_client, unit_user):
    achievement = AchievementFactory(unit=unit_user.unit)
    url = reverse("achievements:transformation_create", args=[achievement.pk])
    # The credit code may be typed in lower case with spaces: it is normalised.
    code = make_credit_code(900_001, "210200", "91")
    response = unit_client.post(url, contract_data(transferee_code=" " + code.lower() + " "))
    assert response.status_code == 302
    contract = Transformation.objects.get(ref="HT-NEW-1")
    assert contract.unit == unit_user.unit and contract.achievement == achievement
    assert contract.transferee.code == code and contract.transferee.is_local
    assert contract.amount == Decimal("1500000.00")
    assert contract.history.get().history_user == unit_user


def test_existing_transferee_is_reused_by_credit_code(staff_client):
    transferee = TransfereeFactory(name="旧名称有限公司", region="210200")
    achievement = AchievementFactory()
    url = reverse("achievements:transformation_create", args=[achievement.pk])
    data = contract_data(
        transferee_code=transferee.code, transferee_name="新名称有限公司", transferee_region="210200"
    )
    assert staff_client.post(url, data).status_code == 302
    assert Transferee.objects.count() == 1
    transferee.refresh_from_db()
    assert transferee.name == "新名称有限公司"


def test_contract_form_errors_name_the_field(staff_client):
    achievement = AchievementFactory()
    url = reverse("achievements:transformation_create", args=[achievement.pk])
    response = staff_client.post(
        url,
        contract_data(
            transferee_code="91210200MA0000000X",
            transferee_region="990000",
            amount="-5",
            received="",
            mode="gift",
            transferee_name="",
        ),
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "受让方统一社会信用代码：统一社会信用代码“91210200MA0000000X”无效" in html
    assert "受让方地区：地区代码“990000”无效" in html
    assert "受让方名称：该字段是必填项。" in html
    assert "合同金额（元）：" in html
    assert "转化方式：" in html
    assert not Transformation.objects.exists() and not Transferee.objects.exists()


def test_received_above_amount_is_a_field_error(staff_client):
    achievement = AchievementFactory()
    url = reverse("achievements:transformation_create", args=[achievement.pk])
    response = staff_client.post(url, contract_data(amount="100.00", received="200.00"))
    assert "到账金额（元）：到账金额不能大于合同金额。" in response.content.decode()
    assert not Transformation.objects.exists()


def test_duplicate_contract_ref_in_unit_is_a_field_error(staff_client):
    achievement = AchievementFactory()
    TransformationFactory(achievement=achievement, ref="HT-NEW-1")
    url = reverse("achievements:transformation_create", args=[achievement.pk])
    response = staff_client.post(url, contract_data())
    assert "合同编号：本单位已有相同合同编号的转化合同。" in response.content.decode()


def test_edit_and_stale_edit(client, staff_user, unit_user):
    contract = TransformationFactory(
        achievement=AchievementFactory(unit=unit_user.unit), amount=Decimal("100.00")
    )
    url = reverse("achievements:transformation_edit", args=[contract.pk])
    client.force_login(unit_user)
    page = client.get(url).content.decode()
    assert 'name="version" value="1"' in page and contract.transferee.code in page
    # Someone else changes the contract after the form was read.
    services.transformation_update(contract=contract, acting_user=staff_user, amount=Decimal("200.00"))
    data = contract_data(
        ref=contract.ref,
        transferee_code=contract.transferee.code,
        transferee_name=contract.transferee.name,
        transferee_region=contract.transferee.region,
        amount="300.00",
        received="",
        version=1,
    )
    response = client.post(url, data)
    assert response.status_code == 409 and "该记录已被他人修改" in response.content.decode()
    contract.refresh_from_db()
    assert contract.amount == Decimal("200.00")
    data["version"] = 2
    assert client.post(url, data).status_code == 302
    contract.refresh_from_db()
    assert contract.amount == Decimal("300.00") and contract.version == 3


def test_cancel_keeps_the_contract_and_shows_history(staff_client, staff_user):
    contract = TransformationFactory(amount=Decimal("12345.60"))
    response = staff_client.post(
        reverse("achievements:transformation_cancel", args=[contract.pk]),
        {"version": 1, "reason": "受让方未按期付款"},
        follow=True,
    )
    assert response.status_code == 200
    contract.refresh_from_db()
    assert contract.status == TransformationStatus.CANCELLED
    html = response.content.decode()
    assert "12,345.60" in html
    assert "解除合同" in html and "<del>有效</del>" in html and "<ins>已解除</ins>" in html

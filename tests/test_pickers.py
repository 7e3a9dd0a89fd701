"""Pickers: the region search endpoint, the transferee autocomplete, region names on the pages
(code on hover), the pickers on the forms and filters, and "请选择" as every form's empty choice."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.services import user_create_unit_user
from achievements import selectors
from achievements.models import Transferee
from core import regions
from core.ui.forms import EMPTY_LABEL, please_choose

from .factories import AchievementFactory, TransfereeFactory, TransformationFactory, UnitFactory

pytestmark = pytest.mark.django_db

REGION_URL = reverse("core:region_search")
TRANSFEREE_URL = reverse("achievements:transferee_search")


def option_values(html: str) -> list[str]:
    return re.findall(r'data-value="(\d{6})"', html)


def fills(html: str) -> list[str]:
    """The credit codes the transferee options would fill in."""
    return re.findall(r"&quot;transferee_code&quot;: &quot;([0-9A-Z]{18})&quot;", html)


# --- region search ---------------------------------------------------------------------------


def test_region_search_by_name(unit_client):
    response = unit_client.get(REGION_URL, {"q": "大连"})
    assert response.status_code == 200
    html = response.content.decode()
    values = option_values(html)
    assert values[0] == "210200"
    assert "210213" in values
    assert 'data-label="辽宁省大连市金州区"' in html and 'title="210213"' in html
    assert response["Cache-Control"].startswith("max-age=600") or "private" in response["Cache-Control"]


def test_region_search_by_code_and_within(staff_client):
    assert option_values(staff_client.get(REGION_URL, {"q": "210213"}).content.decode()) == ["210213"]
    within = option_values(staff_client.get(REGION_URL, {"q": "区", "within": "210200"}).content.decode())
    assert within and all(v.startswith("2102") for v in within)
    # a bad ``within`` is ignored rather than an error
    assert staff_client.get(REGION_URL, {"q": "大连", "within": "abc"}).status_code == 200


def test_region_search_limit_and_empty_answers(staff_client):
    html = staff_client.get(REGION_URL, {"q": "区"}).content.decode()
    assert len(option_values(html)) == regions.SEARCH_LIMIT
    assert "只显示前 20 项" in html
    html = staff_client.get(REGION_URL, {"q": "不存在的地名"}).content.decode()
    assert option_values(html) == [] and "没有匹配的地区" in html
    html = staff_client.get(REGION_URL).content.decode()
    assert option_values(html) == [] and "没有匹配" not in html


def test_region_search_reads_no_table(staff_client):
    staff_client.get(REGION_URL, {"q": "沈阳"})  # the list is loaded once per process
    with CaptureQueriesContext(connection) as queries:
        assert staff_client.get(REGION_URL, {"q": "大连"}).status_code == 200
    tables = [q["sql"] for q in queries.captured_queries if "django_session" not in q["sql"]]
    assert len(tables) <= 1  # the signed-in user only
    assert not any("achievements_" in sql for sql in tables)


def test_region_search_needs_a_login_and_takes_get_only(staff_client):
    assert staff_client.post(REGION_URL, {"q": "大连"}).status_code == 405
    staff_client.logout()
    response = staff_client.get(REGION_URL, {"q": "大连"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- transferee autocomplete ------------------------------------------------------------------


@pytest.fixture
def transferees(unit, other_unit):
    """Unit's own transferee, another unit's, and a shared one (used by both)."""
    own = TransfereeFactory(name="大连海新材料科技有限公司", region="210213")
    theirs = TransfereeFactory(name="大连海洋装备有限公司", region="210211")
    shared = TransfereeFactory(name="沈阳海创机器人有限公司", region="210106")
    TransformationFactory(achievement=AchievementFactory(unit=unit), transferee=own)
    TransformationFactory(achievement=AchievementFactory(unit=unit), transferee=shared)
    TransformationFactory(achievement=AchievementFactory(unit=other_unit), transferee=theirs)
    TransformationFactory(achievement=AchievementFactory(unit=other_unit), transferee=shared)
    return {"own": own, "theirs": theirs, "shared": shared}


def test_transferee_search_by_name_staff_sees_all(staff_client, transferees):
    html = staff_client.get(TRANSFEREE_URL, {"q": "海"}).content.decode()
    assert fills(html) == []  # one character: nothing yet
    assert "请至少输入2个字" in html
    html = staff_client.get(TRANSFEREE_URL, {"q": "大连海"}).content.decode()
    assert set(fills(html)) == {transferees["own"].code, transferees["theirs"].code}
    # the option fills the code, the name and the region, with the region's name for the picker
    assert "&quot;transferee_region&quot;: &quot;210213&quot;" in html
    assert "辽宁省大连市金州区" in html


def test_transferee_search_by_credit_code(staff_client, transferees):
    code = transferees["shared"].code
    html = staff_client.get(TRANSFEREE_URL, {"q": code[:10].lower()}).content.decode()
    assert code in fills(html)
    spaced = " ".join([code[:6], code[6:12], code[12:]])
    assert fills(staff_client.get(TRANSFEREE_URL, {"q": spaced}).content.decode()) == [code]


def test_transferee_search_unit_user_sees_only_their_units_transferees(unit_client, transferees):
    html = unit_client.get(TRANSFEREE_URL, {"q": "有限公司"}).content.decode()
    assert set(fills(html)) == {transferees["own"].code, transferees["shared"].code}
    assert "大连海洋装备" not in html
    # not even by its exact credit code (they may still link it by typing the code on the form)
    assert fills(unit_client.get(TRANSFEREE_URL, {"q": transferees["theirs"].code}).content.decode()) == []


def test_transferee_visibility_is_the_apis(unit_user, transferees, client):
    client.force_login(unit_user)
    api = client.get("/api/v1/transferees/", {"page_size": 100}).json()
    api_codes = {row["code"] for row in api["results"]}
    assert api_codes == set(selectors.transferees_visible(unit_user).values_list("code", flat=True))


def test_transferee_search_when_none_matches_says_a_new_one_is_created(staff_client, transferees):
    html = staff_client.get(TRANSFEREE_URL, {"q": "不存在的公司"}).content.decode()
    assert fills(html) == [] and "保存时新建" in html


def test_transferee_search_limit_order_and_one_query(staff_client, unit):
    for n in range(12):
        TransfereeFactory(name=f"测试营口公司{n:02d}")
    TransfereeFactory(name="营口港务有限公司")
    with CaptureQueriesContext(connection) as queries:
        html = staff_client.get(TRANSFEREE_URL, {"q": "营口"}).content.decode()
    assert len(fills(html)) == selectors.TRANSFEREE_LOOKUP_LIMIT
    assert "营口港务有限公司" in html.split("测试营口公司")[0]  # a name beginning with the text first
    lookups = [q for q in queries.captured_queries if "achievements_transferee" in q["sql"]]
    assert len(lookups) == 1


def test_transferee_search_needs_a_login_and_takes_get_only(unit_client):
    assert unit_client.post(TRANSFEREE_URL, {"q": "大连"}).status_code == 405
    unit_client.logout()
    response = unit_client.get(TRANSFEREE_URL, {"q": "大连"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_transferee_lookup_selector_needs_two_characters(staff_user, transferees):
    assert selectors.transferee_lookup(user=staff_user, query="大") == []
    assert selectors.transferee_lookup(user=staff_user, query=" 大 ") == []
    assert len(selectors.transferee_lookup(user=staff_user, query="大连")) == 2


# --- the forms and filters ----------------------------------------------------------------------


def test_contract_form_has_the_pickers_and_saves_a_picked_region(unit_client, unit, transferees):
    achievement = AchievementFactory(unit=unit)
    url = reverse("achievements:transformation_create", args=[achievement.pk])
    html = unit_client.get(url).content.decode()
    assert 'data-picker="region"' in html and f'hx-get="{REGION_URL}"' in html
    assert html.count(f'hx-get="{TRANSFEREE_URL}"') == 2  # credit code and name
    assert "/js/pickers." in html and "/css/pickers." in html
    # linking the existing transferee picked (its code, name and region as the option fills them)
    own = transferees["own"]
    data = {
        "ref": "HT-PICK-1",
        "mode": "transfer",
        "transferee_code": own.code,
        "transferee_name": own.name,
        "transferee_region": own.region,
        "signed_on": "2023-05-06",
        "amount": "100000.00",
        "received": "",
        "registration_no": "",
    }
    response = unit_client.post(url, data)
    assert response.status_code == 302
    assert Transferee.objects.filter(code=own.code).count() == 1


def test_edit_form_shows_the_current_region_by_name(staff_client, transferees):
    contract = transferees["own"].transformations.first()
    html = staff_client.get(reverse("achievements:transformation_edit", args=[contract.pk])).content.decode()
    assert 'value="210213"' in html  # the code the form sends
    assert 'value="辽宁省大连市金州区"' in html  # the search box (with JavaScript)
    assert '<span class="picker-current" title="210213">辽宁省大连市金州区</span>' in html  # without


def test_contract_list_filters_by_transferee_region_with_a_picker(staff_client, transferees):
    list_url = reverse("achievements:transformation_list")
    html = staff_client.get(list_url).content.decode()
    assert 'name="transferee_region"' in html and 'name="region"' in html
    assert html.count('data-picker="region"') == 2
    response = staff_client.get(list_url, {"transferee_region": "210200"})
    shown = {c.transferee_id for c in response.context["page_obj"].object_list}
    assert shown == {transferees["own"].pk, transferees["theirs"].pk}


# --- names shown, code on hover ---------------------------------------------------------------


def test_contract_list_and_detail_show_region_names_with_code_on_hover(staff_client, transferees):
    html = staff_client.get(reverse("achievements:transformation_list")).content.decode()
    assert '<span class="region" title="210213">辽宁省大连市金州区</span>' in html
    assert ">210213<" not in html
    contract = transferees["own"].transformations.first()
    html = staff_client.get(contract.get_absolute_url()).content.decode()
    assert '<span class="region" title="210213">辽宁省大连市金州区</span>' in html


def test_achievement_detail_shows_the_units_region_by_name(staff_client):
    achievement = AchievementFactory(unit=UnitFactory(region="210213"))
    html = staff_client.get(achievement.get_absolute_url()).content.decode()
    assert '<span class="region" title="210213">辽宁省大连市金州区</span>' in html


def test_an_unlisted_code_is_shown_as_the_code(staff_client):
    # a code valid by the rules but newer than the list (白杨市, 2023)
    TransformationFactory(transferee=TransfereeFactory(region="659012"))
    html = staff_client.get(reverse("achievements:transformation_list")).content.decode()
    assert '<span class="region mono" title="659012">659012</span>' in html


def test_contract_export_has_the_region_name_beside_the_code(staff_client, transferees):
    response = staff_client.get(reverse("achievements:transformation_export_csv"))
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    header = text.splitlines()[0].split(",")
    assert header[header.index("受让方地区代码") + 1] == "受让方地区"
    assert "210213,辽宁省大连市金州区" in text


# --- 请选择 ---------------------------------------------------------------------------------------


def test_forms_say_please_choose_instead_of_dashes(client, staff_user, unit_user, unit):
    achievement = AchievementFactory(unit=unit)
    AchievementFactory(unit=unit)  # a duplicate to choose on the merge page
    pages = [
        reverse("achievements:achievement_create"),
        reverse("achievements:transformation_create", args=[achievement.pk]),
        reverse("achievements:transformation_edit", args=[TransformationFactory(achievement=achievement).pk]),
        reverse("achievements:achievement_edit", args=[achievement.pk]),
        reverse("achievements:achievement_list"),
        reverse("achievements:transformation_list"),
        reverse("dashboards:dashboard"),
        reverse("exchange:import_upload"),
    ]
    for user in (staff_user, unit_user):
        client.force_login(user)
        for url in pages:
            response = client.get(url)
            assert response.status_code == 200, url
            assert "---------" not in response.content.decode(), url
    client.force_login(staff_user)
    html = client.get(reverse("achievements:achievement_create")).content.decode()
    # unit, IP type, cluster (foreign keys and choices alike)
    assert html.count('<option value="" selected>请选择</option>') >= 3
    merge = client.get(reverse("achievements:achievement_merge", args=[achievement.pk])).content.decode()
    assert "---------" not in merge and ">请选择</option>" in merge


def test_please_choose_keeps_forms_without_an_empty_choice():
    from django import forms

    class Sample(forms.Form):
        picked = forms.ChoiceField(choices=[("", "---------"), ("a", "A")])
        fixed = forms.ChoiceField(choices=[("a", "A"), ("b", "B")])
        model = forms.ModelChoiceField(queryset=Transferee.objects.none())
        required_with_initial = forms.ModelChoiceField(queryset=Transferee.objects.none(), empty_label=None)

    form = Sample()
    please_choose(form)
    assert form.fields["picked"].choices[0] == ("", EMPTY_LABEL)
    assert form.fields["fixed"].choices == [("a", "A"), ("b", "B")]
    assert form.fields["model"].empty_label == EMPTY_LABEL
    assert form.fields["required_with_initial"].empty_label is None
    assert str(form["picked"]).count(">请选择</option>") == 1
    assert str(form["model"]).count(">请选择</option>") == 1


def test_unit_user_without_transferees_gets_none(client, transferees):
    lone = user_create_unit_user(username="lone", password="pass-for-tests-1", unit=UnitFactory())
    client.force_login(lone)
    assert fills(client.get(TRANSFEREE_URL, {"q": "有限公司"}).content.decode()) == []


# --- the admin (units and transferees are edited there) --------------------------------------


def test_admin_unit_form_picks_the_region_and_lists_show_names(staff_client):
    unit = UnitFactory(region="210213", name="大连理工测试大学")
    html = staff_client.get(reverse("admin:achievements_unit_change", args=[unit.pk])).content.decode()
    assert 'data-picker="region"' in html and 'name="region" value="210213"' in html
    assert "/htmx-2." in html and "/js/pickers." in html  # the widget's media
    html = staff_client.get(reverse("admin:achievements_unit_changelist")).content.decode()
    assert '<span title="210213">辽宁省大连市金州区</span>' in html
    TransfereeFactory(region="110108")
    html = staff_client.get(reverse("admin:achievements_transferee_changelist")).content.decode()
    assert '<span title="110108">北京市海淀区</span>' in html
    html = staff_client.get(reverse("admin:achievements_transferee_add")).content.decode()
    assert 'data-picker="region"' in html

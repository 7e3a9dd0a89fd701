"""The number conventions (core/numbers.py, docs/numbers.md): every helper over a table of values in
Chinese and English, boundaries (9,999.99 万元 against 1 亿元), zero, negatives, missing figures and
Decimal inputs; the chart-side module (static/js/numbers.js, run with node) against the server's
text for the same values; and the pages that show them (a list's count, the dashboard's tiles,
charts and definitions box)."""

import datetime
import json
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from achievements.models import Achievement
from core import numbers

from .factories import AchievementFactory, TransfereeFactory, TransformationFactory

D = Decimal
LANGS = ("zh-hans", "en")
JS = Path(settings.BASE_DIR) / "static" / "js" / "numbers.js"


def both(helper, value, *args):
    """The helper's text in Chinese and in English."""
    out = []
    for language in LANGS:
        with translation.override(language):
            out.append(helper(value, *args))
    return tuple(out)


# --- the server-side helpers, over a table of values --------------------------------------------------

COUNTS = [
    (45130, "45,130"),
    (0, "0"),
    (999, "999"),
    (1000, "1,000"),
    (-1234, "-1,234"),
    (D("1234.5"), "1,235"),  # half away from zero
    (12730000, "12,730,000"),
    (None, "—"),
    ("", "—"),
]


@pytest.mark.parametrize(("value", "text"), COUNTS)
def test_count_groups_thousands_in_both_languages(value, text):
    assert both(numbers.count, value) == (text, text)


@pytest.mark.parametrize(
    ("value", "noun", "zh", "en"),
    [
        (1, "contract", "1 份", "1 contract"),
        (2, "contract", "2 份", "2 contracts"),
        (0, "contract", "0 份", "0 contracts"),
        (45130, "record", "45,130 条", "45,130 records"),
        (1, "achievement", "1 项", "1 achievement"),
        (D("1"), "unit", "1 家", "1 unit"),
        (21, "problem", "21 个", "21 problems"),
    ],
)
def test_counted_puts_the_noun_in_the_plural_the_count_calls_for(value, noun, zh, en):
    assert both(numbers.counted, value, noun) == (zh, en)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (D("1234567.8"), "1,234,567.80"),
        (1234567, "1,234,567.00"),
        (0, "0.00"),
        (D("0.004"), "0.00"),
        (D("0.005"), "0.01"),
        (D("-0.005"), "-0.01"),
        (D("-0.004"), "0.00"),  # never "-0.00"
        (D("-1500.5"), "-1,500.50"),
        ("2,000.10", "2,000.10"),
        (None, "—"),
    ],
)
def test_yuan_has_two_decimals_and_separators(value, text):
    assert both(numbers.yuan, value) == (text, text)


@pytest.mark.parametrize(
    ("value", "wan", "yi"),
    [
        (D("1234567"), "123.46", "0.01"),
        (50, "0.01", "0.00"),  # 0.005 万元 rounds half up
        (49, "0.00", "0.00"),
        (D("6231380000"), "623,138.00", "62.31"),
        (0, "0.00", "0.00"),
        (D("-150000000"), "-15,000.00", "-1.50"),
        (None, "—", "—"),
    ],
)
def test_wan_and_yi_are_fixed_units_with_two_decimals(value, wan, yi):
    assert both(numbers.wan, value) == (wan, wan)
    assert both(numbers.yi, value) == (yi, yi)


MONEY = [
    # yuan, Chinese, English
    (D("99999900"), "9,999.99 万元", "9,999.99 × 10,000 yuan"),  # the last 万元 below 1 亿元
    (D("100000000"), "1.00 亿元", "1.00 × 100 million yuan"),  # 1 亿元: in 亿元
    (D("99999999.99"), "1.00 亿元", "1.00 × 100 million yuan"),  # 10,000.00 万元 once rounded: 亿元
    (D("99999949.99"), "9,999.99 万元", "9,999.99 × 10,000 yuan"),
    (D("6500000"), "650.00 万元", "650.00 × 10,000 yuan"),
    (D("6231380000"), "62.31 亿元", "62.31 × 100 million yuan"),
    (623138000000, "6,231.38 亿元", "6,231.38 × 100 million yuan"),
    (0, "0.00 万元", "0.00 × 10,000 yuan"),
    (D("-150000000"), "-1.50 亿元", "-1.50 × 100 million yuan"),
    (D("-20000"), "-2.00 万元", "-2.00 × 10,000 yuan"),
    (2000000.0, "200.00 万元", "200.00 × 10,000 yuan"),  # a float, through its decimal text
    (None, "—", "—"),
]


@pytest.mark.parametrize(("value", "zh", "en"), MONEY)
def test_money_is_in_wan_below_one_yi_and_in_yi_from_it(value, zh, en):
    assert both(numbers.money, value) == (zh, en)


def test_money_parts_and_a_forced_unit():
    with translation.override("zh-hans"):
        assert numbers.money_parts(D("6500000")) == ("650.00", "万元")
        assert numbers.money_parts(D("650000000")) == ("6.50", "亿元")
        assert numbers.money_parts(None) == ("—", "")
        assert numbers.money(D("1234567.8"), "yuan") == "1,234,567.80 元"
        assert numbers.money(D("650000000"), "wan") == "65,000.00 万元"
        assert numbers.unit_caption("wan") == "万元"
    with translation.override("en"):
        assert numbers.money_parts(D("6500000")) == ("650.00", "× 10,000 yuan")
        assert numbers.money_parts(D("650000000")) == ("6.50", "× 100 million yuan")
        assert numbers.money(D("1234567.8"), "yuan") == "1,234,567.80 yuan"
        assert numbers.unit_caption("wan") == "10,000 yuan"
        assert numbers.unit_caption("yi") == "100 million yuan"


@pytest.mark.parametrize(
    ("ratio", "text"),
    [
        (D("0.3123"), "31.2%"),
        (D("0.31249"), "31.2%"),
        (D("0.31250"), "31.3%"),
        (D("0.00049"), "0.0%"),
        (1, "100.0%"),
        (0, "0.0%"),
        (0.1 + 0.2, "30.0%"),  # 0.30000000000000004
        (D("-0.0125"), "-1.3%"),
        (D("12.345"), "1,234.5%"),
        (None, "—"),
    ],
)
def test_percent_has_one_decimal(ratio, text):
    assert both(numbers.percent, ratio) == (text, text)


@pytest.mark.parametrize(
    ("ratio", "text", "sign"),
    [
        (D("0.123"), "+12.3%", "up"),
        (D("-0.05"), "-5.0%", "down"),
        (0, "0.0%", "flat"),
        (D("0.00049"), "0.0%", "flat"),  # rounds to nothing: no sign, no arrow
        (D("-0.00049"), "0.0%", "flat"),
        (D("20.6667"), "+2,066.7%", "up"),
        (None, "—", "flat"),
    ],
)
def test_growth_is_signed_with_one_decimal(ratio, text, sign):
    assert both(numbers.growth, ratio) == (text, text)
    assert numbers.sign(ratio) == sign


@pytest.mark.parametrize(
    ("delta", "zh", "en"),
    [
        (D("0.021"), "+2.1 个百分点", "+2.1 percentage points"),
        (D("-0.021"), "-2.1 个百分点", "-2.1 percentage points"),
        (0, "0.0 个百分点", "0.0 percentage points"),
        (D("0.4010") - D("0.3800"), "+2.1 个百分点", "+2.1 percentage points"),
        (D("0.0005"), "+0.1 个百分点", "+0.1 percentage points"),  # 0.05 points, half up
        (D("0.00049"), "0.0 个百分点", "0.0 percentage points"),
        (None, "—", "—"),
    ],
)
def test_a_change_of_a_rate_is_in_percentage_points(delta, zh, en):
    assert both(numbers.points, delta) == (zh, en)


def test_a_word_that_is_no_number_is_refused():
    with pytest.raises(ValueError, match="not a number"):
        numbers.count("abc")


def test_template_filters_are_the_helpers():
    from django.template import Context, Template

    template = Template(
        "{% load numbers %}{{ a|number:1 }}|{{ n|count }}|{{ n|counted:'contract' }}|{{ a|yuan }}|{{ a|wan }}|{{ a|money }}"
        "|{{ a|money:'yuan' }}|{{ r|percent }}|{{ r|growth }}|{{ r|points }}|{{ none|money }}|{% unit_caption 'yi' %}"
    )
    context = Context({"n": 45130, "a": D("623138000"), "r": D("0.0125"), "none": None})
    with translation.override("zh-hans"):
        assert template.render(context) == (
            "623,138,000.0|45,130|45,130 份|623,138,000.00|62,313.80|6.23 亿元|623,138,000.00 元|1.3%|+1.3%|+1.3 个百分点|—|亿元"
        )
    with translation.override("en"):
        assert template.render(context) == (
            "623,138,000.0|45,130|45,130 contracts|623,138,000.00|62,313.80|6.23 × 100 million yuan|623,138,000.00 yuan"
            "|1.3%|+1.3%|+1.3 percentage points|—|100 million yuan"
        )


# --- the chart side: static/js/numbers.js, run with node ----------------------------------------------

RAW = [0, 1, 1.005, 2.675, -2.5, 0.125, 1234567.891, 45130, -0.004, 1e-7, 99999.995, 62313.8, 29079]


def run_node(cases: list) -> list:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the chart helper is checked by the browser tests only")
    script = (
        "const N = require(process.argv[1]);"
        "const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "process.stdout.write(JSON.stringify(cases.map(c => c.fn === 'number' ? N.number(c.value, c.places)"
        " : c.fn === 'axis' ? N.axis(c.value) : c.fn === 'share' ? N.share(c.value) : N.withUnit(c.value, c.unit))));"
    )
    done = subprocess.run(
        [node, "-e", script, str(JS)], input=json.dumps(cases), capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_chart_helper_rounds_and_groups_as_the_server_does():
    cases = [{"fn": "number", "value": v, "places": p} for v in RAW for p in (0, 1, 2)]
    expected = [numbers.number(c["value"], c["places"]) for c in cases]
    assert run_node(cases) == expected


def test_the_chart_helper_writes_each_unit_as_the_server_does_in_both_languages():
    """The server converts an amount to the chart's unit (dashboards.views.chart_value) and sends the
    unit's words (core.numbers.chart_unit); the chart's label must read as the server's text."""
    from dashboards.views import chart_value

    cases, expected = [], []
    for language in LANGS:
        with translation.override(language):
            for yuan, _zh, _en in MONEY[:-1]:
                unit = numbers.money_unit(yuan)
                cases.append({"fn": "withUnit", "value": chart_value(yuan, unit), "unit": numbers.chart_unit(unit)})
                expected.append(numbers.money(yuan))
            for n in (0, 1, 2, 29079):
                for noun in ("contract", "achievement"):
                    cases.append({"fn": "withUnit", "value": n, "unit": numbers.chart_unit("count", noun)})
                    expected.append(numbers.counted(n, noun))
            for ratio in (D("0.3123"), D("0.0005"), 1):
                cases.append(
                    {"fn": "withUnit", "value": chart_value(ratio, "rate"), "unit": numbers.chart_unit("percent")}
                )
                expected.append(numbers.percent(ratio))
    got = run_node(cases)
    assert got == expected
    assert "62,313.80 万元" in run_node(
        [{"fn": "withUnit", "value": 62313.8, "unit": numbers.chart_unit("wan", language="zh-hans")}]
    )


def test_a_rate_series_is_plotted_in_percent():
    """A rate's chart unit is ``percent`` (dashboards.views._chart_unit): its values are sent as
    percentages with one decimal, not truncated to a whole number of the ratio."""
    from dashboards.selectors import Scope
    from dashboards.views import _chart_unit, _series, chart_value

    rows = [{"key": "2023", "conversion_rate": D("0.3123")}, {"key": "2024", "conversion_rate": None}]
    assert _chart_unit("conversion_rate", rows) == "percent"
    assert chart_value(D("0.3123"), "percent") == 31.2
    series = _series(rows, "conversion_rate", year=2024, scope=Scope(), by="ip_type")
    assert [point["value"] for point in series["data"]] == [31.2, None]
    assert series["unit"]["unit"] == "percent"


def test_the_chart_helper_writes_axis_ticks_and_shares():
    cases = [{"fn": "axis", "value": v} for v in (20000, 0.5, 0, 1250000, -3000, 2.25)]
    cases += [{"fn": "share", "value": v} for v in (12.345, 100, None)]
    cases += [{"fn": "withUnit", "value": v} for v in (12.5, 12345.678, None)]  # a series without its unit
    assert run_node(cases) == [
        "20,000", "0.5", "0", "1,250,000", "-3,000", "2.25", "12.3%", "100.0%", "—", "12.5", "12,345.68", "—"
    ]


# --- pages ------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_list_counts_with_thousands_separators(staff_client, unit, monkeypatch):
    Achievement.objects.bulk_create(AchievementFactory.build(unit=unit) for _ in range(1234))
    html = staff_client.get(reverse("achievements:achievement_list")).content.decode()
    assert '<span class="pager-count">共 1,234 条</span>' in html
    from achievements.views import AchievementListView

    monkeypatch.setattr(AchievementListView, "page_sizes", (1, 25))  # one record a page: 1,234 pages
    last = staff_client.get(reverse("achievements:achievement_list"), {"per_page": 1, "page": "last"})
    assert "第 1,234 / 1,234 页" in last.content.decode()


@pytest.fixture
def dashboard_data(db, unit):
    local = TransfereeFactory(region="210100")
    achievement = AchievementFactory(unit=unit, registered_on=datetime.date(2022, 3, 1))
    TransformationFactory(
        achievement=achievement, transferee=local, signed_on=datetime.date(2023, 5, 1), amount=D("150000000")
    )
    call_command("recompute_stats", verbosity=0)
    return unit


def dashboard(client, **params):
    response = client.get(reverse("dashboards:dashboard"), {"year": 2023, **params})
    assert response.status_code == 200
    return response


def test_the_definitions_box_shows_labels_not_keys(staff_client, dashboard_data):
    response = dashboard(staff_client)
    labels = [str(d["label"]) for d in response.context["definitions"]]
    assert "stock" not in labels and "科技成果存量" in labels
    html = response.content.decode()
    assert "<dt>stock</dt>" not in html and "<dt>科技成果存量</dt>" in html


def test_dashboard_tiles_and_charts_carry_their_units(staff_client, dashboard_data):
    response = dashboard(staff_client)
    tiles = {t["metric"]: t for t in response.context["tiles"]}
    assert (tiles["amount"]["value"], tiles["amount"]["unit"]) == ("1.50", "亿元")  # at least 1 亿元
    assert (tiles["contracts"]["value"], tiles["contracts"]["unit"]) == ("1", "份")
    charts = {c["id"]: c for c in response.context["charts"]}
    region = charts["region"]["series"][0]
    assert region["unit"]["caption"] == "亿元" and region["unit"]["pattern"] == "{value} 亿元"
    assert max(point["value"] for point in region["data"]) == 1.5
    trend = charts["trend"]
    assert trend["axes"][1] == "亿元"
    assert [s["unit"]["unit"] for s in trend["series"]] == ["count", "count", "yi"]
    assert charts["local"]["series"][0]["unit"]["caption"] == "亿元"
    assert all(s.get("unit") for c in charts.values() for s in c["series"]), "every series has its unit"
    # The tables stay in 万元 (their header says so).
    region_table = next(s for s in response.context["sections"] if s["id"] == "region")["table"]
    assert any(c["text"] == "15,000.00" for row in region_table["rows"] for c in row["cells"])


def test_dashboard_units_in_english(client, staff_user, dashboard_data):
    client.force_login(staff_user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = dashboard(client)
    tiles = {t["metric"]: t for t in response.context["tiles"]}
    assert tiles["amount"]["unit"] == "× 100 million yuan"
    assert tiles["contracts"]["unit"] == "contract"  # one contract, never "1 contracts"
    html = response.content.decode()
    assert "100M yuan" not in html
    charts = {c["id"]: c for c in response.context["charts"]}
    assert charts["region"]["series"][0]["unit"]["pattern"] == "{value} × 100 million yuan"
    assert charts["trend"]["series"][1]["unit"]["one"] == "{value} contract"


def test_a_generic_table_column_writes_its_numbers_with_the_helpers():
    from types import SimpleNamespace

    from core.ui.tables import Column, Table

    class Figures(Table):
        contracts = Column("n", accessor="contracts", number="count", css="num")
        amount = Column("a", accessor="amount", number="yuan", css="num")
        year = Column("y", accessor="year")  # no number: a year is not grouped

    record = SimpleNamespace(contracts=45130, amount=None, year=2023)
    cells = [str(c) for c in Figures(None, sort="", records=[record]).rendered_rows[0]]
    assert cells == ['<td class="num">45,130</td>', '<td class="num">—</td>', '<td class="">2023</td>']
    assert Figures.export_row(record)[:1] == [45130]  # exports keep the number
    with pytest.raises(ValueError, match="number='thousands'"):
        Column("x", number="thousands")


@pytest.mark.django_db
def test_the_admin_contract_list_writes_amounts_in_yuan(admin_client):
    TransformationFactory(amount=D("1234567.80"))
    html = admin_client.get(reverse("admin:achievements_transformation_changelist")).content.decode()
    assert "1,234,567.80" in html and "1234567.80" not in html


def test_an_annual_report_writes_its_figures_by_kind():
    from reports.views import _figure_text

    assert _figure_text("130000", "amount") == "130,000.00"
    assert _figure_text(1234, "contracts") == "1,234"
    assert _figure_text(None, "received") == "—"
    assert _figure_text("五万", "amount") == "五万"  # a draft's typo, shown as typed


def test_a_units_tile_and_the_provinces_beside_it_each_take_their_own_unit(unit_client, unit, other_unit):
    """The unit's 100 万元 in 万元, the province's 2.01 亿元 in 亿元, on the same tile."""
    for owner, amount in ((unit, D("1000000")), (other_unit, D("200000000"))):
        TransformationFactory(
            achievement=AchievementFactory(unit=owner, registered_on=datetime.date(2022, 3, 1)),
            signed_on=datetime.date(2023, 5, 1),
            amount=amount,
        )
    call_command("recompute_stats", verbosity=0)
    response = dashboard(unit_client)
    tile = next(t for t in response.context["tiles"] if t["metric"] == "amount")
    assert (tile["value"], tile["unit"]) == ("100.00", "万元")
    assert (tile["province"], tile["province_unit"]) == ("2.01", "亿元")
    assert "全省：2.01 亿元" in response.content.decode()

"""Cell parsing and formula neutralisation of exchange format v1."""

import datetime
from decimal import Decimal

import pytest

from exchange import format as fmt
from exchange.cells import (
    CellError,
    neutralise,
    parse_bool,
    parse_date,
    parse_decimal,
    parse_enum,
    parse_trl,
    unneutralise,
)

AMOUNT = fmt.TRANSFORMATIONS.columns[fmt.TRANSFORMATIONS.index["amount"]]
IP_TYPE = fmt.ACHIEVEMENTS.columns[fmt.ACHIEVEMENTS.index["ip_type"]]


@pytest.mark.parametrize(
    "text",
    [
        "=1+1",
        "+86 24",
        "-5",
        "@SUM(A1)",
        "\tx",
        "\rx",
        "'=already",
        "''",
        "'",
        "'plain",
        "plain",
        "",
        "=",
        "'\t",
    ],
)
def test_neutralise_then_unneutralise_restores_every_text(text):
    assert unneutralise(neutralise(text)) == text


@pytest.mark.parametrize("text", ['=HYPERLINK("http://x")', "+1", "-1", "@x", "\t1", "\r1"])
def test_neutralised_text_no_longer_starts_with_a_formula_trigger(text):
    assert neutralise(text).startswith("'")
    assert neutralise(text)[1:] == text


def test_unneutralise_leaves_an_ordinary_apostrophe_alone():
    assert unneutralise("'s Gravesande") == "'s Gravesande"


@pytest.mark.parametrize("raw", ["2023/13/01", "2023-13-01", "2023-1-5", "20230105", "2023年1月5日"])
def test_dates_must_be_strict_iso(raw):
    with pytest.raises(CellError) as exc:
        parse_date(raw, None)
    assert "YYYY-MM-DD" in exc.value.message


def test_real_excel_date_cells_are_accepted():
    assert parse_date(datetime.datetime(2023, 1, 5), None) == datetime.date(2023, 1, 5)
    assert parse_date("2023-01-05", None) == datetime.date(2023, 1, 5)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("1,000", "不含千位分隔符"),
        ("一万", "不含千位分隔符"),
        ("1万", "不含千位分隔符"),
        ("-5", "不能为负数"),
        (-5, "不能为负数"),
        ("1.234", "最多两位小数"),
        (1.234, "最多两位小数"),
    ],
)
def test_bad_amounts_are_rejected_with_a_clear_message(raw, message):
    with pytest.raises(CellError) as exc:
        parse_decimal(raw, AMOUNT)
    assert message in exc.value.message


@pytest.mark.parametrize(
    ("raw", "value"), [("1000", "1000.00"), ("1000.5", "1000.50"), (1000.25, "1000.25"), (7, "7.00")]
)
def test_good_amounts_are_parsed_to_two_places(raw, value):
    assert parse_decimal(raw, AMOUNT) == Decimal(value)


def test_enumerations_accept_the_english_key_or_the_chinese_label_in_any_case():
    assert parse_enum("Invention_Patent", IP_TYPE) == "invention_patent"
    assert parse_enum("发明专利", IP_TYPE) == "invention_patent"
    with pytest.raises(CellError) as exc:
        parse_enum("patent", IP_TYPE)
    assert "发明专利" in exc.value.message


def test_booleans_and_trl():
    assert parse_bool("是", None) is True and parse_bool("NO", None) is False
    assert parse_trl(6.0, None) == 6
    for bad in ("10", 0, "6.5", "六"):
        with pytest.raises(CellError):
            parse_trl(bad, None)

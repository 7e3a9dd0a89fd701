"""The division list (core.regions): names, search, the region checks that read it."""

import pytest
from django.core.exceptions import ValidationError

from core import regions
from core.validators import LIAONING_CITIES, validate_region_code


def test_every_province_and_liaonings_cities_and_districts_are_listed():
    provinces = {d.code: d.name for d in regions.provinces()}
    assert len(provinces) == 34
    assert provinces["210000"] == "辽宁省"
    assert provinces["110000"] == "北京市" and provinces["810000"] == "香港特别行政区"
    # Liaoning's 14 cities are the ones the validators know, by the same names.
    liaoning = {d.code: d.name for d in regions.cities("210000")}
    assert liaoning == {code: str(name) for code, name in LIAONING_CITIES.items()}
    # every prefecture-level city of China (333 as of the list's release)
    assert len(regions.cities()) >= 330
    dalian = {d.code: d.name for d in regions.districts("210200")}
    assert dalian["210213"] == "金州区" and dalian["210214"] == "普兰店区"
    assert all(code.startswith("2102") for code in dalian)
    # Liaoning has 100 county-level divisions (districts, counties, county-level cities)
    assert sum(len(regions.districts(code)) for code in LIAONING_CITIES) == 100


@pytest.mark.parametrize(
    ("code", "name", "label"),
    [
        ("210000", "辽宁省", "辽宁省"),
        ("210200", "大连市", "辽宁省大连市"),
        ("210213", "金州区", "辽宁省大连市金州区"),
        ("110108", "海淀区", "北京市海淀区"),  # a municipality's district: no city level in the name
        ("429004", "仙桃市", "湖北省仙桃市"),  # directly administered by the province
        ("320505", "虎丘区", "江苏省苏州市虎丘区"),
    ],
)
def test_names_and_full_labels(code, name, label):
    assert regions.name_of(code) == name
    assert regions.label(code) == label
    assert regions.is_known(code)


def test_an_unknown_code_is_shown_as_itself():
    assert regions.name_of("210299") is None
    assert regions.label("210299") == "210299"
    assert not regions.is_known("210299")
    assert regions.label("") == "" and regions.label(None) == ""


def test_search_by_name_puts_the_city_before_its_districts():
    found = [d.code for d in regions.search("大连")]
    districts = {d.code for d in regions.districts("210200")}
    assert found[0] == "210200"
    assert set(found[1 : len(districts) + 1]) == districts
    assert found[len(districts) + 1 :] == ["231182"]  # 黑龙江省黑河市五大连池市, after Liaoning's


def test_search_by_code_prefix_and_exact_code():
    assert [d.code for d in regions.search("210213")] == ["210213"]
    found = [d.code for d in regions.search("2102")]
    assert found[0] == "210200" and all(code.startswith("2102") for code in found)


def test_search_puts_liaoning_first_then_larger_divisions():
    found = [d.label for d in regions.search("铁西")]
    assert found[:2] == ["辽宁省沈阳市铁西区", "辽宁省鞍山市铁西区"]
    assert "吉林省四平市铁西区" in found
    # an exact name before a longer name containing it
    assert regions.search("朝阳市")[0].code == "211300"
    assert regions.search("朝阳")[0].code == "211300"  # Liaoning's city before Beijing's district


def test_search_limits_and_empty_queries():
    assert len(regions.search("区")) == regions.SEARCH_LIMIT
    assert len(regions.search("区", limit=5)) == 5
    assert regions.search("") == [] and regions.search("   ") == [] and regions.search(None) == []
    assert regions.search("不存在的地名") == []
    assert [d.code for d in regions.search("大 连")][:1] == ["210200"]  # spaces are ignored
    within = regions.search("区", within="210200", limit=50)
    assert within and all(d.code.startswith("2102") for d in within)


def test_the_list_is_read_once():
    assert regions._table() is regions._table()


# --- validation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "code",
    [
        "210000",  # Liaoning
        "210200",
        "210213",
        "211481",
        "110108",
        "429004",
        "659012",  # 白杨市 (2023): newer than the list, its prefecture group 6590 is listed
        "710000",  # Taiwan: the list has no prefectures there, so only the province is checked
        "810100",
        "320000",
    ],
)
def test_valid_region_codes(code):
    validate_region_code(code)


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("21020", "应为6位"),
        ("990000", "前两位"),
        ("219900", "辽宁省14个地级市"),  # Liaoning: today's rule, unchanged
        ("215500", "辽宁省14个地级市"),
        ("329900", "地级行政区划"),  # another province: the prefecture must be listed
        ("110300", "地级行政区划"),
        ("371200", "地级行政区划"),  # 莱芜市, merged into 济南 in 2019
    ],
)
def test_invalid_region_codes(code, message):
    with pytest.raises(ValidationError) as info:
        validate_region_code(code)
    assert message in info.value.messages[0]

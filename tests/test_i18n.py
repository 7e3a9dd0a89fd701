"""Languages: the English catalogue is complete, and switching to English changes the key pages and
the API's error messages, while a visitor who asks for nothing gets the default, Simplified Chinese.

The pages are rendered from the compiled catalogue (``django.mo``). ``make test`` compiles it first;
when it is missing or older than the ``.po`` this module compiles it (compilemessages needs GNU
gettext's ``msgfmt``) and skips, saying why, if it cannot.
"""

import datetime
import re
import shutil
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation
from django.utils.translation import trans_real

from .factories import AchievementFactory, TransformationFactory, cluster

EN_DIR = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES"
PO = EN_DIR / "django.po"
MO = EN_DIR / "django.mo"

PLACEHOLDER = re.compile(r"%\(\w+\)[-+ #0]*\d*(?:\.\d+)?[sdfr]|%[sd]|\{\w*\}")
CJK = re.compile(r"[\u4e00-\u9fff]")


def catalogue() -> polib.POFile:
    return polib.pofile(str(PO))


def live_entries() -> list[polib.POEntry]:
    return [entry for entry in catalogue() if not entry.obsolete]


def translations(entry: polib.POEntry) -> list[str]:
    if entry.msgid_plural:
        return [entry.msgstr_plural[k] for k in sorted(entry.msgstr_plural)]
    return [entry.msgstr]


@pytest.fixture(scope="session")
def english_catalogue_compiled():
    """Compile the English catalogue when its .mo is missing or stale; skip if that is impossible."""
    if not MO.exists() or MO.stat().st_mtime < PO.stat().st_mtime:
        if shutil.which("msgfmt") is None:
            pytest.skip(
                f"{MO.relative_to(settings.BASE_DIR)} is missing or older than the .po and msgfmt is not "
                "installed: run `make messages` (or apt-get install gettext)"
            )
        call_command("compilemessages", locale=["en"], ignore_patterns=[".venv", "node_modules"], verbosity=0)
        # Catalogues already loaded in this process would hide the new .mo.
        trans_real._translations = {}
        trans_real._default = None
    return MO


# --- the catalogue ----------------------------------------------------------------------------------


def test_the_english_catalogue_declares_english_with_two_plural_forms():
    po = catalogue()
    assert po.metadata["Language"] == "en"
    assert po.metadata["Plural-Forms"].startswith("nplurals=2;")
    assert not po.metadata_is_fuzzy


def test_every_msgid_has_an_english_translation():
    untranslated = [e.msgid for e in live_entries() if not all(s.strip() for s in translations(e))]
    assert untranslated == [], f"{len(untranslated)} untranslated entries, e.g. {untranslated[:5]}"


def test_no_entry_is_left_fuzzy():
    fuzzy = [e.msgid for e in live_entries() if "fuzzy" in e.flags]
    assert fuzzy == []


def test_translations_keep_every_placeholder():
    broken = []
    for entry in live_entries():
        wanted = sorted(PLACEHOLDER.findall(entry.msgid))
        for text in translations(entry):
            if sorted(PLACEHOLDER.findall(text)) != wanted:
                broken.append((entry.msgid, text))
    assert broken == []


def test_translations_are_english():
    # The language's own name stays in Chinese in the language menu; yes/no input accepts 是/否.
    allowed = {"简体中文", "应为 yes/no 或 是/否。"}
    chinese = [
        e.msgid for e in live_entries() if e.msgid not in allowed and CJK.search("".join(translations(e)))
    ]
    assert chinese == []


def test_the_catalogue_covers_the_languages_offered():
    codes = [code for code, _name in settings.LANGUAGES]
    assert codes[0] == settings.LANGUAGE_CODE == "zh-hans"
    assert "en" in codes


# --- pages in English and in the default language ---------------------------------------------------


@pytest.fixture
def english(client, english_catalogue_compiled):
    """Switch the test client to English the way the language menu does (POST /i18n/setlang/)."""
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    yield client
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def records(db, unit):
    achievement = AchievementFactory(
        unit=unit, cluster=cluster("A01"), registered_on=datetime.date(2022, 3, 1)
    )
    TransformationFactory(achievement=achievement, signed_on=datetime.date(2023, 5, 1))
    call_command("recompute_stats", verbosity=0)
    return achievement


def text_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


@pytest.mark.django_db
def test_the_default_language_is_simplified_chinese(client, english_catalogue_compiled):
    html = text_of(client.get(reverse("home")))
    assert '<html lang="zh-hans">' in html
    assert "辽宁省可转化科技成果库" in html
    assert "Liaoning Registry of Convertible Achievements" not in html


@pytest.mark.django_db
def test_the_home_page_speaks_english_after_switching(english):
    html = text_of(english.get(reverse("home")))
    assert '<html lang="en">' in html
    assert "Liaoning Registry of Convertible Achievements" in html
    assert "Log in" in html
    for label in ("辽宁省可转化科技成果库", "登录", "汇集全省高校"):
        assert label not in html


@pytest.mark.django_db
def test_the_login_page_speaks_english(english):
    html = text_of(english.get(reverse("login")))
    assert "Log in" in html
    assert "Username" in html and "Password" in html
    assert "登录" not in html and "用户名" not in html


@pytest.mark.django_db
def test_the_achievement_list_speaks_english(english, staff_user, records):
    english.force_login(staff_user)
    html = text_of(english.get(reverse("achievements:achievement_list")))
    for label in ("Achievements", "Export Excel", "Clear filters", "TRL", "Title"):
        assert label in html, label
    for label in ("科技成果", "导出 Excel", "清除条件", "成果名称", "技术成熟度", "每页条数", "首页"):
        assert label not in html, label


@pytest.mark.django_db
def test_the_achievement_list_is_in_chinese_by_default(staff_client, records):
    html = text_of(staff_client.get(reverse("achievements:achievement_list")))
    assert "导出 Excel" in html and "清除条件" in html
    assert "Export Excel" not in html


@pytest.mark.django_db
def test_the_dashboard_speaks_english(english, staff_user, records):
    english.force_login(staff_user)
    html = text_of(english.get(reverse("dashboards:dashboard")))
    for label in ("Dashboard", "Key figures", "Conversion rate", "Local conversion rate", "Contract amount"):
        assert label in html, label
    for label in (
        "数据看板",
        "核心指标",
        "转化率",
        "本地转化率",
        "合同金额",
        "计算口径",
        "亿元",
        "仅统计状态",
    ):
        assert label not in html, label
    assert "× 10,000 yuan" in html  # the amount tile's unit (core.numbers, docs/numbers.md)
    assert "100M yuan" not in html
    assert " Only contracts with status" in html  # definitions are translated when shown, not at import


@pytest.mark.django_db
def test_the_django_language_cookie_alone_selects_english(
    client, staff_user, records, english_catalogue_compiled
):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(staff_user)
    html = text_of(client.get(reverse("dashboards:dashboard")))
    assert "Key figures" in html and "核心指标" not in html
    translation.activate(settings.LANGUAGE_CODE)


# --- API error messages -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_api_validation_errors_are_english_after_switching(english, staff_user):
    english.force_login(staff_user)
    body = english.get("/api/v1/stats/summary/").content.decode()
    assert "The year parameter is required." in body
    assert "必须提供年份参数" not in body


@pytest.mark.django_db
def test_api_validation_errors_are_chinese_by_default(staff_client):
    body = staff_client.get("/api/v1/stats/summary/").content.decode()
    assert "必须提供年份参数。" in body


@pytest.mark.django_db
def test_api_clients_get_english_errors_with_accept_language(client, english_catalogue_compiled):
    response = client.get(
        "/api/v1/stats/summary/",
        {"year": 2023},
        HTTP_AUTHORIZATION="Token not-a-token",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 401
    assert response.json()["detail"] == "Invalid token."
    translation.activate(settings.LANGUAGE_CODE)


@pytest.mark.django_db
def test_api_clients_get_chinese_errors_without_accept_language(client):
    response = client.get("/api/v1/stats/summary/", {"year": 2023}, HTTP_AUTHORIZATION="Token not-a-token")
    assert response.status_code == 401
    assert response.json()["detail"] == "令牌无效。"

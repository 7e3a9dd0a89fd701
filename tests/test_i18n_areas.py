"""The newer areas (annual reports, pilot-test bases, incentives, reviews, help) in English: every
page of a small set of records renders with no Chinese and no full-width punctuation left, except
the data itself (unit, base, rule and achievement names, stored reasons) and the language menu's
own name for Chinese.

The records are those of the access matrix's area helpers (tests/access_*.py), built here on two
units of their own. The data is subtracted from the page by value: every Chinese string stored in
the database (longest first) is removed from the visible text before looking for what is left.
"""

from __future__ import annotations

import datetime
import html
import re

import pytest
from django.apps import apps
from django.conf import settings
from django.db import models
from django.test import Client
from django.urls import reverse

from accounts.services import user_create_staff, user_create_unit_user

from .factories import AchievementFactory, TransfereeFactory, TransformationFactory, UnitFactory
from .test_i18n import english_catalogue_compiled  # noqa: F401  (the fixture: compiles the .mo)

CHINESE = re.compile(r"[\u4e00-\u9fff\u3000-\u303f\uff01-\uff5e]")
LANGUAGE_NAMES = ("简体中文",)


@pytest.fixture
def area_records(db):
    from .access_incentives import build as build_incentives
    from .access_pilots import build as build_pilots
    from .access_reports import build as build_reports

    unit_a, unit_b = UnitFactory(name="甲大学（语言）"), UnitFactory(name="乙研究院（语言）")
    ach_b = AchievementFactory(unit=unit_b)
    objects = {
        "unit_a": unit_a,
        "unit_b": unit_b,
        "ach_b": ach_b,
        "ach_b_dup": AchievementFactory(unit=unit_b, registered_on=datetime.date(2018, 3, 1)),
        "contract_b": TransformationFactory(
            achievement=ach_b, transferee=TransfereeFactory(name="受让方（语言）")
        ),
        "user_b": user_create_unit_user(username="lang_b", password="pass-for-tests-1", unit=unit_b),
        "staff": user_create_staff(username="lang_staff", password="pass-for-tests-1"),
    }
    build_incentives(objects)
    build_pilots(objects)
    build_reports(objects)
    # a report returned with a reviewer's comment on a field (the review panel and log show it)
    from reports import services as report_services

    from .access_reports import _report

    commented = _report(unit_b, 2019, ("submit",))
    objects["report_b_commented"] = report_services.report_transition(
        report=commented,
        action="return_for_changes",
        acting_user=None,
        expected_version=commented.version,
        comments=[("tto_staff", "请核实人数")],
    )
    return objects


def _pages(d: dict) -> list[tuple[str, str]]:
    """(role, url): the list, detail and form pages of the areas, each as a user who may read it."""
    pk = {key: d[key].pk for key in d if hasattr(d[key], "pk")}
    staff_pages = [
        reverse("home"),  # the panels of the areas
        reverse("reports:report_list"),
        reverse("reports:cycle_list"),
        reverse("reports:cycle_detail", args=[2023]),
        reverse("reports:report_detail", args=[pk["report_b_submitted"]]),
        reverse("reports:report_print", args=[pk["report_b_submitted"]]),
        reverse("reports:report_revisions", args=[pk["report_b_submitted"]]),
        reverse("reports:report_diff", args=[pk["report_b_submitted"]]),
        reverse("reports:report_return_for_changes", args=[pk["report_b_submitted"]]),
        reverse("pilots:base_list"),
        reverse("pilots:base_create"),
        reverse("pilots:base_detail", args=[pk["base_b"]]),
        reverse("pilots:base_status", args=[pk["base_b"]]),
        reverse("pilots:base_fund", args=[pk["base_b"]]),
        reverse("pilots:base_rating", args=[pk["base_b"]]),
        reverse("pilots:report_list"),
        reverse("pilots:report_revisions", args=[pk["pilot_report_b_accepted"]]),
        reverse("pilots:evaluation_list") + "?year=2022",
        reverse("pilots:evaluation_detail", args=[pk["evaluation_b"]]),
        reverse("pilots:rubric_detail", args=[pk["rubric"]]),
        reverse("pilots:rubric_edit", args=[pk["rubric"]]),
        reverse("pilots:indicator_edit", args=[pk["indicator"]]),
        reverse("pilots:request_list"),
        reverse("pilots:request_queue"),
        reverse("pilots:request_detail", args=[pk["req_b_new"]]),
        reverse("incentives:rule_list"),
        reverse("incentives:rule_create"),
        reverse("incentives:rule_detail", args=[pk["incentive_rule"]]),
        reverse("incentives:award_list"),
        reverse("incentives:award_detail", args=[pk["award_b"]]),
        reverse("incentives:paid_import"),
        reverse("incentives:listing_list"),
        reverse("incentives:listing_detail", args=[pk["listing_b"]]),
        reverse("incentives:public_list"),
        reverse("core:help_index"),
        *(reverse("core:help_topic", args=[topic]) for topic in ("registry", "import", "dashboard", "api")),
    ]
    unit_pages = [
        reverse("home"),
        reverse("reports:report_edit", args=[pk["report_b_draft"]]),
        reverse("reports:report_detail", args=[pk["report_b_returned"]]),
        reverse("reports:report_detail", args=[pk["report_b_commented"]]),
        reverse("reports:report_edit", args=[pk["report_b_commented"]]),
        reverse("reports:report_revisions", args=[pk["report_b_commented"]]),
        reverse("pilots:report_detail", args=[pk["pilot_report_b"]]),
        reverse("pilots:report_edit", args=[pk["pilot_report_b"]]),
        reverse("pilots:base_edit", args=[pk["base_b"]]),
        reverse("pilots:request_create"),
        reverse("incentives:award_detail", args=[pk["award_b"]]),
    ]
    return [("staff", url) for url in staff_pages] + [("user_b", url) for url in unit_pages]


def _visible_text(page: str) -> str:
    page = re.sub(r"(?s)<script.*?</script>|<style.*?</style>", " ", page)
    attributes = re.findall(r'(?:title|placeholder|aria-label|alt)="([^"]*)"', page)
    return html.unescape("\n".join([re.sub(r"(?s)<[^>]+>", "\n", page), *attributes]))


def _stored_chinese() -> list[str]:
    """Every Chinese value of a text column in the database: data, never interface text."""
    values = set(LANGUAGE_NAMES)
    for model in apps.get_models():
        names = [
            f.attname
            for f in model._meta.concrete_fields
            if isinstance(f, (models.CharField, models.TextField))
        ]
        if names:
            for row in model._default_manager.values_list(*names):
                values.update(str(v) for v in row if v and CHINESE.search(str(v)))
    return sorted(values, key=len, reverse=True)


@pytest.mark.django_db
def test_the_pages_of_the_newer_areas_leave_no_chinese_in_english(area_records, english_catalogue_compiled):  # noqa: F811
    clients = {}
    for role in ("staff", "user_b"):
        clients[role] = Client()
        clients[role].force_login(area_records[role])
        clients[role].cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    left = {}
    pages = _pages(area_records)
    texts = []
    for role, url in pages:
        response = clients[role].get(url)
        assert response.status_code == 200, (role, url, response.status_code)
        assert '<html lang="en">' in response.content.decode()
        texts.append((url, _visible_text(response.content.decode())))
    data = _stored_chinese()  # after the requests: their own writes (none expected) count as data
    for url, text in texts:
        for value in data:
            text = text.replace(value, " ")
        found = sorted({line.strip() for line in text.splitlines() if CHINESE.search(line)})
        if found:
            left[url] = found[:5]
    assert left == {}, f"{len(left)} of {len(pages)} English pages still show Chinese: {left}"


@pytest.mark.django_db
def test_the_same_pages_stay_chinese_by_default(area_records):
    client = Client()
    client.force_login(area_records["staff"])
    for url, label in (
        (reverse("reports:report_list"), "年度报告"),
        (reverse("pilots:base_detail", args=[area_records["base_b"].pk]), "服务产业集群"),
        (reverse("incentives:award_detail", args=[area_records["award_b"].pk]), "所用参数值（规则版本"),
        (reverse("core:help_topic", args=["api"]), "帮助：数据接口（API）"),
    ):
        html_text = client.get(url).content.decode()
        assert '<html lang="zh-hans">' in html_text and label in html_text, url

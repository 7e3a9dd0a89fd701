"""The generic page tests (core/ui/testing.py) applied to every list, detail, edit and confirmation
page of the registry, plus the machinery's own parts: tables, the fast select, the import progress
poll by htmx."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from achievements import services
from achievements.choices import AchievementStatus, TransformationStatus
from core.ui.testing import (
    ActionPageTests,
    DetailPageTests,
    EditPageTests,
    ListPageTests,
    client_for,
)
from exchange.models import ImportJob, ImportStatus

from .factories import AchievementFactory, TransformationFactory, make_credit_code

pytestmark = pytest.mark.django_db


def achievement(unit, **fields):
    return AchievementFactory(unit=unit, **fields)


def contract(unit, **fields):
    return TransformationFactory(achievement=AchievementFactory(unit=unit), **fields)


# --- achievements ------------------------------------------------------------------------------


class TestAchievementList(ListPageTests):
    url_name = "achievements:achievement_list"

    def make(self, unit, **fields):
        return achievement(unit, **fields)

    def filter_case(self, unit):
        wanted = achievement(unit, trl=8)
        return {"trl_min": "8"}, [wanted], [achievement(unit, trl=3)]


class TestAchievementDetail(DetailPageTests):
    url_name = "achievements:achievement_detail"

    def make(self, unit):
        return achievement(unit, title="原来的名称")

    def change(self, obj, user):
        services.achievement_update(achievement=obj, acting_user=user, title="改过的名称")
        return "成果名称", "原来的名称", "改过的名称"


class TestAchievementEdit(EditPageTests):
    url_name = "achievements:achievement_edit"

    def make(self, unit):
        return achievement(unit)

    def form_data(self, obj):
        return {
            "ref": obj.ref,
            "title": "页面改过的名称",
            "keywords": "",
            "ip_type": obj.ip_type,
            "patent_no": obj.patent_no,
            "trl": "7",
            "cluster": "",
            "registered_on": obj.registered_on.isoformat(),
            "ip_granted_on": "",
            "unit": obj.unit_id,
        }

    def assert_changed(self, obj):
        assert obj.title == "页面改过的名称" and obj.trl == 7


class TestAchievementWithdraw(ActionPageTests):
    url_name = "achievements:achievement_withdraw"

    def make(self, unit):
        return achievement(unit)

    def post_data(self, obj):
        return {"withdrawn_on": "2024-01-02", "version": obj.version}

    def is_done(self, obj):
        return obj.status == AchievementStatus.WITHDRAWN


class TestAchievementMerge(ActionPageTests):
    url_name = "achievements:achievement_merge"

    def make(self, unit):
        keep = achievement(unit)
        self.duplicate = achievement(unit)
        return keep

    def post_data(self, obj):
        return {"duplicate": self.duplicate.pk}

    def is_done(self, obj):
        self.duplicate.refresh_from_db()
        return self.duplicate.merged_into_id == obj.pk

    def test_other_units_record_is_404(self, unit_user, other_unit):
        """Merging is the department's act: a unit user is refused before any record is read."""
        theirs = self.make(other_unit)
        client = client_for(unit_user)
        assert client.get(self.url(theirs)).status_code == 403
        assert client.post(self.url(theirs), {**self.post_data(theirs), "reason": "越权"}).status_code == 403
        assert not self.is_done(theirs)


# --- contracts ---------------------------------------------------------------------------------


class TestTransformationList(ListPageTests):
    url_name = "achievements:transformation_list"
    export_url_names = {
        "xlsx": "achievements:transformation_export_xlsx",
        "csv": "achievements:transformation_export_csv",
    }

    def make(self, unit, **fields):
        return contract(unit, **fields)

    def filter_case(self, unit):
        wanted = contract(unit, mode="license")
        return {"mode": "license"}, [wanted], [contract(unit, mode="transfer")]

    def formula_fields(self):
        return {"registration_no": "=HYPERLINK(1)", "ref": "+SUM(A1)"}


class TestTransformationDetail(DetailPageTests):
    url_name = "achievements:transformation_detail"

    def make(self, unit):
        return contract(unit, amount=Decimal("100.00"))

    def change(self, obj, user):
        services.transformation_update(contract=obj, acting_user=user, amount=Decimal("250.00"))
        return "合同金额（元）", "100.00", "250.00"


class TestTransformationEdit(EditPageTests):
    url_name = "achievements:transformation_edit"

    def make(self, unit):
        return contract(unit, amount=Decimal("100.00"))

    def form_data(self, obj):
        return {
            "ref": obj.ref,
            "mode": obj.mode,
            "transferee_code": obj.transferee.code,
            "transferee_name": "",
            "transferee_region": "",
            "signed_on": obj.signed_on.isoformat(),
            "amount": "300.00",
            "received": "",
            "registration_no": "",
        }

    def assert_changed(self, obj):
        assert obj.amount == Decimal("300.00")


class TestTransformationCancel(ActionPageTests):
    url_name = "achievements:transformation_cancel"

    def make(self, unit):
        return contract(unit)

    def post_data(self, obj):
        return {"version": obj.version}

    def is_done(self, obj):
        return obj.status == TransformationStatus.CANCELLED


# --- machinery -------------------------------------------------------------------------------


def test_contract_export_has_yuan_amounts_and_codes(staff_user, unit):
    import csv
    import io

    record = contract(unit, amount=Decimal("1234567.80"), received=Decimal("10.00"))
    response = client_for(staff_user).get(reverse("achievements:transformation_export_csv"))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    header, row = rows
    assert header[:3] == ["合同编号", "成果编号", "科技成果"]
    values = dict(zip(header, row, strict=True))
    assert values["合同金额（元）"] == "1234567.80" and values["到账金额（元）"] == "10.00"
    assert values["受让方统一社会信用代码"] == record.transferee.code
    assert values["本地转化"] in ("是", "否") and values["签订日期"] == record.signed_on.isoformat()


def test_contract_list_links_its_exports_with_the_query(staff_user, unit):
    contract(unit)
    html = client_for(staff_user).get(reverse("achievements:transformation_list"), {"mode": "license"})
    html = html.content.decode()
    assert reverse("achievements:transformation_export_xlsx") + "?mode=license" in html
    assert reverse("achievements:transformation_export_csv") + "?mode=license" in html


def test_sortable_headers_come_from_the_table(staff_user, unit):
    from achievements.tables import AchievementTable

    achievement(unit)
    response = client_for(staff_user).get(reverse("achievements:achievement_list"), {"sort": "trl"})
    html = response.content.decode()
    assert 'aria-sort="ascending"' in html and "?sort=-trl" in html
    # Columns without ``order_by`` are plain headers, and their keys are not sortable.
    assert "convertible" not in AchievementTable.sorts()
    assert "sort=convertible" not in html


def test_fast_select_renders_like_djangos_select():
    from django import forms

    from core.ui.widgets import FastSelect

    choices = [("", "全部"), ("a", "甲 & 乙"), ("b", "<b>"), ("c", "丙")]
    for value in ("a", "", None, "zzz"):
        django_html = forms.Select(choices=choices).render("x", value, attrs={"id": "id_x"})
        fast_html = FastSelect(choices=choices).render("x", value, attrs={"id": "id_x"})
        assert fast_html == "".join(line.strip() for line in django_html.splitlines()), value


def test_generic_table_cells_without_a_row_template(rf, staff_user, unit):
    from core.ui.tables import Column, Table

    class Plain(Table):
        ref = Column("编号", order_by=("ref",), link=True)
        title = Column("名称", accessor="title")
        unit_name = Column("单位", accessor="unit.name")

    record = achievement(unit, title="<一种>")
    request = rf.get("/x/")
    cells = Plain(request, sort="ref", records=[record]).rendered_rows[0]
    assert cells[0] == f'<td class=""><a href="{record.get_absolute_url()}">{record.ref}</a></td>'
    assert cells[1] == '<td class="">&lt;一种&gt;</td>' and unit.name in cells[2]
    assert Plain.export_header() == ["名称", "单位"]


# --- the import progress is polled by htmx ---------------------------------------------------


def test_running_import_page_polls_with_htmx_and_no_script_of_its_own(staff_user):
    job = ImportJob.objects.create(
        user=staff_user, original_name="x.xlsx", status=ImportStatus.VALIDATING, progress=40
    )
    html = client_for(staff_user).get(reverse("exchange:import_job", args=[job.pk])).content.decode()
    status_url = reverse("exchange:import_job_status", args=[job.pk])
    assert f'hx-get="{status_url}" hx-trigger="every 1s"' in html
    assert "/static/django-htmx/" in html or "htmx" in html
    assert "import_progress.js" not in html and "fetch(" not in html


def test_htmx_poll_gets_the_block_and_a_reload_once_finished(staff_user):
    job = ImportJob.objects.create(
        user=staff_user, original_name="x.xlsx", status=ImportStatus.VALIDATING, progress=40
    )
    url = reverse("exchange:import_job_status", args=[job.pk])
    client = client_for(staff_user)
    running = client.get(url, HTTP_HX_REQUEST="true")
    assert running.status_code == 200 and 'value="40"' in running.content.decode()
    assert "HX-Refresh" not in running and b"<html" not in running.content
    job.status = ImportStatus.PREVIEW_READY
    job.progress = 100
    job.finished_at = datetime.datetime.now(datetime.UTC)
    job.save()
    done = client.get(url, HTTP_HX_REQUEST="true")
    assert done["HX-Refresh"] == "true"
    assert client.get(url).json()["running"] is False  # the JSON answer is unchanged


def test_contract_create_for_another_units_achievement_is_404(unit_user, other_unit):
    foreign = AchievementFactory(unit=other_unit)
    url = reverse("achievements:transformation_create", args=[foreign.pk])
    data = {
        "ref": "HT-X",
        "mode": "transfer",
        "transferee_code": make_credit_code(900_002, "210200", "91"),
        "transferee_name": "某公司",
        "transferee_region": "210200",
        "signed_on": "2023-01-01",
        "amount": "1.00",
    }
    client = client_for(unit_user)
    assert client.get(url).status_code == 404 and client.post(url, data).status_code == 404

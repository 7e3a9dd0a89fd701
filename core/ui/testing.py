"""Generic tests for pages built on ``core.ui.views``, so that a page's test is mostly data.

Subclass the mixins in a ``tests/test_pages_*.py`` module (pytest collects ``Test...`` classes),
set the URL names and fill in the data hooks:

- ``ListPageTests``: renders, anonymous → login, unit scoping, a filter, every sortable column in
  both directions, an unknown sort named (400), page numbers, the page-size whitelist, the htmx
  partial, and (with ``export_url_names``) Excel and CSV exports of the filtered list with formula
  text neutralised;
- ``DetailPageTests``: renders with the change history, another unit's record 404;
- ``EditPageTests``: saves through the service (history names the user, version + 1), a stale
  version refused (409, nothing overwritten), another unit's record 404;
- ``ActionPageTests``: GET shows the confirmation page, a POST without a reason is refused (400,
  nothing done), with a reason the act is done and the reason kept in the history, another unit's
  record 404.

The fixtures ``unit``, ``other_unit``, ``staff_user`` and ``unit_user`` come from ``tests/conftest.py``.
"""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse


def client_for(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def page_pks(response) -> list[int]:
    return [record.pk for record in response.context["page_obj"].object_list]


class ListPageTests:
    url_name = ""
    export_url_names: dict[str, str] = {}  # format → URL name ("xlsx", "csv")
    page_size_param = "per_page"

    # --- data hooks -------------------------------------------------------------------------

    def make(self, unit, **fields):
        """A saved record of ``unit`` (``fields`` overrides, e.g. a title)."""
        raise NotImplementedError

    def filter_case(self, unit) -> tuple[dict, list, list]:
        """(query parameters, records that match, records that do not), all of ``unit``."""
        raise NotImplementedError

    def formula_fields(self) -> dict:
        """Fields for ``make`` that put a formula-looking text into an exported column."""
        raise NotImplementedError

    # --- helpers ----------------------------------------------------------------------------

    def url(self) -> str:
        return reverse(self.url_name)

    def table(self, response):
        return response.context["table"]

    # --- the tests --------------------------------------------------------------------------

    def test_list_renders_the_records(self, staff_user, unit, other_unit):
        mine, theirs = self.make(unit), self.make(other_unit)
        response = client_for(staff_user).get(self.url())
        assert response.status_code == 200
        assert {mine.pk, theirs.pk} <= set(page_pks(response))
        assert b"<html" in response.content and b'id="results"' in response.content

    def test_anonymous_user_is_sent_to_login(self, unit):
        response = client_for().get(self.url())
        assert response.status_code == 302 and response.url.startswith(reverse("login"))

    def test_unit_user_sees_only_own_unit(self, unit_user, unit, other_unit):
        mine, theirs = self.make(unit), self.make(other_unit)
        pks = page_pks(client_for(unit_user).get(self.url()))
        assert mine.pk in pks and theirs.pk not in pks

    def test_filter(self, staff_user, unit):
        params, matching, other = self.filter_case(unit)
        response = client_for(staff_user).get(self.url(), params)
        assert response.status_code == 200
        pks = set(page_pks(response))
        assert {o.pk for o in matching} <= pks
        assert not ({o.pk for o in other} & pks)

    def test_every_sortable_column_sorts_both_ways(self, staff_user, unit, other_unit):
        for owner in (unit, other_unit, unit):
            self.make(owner)
        client = client_for(staff_user)
        response = client.get(self.url())
        keys = list(type(self.table(response)).sorts())
        assert keys, "a list table has sortable columns"
        html = response.content.decode()
        for key in keys:
            assert f"sort={key}" in html, f"no header link sorts by {key}"
            ascending = client.get(self.url(), {"sort": key})
            descending = client.get(self.url(), {"sort": f"-{key}"})
            assert ascending.status_code == descending.status_code == 200
            assert ascending.context["sort"] == key
            # The primary key ends every sort, so the descending order is the exact reverse.
            assert page_pks(descending) == page_pks(ascending)[::-1], key

    def test_unknown_sort_is_named_and_shows_nothing(self, staff_user, unit):
        self.make(unit)
        response = client_for(staff_user).get(self.url(), {"sort": "unit__users__password"})
        assert response.status_code == 400
        assert [name for name, _label, _messages in response.context["filter_errors"]] == ["sort"]
        assert page_pks(response) == []

    def test_pagination_with_page_numbers_keeps_parameters(self, staff_user, unit):
        for _ in range(21):
            self.make(unit)
        client = client_for(staff_user)
        response = client.get(self.url(), {self.page_size_param: 10})
        assert len(page_pks(response)) == 10
        html = response.content.decode()
        for number in (2, 3):
            assert f"{self.page_size_param}=10&amp;page={number}" in html, f"no link to page {number}"
        assert 'aria-current="page">1<' in html
        third = client.get(self.url(), {self.page_size_param: 10, "page": 3})
        last = client.get(self.url(), {self.page_size_param: 10, "page": "last"})
        assert len(page_pks(third)) == 1 and page_pks(last) == page_pks(third)

    def test_page_size_is_whitelisted(self, staff_user, unit):
        self.make(unit)
        response = client_for(staff_user).get(self.url(), {self.page_size_param: "100000"})
        assert response.status_code == 400
        assert [name for name, _l, _m in response.context["filter_errors"]] == [self.page_size_param]
        assert response.context["per_page"] in response.context["page_sizes"]

    def test_htmx_request_gets_only_the_results(self, staff_user, unit):
        record = self.make(unit)
        response = client_for(staff_user).get(self.url(), HTTP_HX_REQUEST="true")
        assert response.status_code == 200
        assert b"<html" not in response.content and b"<table" in response.content
        assert page_pks(response) == [record.pk]
        assert "HX-Request" in response["Vary"]
        restore = client_for(staff_user).get(
            self.url(), HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true"
        )
        assert b"<html" in restore.content

    # --- exports ----------------------------------------------------------------------------

    def _require_export(self, fmt):
        if fmt not in self.export_url_names:
            pytest.skip(f"this list has no {fmt} export through the machinery")

    def _export(self, user, fmt, params=None):
        self._require_export(fmt)
        return client_for(user).get(reverse(self.export_url_names[fmt]), params or {})

    def _rows(self, response, fmt) -> list[list]:
        body = b"".join(response.streaming_content)
        if fmt == "xlsx":
            sheet = openpyxl.load_workbook(io.BytesIO(body), read_only=True).worksheets[0]
            return [["" if v is None else v for v in row] for row in sheet.iter_rows(values_only=True)]
        assert body.startswith("\ufeff".encode()), "CSV starts with a byte-order mark for Excel"
        return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))

    @pytest.mark.parametrize("fmt", ["xlsx", "csv"])
    def test_export_is_the_filtered_list_with_formulas_neutralised(self, staff_user, unit, fmt):
        self._require_export(fmt)
        params, matching, other = self.filter_case(unit)
        dangerous = self.make(unit, **self.formula_fields())
        response = self._export(staff_user, fmt)
        assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
        rows = self._rows(response, fmt)
        texts = [str(cell) for row in rows[1:] for cell in row]
        formulas = [str(v) for v in self.formula_fields().values() if str(v)[:1] in "=+-@"]
        for text in formulas:
            assert text not in texts and f"'{text}" in texts, text
        assert len(rows) - 1 == len(matching) + len(other) + 1
        assert dangerous
        filtered = self._rows(self._export(staff_user, fmt, params), fmt)
        assert len(filtered) - 1 == len(matching)

    @pytest.mark.parametrize("fmt", ["xlsx", "csv"])
    def test_export_is_scoped_and_refuses_invalid_filters(self, unit_user, unit, other_unit, fmt):
        self._require_export(fmt)
        self.make(unit)
        self.make(other_unit)
        rows = self._rows(self._export(unit_user, fmt), fmt)
        assert len(rows) == 2  # the header and the unit's own record
        assert self._export(unit_user, fmt, {"sort": "nope"}).status_code == 400


class DetailPageTests:
    url_name = ""

    def make(self, unit):
        raise NotImplementedError

    def change(self, obj, user) -> tuple[str, str, str]:
        """Change ``obj`` through its service; return (field label, old text, new text)."""
        raise NotImplementedError

    def url(self, obj) -> str:
        return reverse(self.url_name, args=[obj.pk])

    def test_detail_shows_the_record_and_its_history(self, staff_user, unit):
        obj = self.make(unit)
        label, old, new = self.change(obj, staff_user)
        response = client_for(staff_user).get(self.url(obj))
        assert response.status_code == 200
        html = response.content.decode()
        assert 'id="history"' in html
        assert label in html and f"<del>{old}</del>" in html and f"<ins>{new}</ins>" in html
        assert response.context["history"][0].user == staff_user

    def test_other_units_record_is_404(self, unit_user, other_unit):
        theirs = self.make(other_unit)
        assert client_for(unit_user).get(self.url(theirs)).status_code == 404

    def test_anonymous_user_is_sent_to_login(self, unit):
        response = client_for().get(self.url(self.make(unit)))
        assert response.status_code == 302 and response.url.startswith(reverse("login"))


class EditPageTests:
    url_name = ""

    def make(self, unit):
        raise NotImplementedError

    def form_data(self, obj) -> dict:
        """A valid POST body that changes ``obj`` (without ``version``)."""
        raise NotImplementedError

    def assert_changed(self, obj) -> None:
        """``obj`` (refreshed) carries the change of ``form_data``."""
        raise NotImplementedError

    def url(self, obj) -> str:
        return reverse(self.url_name, args=[obj.pk])

    def test_form_shows_the_version_read(self, staff_user, unit):
        obj = self.make(unit)
        html = client_for(staff_user).get(self.url(obj)).content.decode()
        assert f'name="version" value="{obj.version}"' in html

    def test_save_goes_through_the_service(self, unit_user, unit):
        obj = self.make(unit)
        response = client_for(unit_user).post(self.url(obj), {**self.form_data(obj), "version": obj.version})
        assert response.status_code == 302, response.content.decode()[:2000]
        obj.refresh_from_db()
        self.assert_changed(obj)
        assert obj.version == 2
        assert obj.history.first().history_user == unit_user

    def test_stale_version_is_refused_and_overwrites_nothing(self, staff_user, unit):
        obj = self.make(unit)
        client = client_for(staff_user)
        data = {**self.form_data(obj), "version": obj.version}
        assert client.post(self.url(obj), data).status_code == 302
        obj.refresh_from_db()
        before = (obj.version, obj.history.count())
        response = client.post(self.url(obj), data)  # the same version again: someone saved since
        assert response.status_code == 409
        assert "该记录已被他人修改" in response.content.decode()
        assert response.context["stale"] is True
        obj.refresh_from_db()
        assert (obj.version, obj.history.count()) == before

    def test_other_units_record_is_404(self, unit_user, other_unit):
        theirs = self.make(other_unit)
        client = client_for(unit_user)
        assert client.get(self.url(theirs)).status_code == 404
        data = {**self.form_data(theirs), "version": theirs.version}
        assert client.post(self.url(theirs), data).status_code == 404
        theirs.refresh_from_db()
        assert theirs.version == 1


class ActionPageTests:
    """A destructive act with a confirmation page and a required reason."""

    url_name = ""
    reason_field = "reason"

    def make(self, unit):
        raise NotImplementedError

    def post_data(self, obj) -> dict:
        """A valid POST body without the reason."""
        raise NotImplementedError

    def is_done(self, obj) -> bool:
        raise NotImplementedError

    def url(self, obj) -> str:
        return reverse(self.url_name, args=[obj.pk])

    def test_get_shows_the_confirmation_page(self, staff_user, unit):
        obj = self.make(unit)
        response = client_for(staff_user).get(self.url(obj))
        assert response.status_code == 200
        assert f'name="{self.reason_field}"' in response.content.decode()
        obj.refresh_from_db()
        assert not self.is_done(obj)

    def test_post_without_reason_is_refused(self, staff_user, unit):
        obj = self.make(unit)
        response = client_for(staff_user).post(self.url(obj), self.post_data(obj))
        assert response.status_code == 400
        assert "该字段是必填项" in response.content.decode()
        obj.refresh_from_db()
        assert not self.is_done(obj)

    def test_post_with_reason_acts_and_keeps_the_reason(self, staff_user, unit):
        obj = self.make(unit)
        data = {**self.post_data(obj), self.reason_field: "页面测试的原因"}
        response = client_for(staff_user).post(self.url(obj), data)
        assert response.status_code == 302
        obj.refresh_from_db()
        assert self.is_done(obj)
        assert obj.history.first().history_change_reason.endswith("页面测试的原因")

    def test_other_units_record_is_404(self, unit_user, other_unit):
        theirs = self.make(other_unit)
        client = client_for(unit_user)
        assert client.get(self.url(theirs)).status_code == 404
        data = {**self.post_data(theirs), self.reason_field: "越权"}
        assert client.post(self.url(theirs), data).status_code == 404
        theirs.refresh_from_db()
        assert not self.is_done(theirs)

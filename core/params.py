"""Strict query parameters, shared by the pages, the exports and the REST API.

Every year, date, number and yes/no parameter is parsed by one of these fields, so a value that is
malformed or out of range is a form error naming the parameter (400 in the API and the exports, an
error shown on the page), never a 500 and never silently ignored.

- years: whole numbers from 1985 (docs/metrics.md, "Dates everywhere") to the current year;
- dates: ``YYYY-MM-DD`` from 1985-01-01 to the last day of the current year (a cut-off date,
  ``UpToTodayDateField``: to today);
- yes/no: ``true``/``false`` (also ``1``/``0``, ``yes``/``no``, ``是``/``否``); anything else is an error;
- numbers: bounded per parameter (``IntegerFilter`` and ``DecimalFilter`` take ``min_value`` and
  ``max_value``).
"""

import datetime

import django_filters
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field

FIRST_YEAR = 1985
FIRST_DATE = datetime.date(FIRST_YEAR, 1, 1)
# Upper bound of ids in lookups: a bigint, so that a larger number is a 400, not a database overflow.
MAX_ID = 2**63 - 1

_TRUE = frozenset({"true", "1", "yes", "on", "是"})
_FALSE = frozenset({"false", "0", "no", "off", "否"})


def last_year() -> int:
    return timezone.localdate().year


class YearField(forms.IntegerField):
    default_error_messages = {
        "invalid": _("年份应为4位整数，例如 2023。"),
        "range": _("年份应在%(first)s年至%(last)s年之间。"),
    }

    def validate(self, value):
        super().validate(value)
        if value in self.empty_values:
            return
        last = last_year()
        if not FIRST_YEAR <= value <= last:
            raise forms.ValidationError(
                self.error_messages["range"], code="range", params={"first": FIRST_YEAR, "last": last}
            )


class BoundedDateField(forms.DateField):
    """``YYYY-MM-DD`` from 1985-01-01 to the last day of the current year."""

    input_formats = ["%Y-%m-%d"]
    default_error_messages = {
        "invalid": _("日期格式应为 YYYY-MM-DD，例如 2023-06-30。"),
        "range": _("日期应在%(first)s至%(last)s之间。"),
    }

    def to_python(self, value):
        try:
            return super().to_python(value)
        except OverflowError as exc:  # e.g. a year beyond 9999 in a typed value
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from exc

    def last(self) -> datetime.date:
        return datetime.date(last_year(), 12, 31)

    def validate(self, value):
        super().validate(value)
        if value in self.empty_values:
            return
        last = self.last()
        if not FIRST_DATE <= value <= last:
            raise forms.ValidationError(
                self.error_messages["range"],
                code="range",
                params={"first": FIRST_DATE.isoformat(), "last": last.isoformat()},
            )


class UpToTodayDateField(BoundedDateField):
    """``YYYY-MM-DD`` from 1985-01-01 to today (a cut-off such as the statistics' ``as_of``)."""

    def last(self) -> datetime.date:
        return timezone.localdate()


class StrictBooleanField(forms.NullBooleanField):
    """Yes/no; empty means "either". Unlike Django's field, an unknown value is an error."""

    widget = forms.TextInput
    default_error_messages = {"invalid": _("应为 true 或 false。")}

    def to_python(self, value):
        if value is None or value == "" or isinstance(value, bool):
            return None if value == "" else value
        text = str(value).strip().lower()
        if not text:
            return None
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise forms.ValidationError(self.error_messages["invalid"], code="invalid")

    def validate(self, value):
        pass


@extend_schema_field({"type": "integer", "minimum": FIRST_YEAR, "description": "1985 至今年"})
class YearFilter(django_filters.NumberFilter):
    field_class = YearField


@extend_schema_field({"type": "string", "format": "date"})
class DateFilter(django_filters.DateFilter):
    field_class = BoundedDateField


@extend_schema_field({"type": "boolean"})
class BooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class IntegerFilter(django_filters.NumberFilter):
    """A whole number; build it with ``integer_filter`` so that its bounds are checked and documented."""

    field_class = forms.IntegerField


class DecimalFilter(django_filters.NumberFilter):
    field_class = forms.DecimalField


def integer_filter(*, minimum: int, maximum: int, **kwargs) -> IntegerFilter:
    """An ``IntegerFilter`` bounded to ``minimum..maximum``, documented as such in the schema."""
    schema = {"type": "integer", "minimum": minimum, "maximum": maximum}
    return extend_schema_field(schema)(IntegerFilter(min_value=minimum, max_value=maximum, **kwargs))


def decimal_filter(*, minimum, maximum, max_digits: int, decimal_places: int, **kwargs) -> DecimalFilter:
    schema = {"type": "number", "minimum": minimum, "maximum": maximum}
    return extend_schema_field(schema)(
        DecimalFilter(
            min_value=minimum,
            max_value=maximum,
            max_digits=max_digits,
            decimal_places=decimal_places,
            **kwargs,
        )
    )

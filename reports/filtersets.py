import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from core import params
from reviews.choices import ReviewStatus

from . import selectors
from .models import AnnualReport


class AnnualReportFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="unit__name", lookup_expr="icontains", label=_("单位名称"))
    year = params.YearFilter(field_name="year", label=_("报告年度"))
    status = django_filters.ChoiceFilter(choices=ReviewStatus.choices, label=_("状态"))

    class Meta:
        model = AnnualReport
        fields = ["q", "year", "status"]


class CycleOverviewParameters(forms.Form):
    """The cycle page's parameters (``state``, ``overdue``, ``sort``), strict like every list's: a
    bad value is an error naming the parameter (400), never ignored. The overview is a list of
    rows, not a queryset, so this is a form that ``selectors.cycle_rows_selected`` applies."""

    state = forms.ChoiceField(choices=(), required=False, label=_("状态"))
    overdue = params.StrictBooleanField(required=False, label=_("逾期"))
    sort = forms.ChoiceField(
        choices=(), required=False, label=_("排序"), error_messages={"invalid_choice": _("未知的排序字段。")}
    )

    def __init__(self, data=None):
        super().__init__(data)
        self.fields["state"].choices = [("", ""), *selectors.STATE_LABELS.items()]
        self.fields["sort"].choices = [("", "")] + [
            (f"{sign}{key}", f"{sign}{key}") for key in selectors.CYCLE_SORTS for sign in ("", "-")
        ]

    def errors_by_parameter(self) -> list[tuple[str, str, list]]:
        """(name, label, messages) of each invalid parameter, as ``core/ui/_filter_errors.html`` shows them."""
        return [(name, self.fields[name].label, list(messages)) for name, messages in self.errors.items()]

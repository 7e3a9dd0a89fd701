import django_filters
from django.utils.translation import gettext_lazy as _

from core import params
from reviews.choices import ReviewStatus

from .models import AnnualReport


class AnnualReportFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="unit__name", lookup_expr="icontains", label=_("单位名称"))
    year = params.YearFilter(field_name="year", label=_("报告年度"))
    status = django_filters.ChoiceFilter(choices=ReviewStatus.choices, label=_("状态"))

    class Meta:
        model = AnnualReport
        fields = ["q", "year", "status"]

"""FilterSets of the pilot pages and API (one per model, shared)."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from achievements.models import Cluster, Unit
from core import params
from core.validators import LIAONING_CITIES
from reviews.choices import ReviewStatus

from .choices import BaseStatus, RequestStatus
from .models import PerformanceReport, PilotBase, PilotRequest


class PilotBaseFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("搜索"), method="filter_search")
    city = django_filters.ChoiceFilter(label=_("所在城市"), choices=sorted(LIAONING_CITIES.items()))
    cluster = django_filters.ModelChoiceFilter(
        label=_("产业集群"),
        field_name="clusters",
        queryset=Cluster.objects.order_by("code"),
        to_field_name="code",
        distinct=True,
    )
    status = django_filters.ChoiceFilter(label=_("状态"), choices=BaseStatus.choices)
    operator = django_filters.ModelChoiceFilter(
        label=_("运营单位（统一社会信用代码）"), queryset=Unit.objects.all(), to_field_name="code"
    )
    designated_year = params.YearFilter(label=_("认定年份"))

    class Meta:
        model = PilotBase
        fields = ["q", "city", "cluster", "status", "operator", "designated_year"]

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(code__icontains=value))


class PilotRequestFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label=_("状态"), choices=RequestStatus.choices)
    base = django_filters.ModelChoiceFilter(
        label=_("中试基地"), queryset=PilotBase.objects.order_by("code"), to_field_name="code"
    )

    class Meta:
        model = PilotRequest
        fields = ["status", "base"]


class ReportFilterSet(django_filters.FilterSet):
    year = params.YearFilter(label=_("年度"))
    base = django_filters.ModelChoiceFilter(
        label=_("中试基地"), queryset=PilotBase.objects.order_by("code"), to_field_name="code"
    )
    status = django_filters.ChoiceFilter(label=_("审核状态"), choices=ReviewStatus.choices)

    class Meta:
        model = PerformanceReport
        fields = ["year", "base", "status"]

"""One FilterSet per model, shared by the pages, the exports and the REST API.

Parameter names are part of the URL contract: dashboards link to these lists (drill-down) and a
link must reproduce the view. The year filters apply the metric definitions of docs/metrics.md
(``achievements.selectors``), so the count of a drill-down list equals the figure clicked.
"""

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field

from accounts.roles import unit_of
from core import params

from . import selectors
from .choices import (
    TRL_CHOICES,
    AchievementStatus,
    IPType,
    TransformationMode,
    TransformationStatus,
    UnitType,
)
from .models import Achievement, Cluster, Transferee, Transformation, Unit

MAX_AMOUNT = 10**14 - 1  # amounts are DecimalField(max_digits=16, decimal_places=2)


@extend_schema_field({"type": "string", "pattern": r"^\d{6}$"})
class RegionFilter(django_filters.CharFilter):
    """A 6-digit division code; anything else is a 400 naming the parameter."""

    field_class = forms.RegexField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("regex", r"^\d{6}$")
        kwargs.setdefault("error_messages", {"invalid": _("地区代码应为6位数字，例如 210100。")})
        super().__init__(*args, **kwargs)


def region_q(value: str, field: str) -> Q:
    """A city's code (``xxxx00``) also matches the districts registered under it; a province code
    (``xx0000``) matches the whole province."""
    if value.endswith("0000"):
        return Q(**{f"{field}__startswith": value[:2]})
    if value.endswith("00"):
        return Q(**{f"{field}__startswith": value[:4]})
    return Q(**{field: value})


class SearchFilterMixin:
    """Substring search (``icontains``) works for Chinese, which has no spaces between words."""

    search_fields: tuple[str, ...] = ()

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        condition = Q()
        for field in self.search_fields:
            condition |= Q(**{f"{field}__icontains": value})
        return queryset.filter(condition)


class UnitFilterSet(SearchFilterMixin, django_filters.FilterSet):
    search_fields = ("name", "code")
    q = django_filters.CharFilter(method="filter_search", label=_("搜索"))
    type = django_filters.ChoiceFilter(choices=UnitType.choices, label=_("单位类型"))
    region = RegionFilter(method="filter_region", label=_("所在地区代码"))

    class Meta:
        model = Unit
        fields = ["q", "type", "region", "code"]

    def filter_region(self, queryset, name, value):
        return queryset.filter(region_q(value, "region"))


class UnitScopeMixin:
    """The unit filters (``unit_type``, ``region``) as ``unit_id IN (units of that type / place)``
    rather than a join to the units: the count of a province-wide list then reads the records'
    ``unit_id`` index once per matching unit (SQLite with the demo data: the achievements of one
    city counted in half the time) instead of looking up the unit of every record."""

    def filter_unit_type(self, queryset, name, value):
        return queryset.filter(unit__in=Unit.objects.filter(type=value))

    def filter_region(self, queryset, name, value):
        return queryset.filter(unit__in=Unit.objects.filter(region_q(value, "region")))


UNIT_SCOPE = ("unit", "unit_type", "region")  # the filters that ``scope_units`` turns into units


class AchievementFilterSet(UnitScopeMixin, django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_search", label=_("搜索"))
    unit = django_filters.CharFilter(field_name="unit__code", label=_("单位（统一社会信用代码）"))
    unit_type = django_filters.ChoiceFilter(
        method="filter_unit_type", choices=UnitType.choices, label=_("单位类型")
    )
    region = RegionFilter(method="filter_region", label=_("所在地区代码"))
    cluster = django_filters.ModelChoiceFilter(
        field_name="cluster", queryset=Cluster.objects.all(), to_field_name="code", label=_("产业集群")
    )
    ip_type = django_filters.ChoiceFilter(choices=IPType.choices, label=_("知识产权类型"))
    trl = django_filters.TypedChoiceFilter(choices=TRL_CHOICES, coerce=int, label=_("技术成熟度"))
    trl_min = params.integer_filter(
        minimum=1, maximum=9, field_name="trl", lookup_expr="gte", label=_("技术成熟度不低于")
    )
    trl_max = params.integer_filter(
        minimum=1, maximum=9, field_name="trl", lookup_expr="lte", label=_("技术成熟度不高于")
    )
    funded = params.BooleanFilter(label=_("财政资助"))
    convertible = params.BooleanFilter(label=_("可转化"))
    status = django_filters.ChoiceFilter(choices=AchievementStatus.choices, label=_("状态"))
    transformed = params.BooleanFilter(method="filter_transformed", label=_("已转化"))
    stock_year = params.YearFilter(method="filter_stock_year", label=_("年末存量（年份）"))
    transformed_in = params.YearFilter(method="filter_transformed_in", label=_("当年转化（年份）"))
    transformed_by = params.YearFilter(method="filter_transformed_by", label=_("截至年末已转化（年份）"))
    registered_from = params.DateFilter(field_name="registered_on", lookup_expr="gte", label=_("登记日期起"))
    registered_to = params.DateFilter(field_name="registered_on", lookup_expr="lte", label=_("登记日期止"))

    class Meta:
        model = Achievement
        fields = []

    def filter_search(self, queryset, name, value):
        """Title, keywords, own number, unit name, patent number (with or without ZL/CN and dot)."""
        return selectors.achievement_search(queryset, value)

    def filter_transformed(self, queryset, name, value):
        if value is None:
            return queryset
        return selectors.achievements_transformed(queryset, value)

    def filter_stock_year(self, queryset, name, value):
        return selectors.achievements_in_stock(queryset, int(value))

    def filter_transformed_in(self, queryset, name, value):
        return selectors.achievements_transformed_in(
            queryset, int(value), units=self.scope_units(), filtered=self.filtered_beyond(UNIT_SCOPE)
        )

    def filtered_beyond(self, names) -> bool:
        """Whether the list has a filter other than ``transformed_in`` and ``names``."""
        data = getattr(self.form, "cleaned_data", {})
        return any(
            value not in (None, "", [])
            for name, value in data.items()
            if name != "transformed_in" and name not in names
        )

    def scope_units(self):
        """The units the list is limited to by its unit filters and by a unit user's own unit, as
        a query of units; ``None`` when it is not limited to some units."""
        data = getattr(self.form, "cleaned_data", {})
        units, limited = Unit.objects.all(), False
        own = unit_of(getattr(self.request, "user", None))
        if own is not None:
            units, limited = units.filter(pk=own), True
        if data.get("unit"):
            units, limited = units.filter(code=data["unit"]), True
        if data.get("unit_type"):
            units, limited = units.filter(type=data["unit_type"]), True
        if data.get("region"):
            units, limited = units.filter(region_q(data["region"], "region")), True
        return units if limited else None

    def filter_transformed_by(self, queryset, name, value):
        return selectors.achievements_transformed_by(queryset, int(value))


class TransfereeFilterSet(SearchFilterMixin, django_filters.FilterSet):
    search_fields = ("name", "code")
    q = django_filters.CharFilter(method="filter_search", label=_("搜索"))
    region = RegionFilter(method="filter_region", label=_("地区代码"))
    local = params.BooleanFilter(field_name="is_local", label=_("本地（辽宁）"))

    class Meta:
        model = Transferee
        fields = ["q", "region", "local", "code"]

    def filter_region(self, queryset, name, value):
        return queryset.filter(region_q(value, "region"))


class TransformationFilterSet(UnitScopeMixin, django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_search", label=_("搜索"))
    unit = django_filters.CharFilter(field_name="unit__code", label=_("单位（统一社会信用代码）"))
    unit_type = django_filters.ChoiceFilter(
        method="filter_unit_type", choices=UnitType.choices, label=_("单位类型")
    )
    region = RegionFilter(method="filter_region", label=_("单位所在地区代码"))
    cluster = django_filters.ModelChoiceFilter(
        field_name="achievement__cluster",
        queryset=Cluster.objects.all(),
        to_field_name="code",
        label=_("产业集群"),
    )
    ip_type = django_filters.ChoiceFilter(
        field_name="achievement__ip_type", choices=IPType.choices, label=_("知识产权类型")
    )
    trl = django_filters.TypedChoiceFilter(
        field_name="achievement__trl", choices=TRL_CHOICES, coerce=int, label=_("技术成熟度")
    )
    achievement = params.integer_filter(
        minimum=1, maximum=params.MAX_ID, field_name="achievement_id", label=_("科技成果")
    )
    mode = django_filters.ChoiceFilter(choices=TransformationMode.choices, label=_("转化方式"))
    status = django_filters.ChoiceFilter(choices=TransformationStatus.choices, label=_("状态"))
    local = params.BooleanFilter(method="filter_local", label=_("本地转化"))
    transferee_region = RegionFilter(method="filter_transferee_region", label=_("受让方地区代码"))
    signed_year = params.YearFilter(method="filter_signed_year", label=_("签订年份"))
    signed_from = params.DateFilter(field_name="signed_on", lookup_expr="gte", label=_("签订日期起"))
    signed_to = params.DateFilter(field_name="signed_on", lookup_expr="lte", label=_("签订日期止"))
    amount_min = params.decimal_filter(
        minimum=0,
        maximum=MAX_AMOUNT,
        max_digits=16,
        decimal_places=2,
        field_name="amount",
        lookup_expr="gte",
        label=_("合同金额不低于（元）"),
    )
    amount_max = params.decimal_filter(
        minimum=0,
        maximum=MAX_AMOUNT,
        max_digits=16,
        decimal_places=2,
        field_name="amount",
        lookup_expr="lte",
        label=_("合同金额不高于（元）"),
    )

    class Meta:
        model = Transformation
        fields = []

    def filter_search(self, queryset, name, value):
        """Contract number, achievement title, transferee name, unit name."""
        return selectors.transformation_search(queryset, value)

    # The transferee filters, like the unit ones, select the transferees first and read the
    # contracts by ``transferee_id`` (SQLite, demo data: the local contracts' totals 0.22 s → 0.14 s).

    def filter_local(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(transferee__in=Transferee.objects.filter(is_local=value))

    def filter_transferee_region(self, queryset, name, value):
        return queryset.filter(transferee__in=Transferee.objects.filter(region_q(value, "region")))

    def filter_signed_year(self, queryset, name, value):
        return queryset.filter(selectors.signed_in_q(int(value)))

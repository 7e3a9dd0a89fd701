"""The FilterSets of the awards and the use-before-transfer list (pages, exports and API)."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from achievements.choices import IPType
from core import params

from .choices import AwardStatus, BeneficiaryKind, JustificationStatus, ListingStatus
from .models import Award, Listing, Rule


class AwardFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_search", label=_("搜索"))
    year = params.YearFilter(field_name="year", label=_("评审年度"))
    rule = django_filters.ModelChoiceFilter(
        queryset=Rule.objects.all(), to_field_name="code", label=_("规则"), field_name="rule"
    )
    status = django_filters.ChoiceFilter(choices=AwardStatus.choices, label=_("状态"))
    beneficiary_kind = django_filters.ChoiceFilter(choices=BeneficiaryKind.choices, label=_("受益方类型"))
    beneficiary = django_filters.CharFilter(field_name="beneficiary_code", label=_("受益方代码"))
    unit = django_filters.CharFilter(field_name="unit__code", label=_("完成单位代码"))
    city = django_filters.CharFilter(field_name="city", label=_("城市代码"))

    class Meta:
        model = Award
        fields = ["q", "year", "rule", "status", "beneficiary_kind", "beneficiary", "unit", "city"]

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(beneficiary_name__icontains=value)
            | Q(beneficiary_code__icontains=value)
            | Q(contract__ref__icontains=value)
            | Q(pilot_base_code__icontains=value)
        )


class ListingFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_search", label=_("搜索"))
    status = django_filters.ChoiceFilter(choices=ListingStatus.choices, label=_("状态"))
    justification_status = django_filters.ChoiceFilter(choices=JustificationStatus.choices, label=_("理由审核"))
    ip_type = django_filters.ChoiceFilter(field_name="achievement__ip_type", choices=IPType.choices, label=_("知识产权类型"))

    class Meta:
        model = Listing
        fields = ["q", "status", "justification_status", "ip_type"]

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(achievement__title__icontains=value) | Q(achievement__ref__icontains=value) | Q(unit__name__icontains=value)
        )


class PublicListingFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_search", label=_("搜索"))
    ip_type = django_filters.ChoiceFilter(field_name="achievement__ip_type", choices=IPType.choices, label=_("知识产权类型"))

    class Meta:
        model = Listing
        fields = ["q", "ip_type"]

    filter_search = ListingFilterSet.filter_search

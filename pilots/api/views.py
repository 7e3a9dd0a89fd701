"""The pilot-base API: the register (``/api/v1/pilot-bases/``) and its statistics
(``/api/v1/stats/pilots/``), read-only (docs/pilots.md, "Endpoints")."""

import django_filters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view, inline_serializer
from rest_framework import exceptions, serializers, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from achievements.models import Cluster
from core.validators import EARLIEST_RECORD_DATE, LIAONING_CITIES

from .. import selectors
from ..filtersets import PilotBaseFilterSet
from ..models import PilotBase
from .serializers import PilotBaseSerializer


class PilotBaseApiFilterSet(PilotBaseFilterSet):
    city = django_filters.ChoiceFilter(
        choices=sorted(LIAONING_CITIES.items()), label=_("所在城市（6位代码）")
    )

    class Meta(PilotBaseFilterSet.Meta):
        fields = ["q", "city", "cluster", "status", "operator", "designated_year"]


@extend_schema_view(
    list=extend_schema(
        summary="中试基地列表", description="筛选：city、cluster、status、operator；分页同成果库。"
    ),
    retrieve=extend_schema(summary="中试基地详情"),
)
class PilotBaseViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = PilotBaseSerializer
    filterset_class = PilotBaseApiFilterSet
    ordering_fields = ("id", "code", "name", "designated_year")
    queryset = PilotBase.objects.all()

    def get_queryset(self):
        return (
            selectors.base_list(user=self.request.user)
            .prefetch_related("clusters", "services")
            .order_by("code")
        )


def _year(request) -> int:
    raw = request.query_params.get("year")
    last = timezone.localdate().year
    if raw in (None, ""):
        raise exceptions.ValidationError({"year": [_("必须提供年份参数。")]})
    try:
        year = int(raw)
    except ValueError as exc:
        raise exceptions.ValidationError({"year": [_("年份应为4位整数，例如 2024。")]}) from exc
    if not EARLIEST_RECORD_DATE.year <= year <= last:
        raise exceptions.ValidationError(
            {
                "year": [
                    _("年份应在%(first)s年至%(last)s年之间。")
                    % {"first": EARLIEST_RECORD_DATE.year, "last": last}
                ]
            }
        )
    return year


PILOT_STATS = inline_serializer(
    "PilotStats",
    {
        "year": serializers.IntegerField(),
        "scope": inline_serializer(
            "PilotStatsScope",
            {
                "city": serializers.CharField(allow_null=True),
                "cluster": serializers.CharField(allow_null=True),
            },
        ),
        "bases": serializers.IntegerField(),
        "site_area_m2": serializers.CharField(),
        "equipment_count": serializers.IntegerField(),
        "staff_count": serializers.IntegerField(),
        "provincial_funds": serializers.CharField(),
        "computed_at": serializers.DateTimeField(),
    },
)


class PilotStatsView(APIView):
    """Totals of the bases designated in or before the year and active on 31 December."""

    @extend_schema(
        summary="中试基地统计",
        parameters=[
            OpenApiParameter("year", OpenApiTypes.INT, required=True, description="统计年份，1985 至今年"),
            OpenApiParameter("city", OpenApiTypes.STR, description="所在城市6位代码，例如 210100"),
            OpenApiParameter("cluster", OpenApiTypes.STR, description="产业集群代码，例如 A01"),
        ],
        responses=PILOT_STATS,
    )
    def get(self, request):
        year = _year(request)
        city = request.query_params.get("city") or None
        cluster = request.query_params.get("cluster") or None
        if city is not None and city not in LIAONING_CITIES:
            raise exceptions.ValidationError(
                {"city": [_("城市代码应为辽宁省14个地级市之一的6位代码，例如 210100。")]}
            )
        if cluster is not None and not Cluster.objects.filter(code=cluster).exists():
            raise exceptions.ValidationError({"cluster": [_("未知的产业集群代码。")]})
        totals = selectors.pilot_totals(year, city=city, cluster=cluster)
        return Response(
            {
                "year": year,
                "scope": {"city": city, "cluster": cluster},
                "bases": totals["bases"],
                "site_area_m2": f"{totals['site_area_m2']:.2f}",
                "equipment_count": totals["equipment_count"],
                "staff_count": totals["staff_count"],
                "provincial_funds": f"{totals['provincial_funds']:.2f}",
                "computed_at": timezone.localtime().isoformat(timespec="seconds"),
            }
        )

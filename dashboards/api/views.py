"""Statistics API: summary, breakdown and time series of the snapshot (docs/metrics.md, "Statistics API").

Read-only; authentication and token scopes come from the project's default classes (anonymous
callers get 401). Answers carry an ETag and Last-Modified from the snapshot, so a client polling
with If-None-Match / If-Modified-Since gets 304 until the statistics job commits a new snapshot.
"""

import datetime
import hashlib

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django.utils.http import http_date, parse_http_date_safe
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, renderers, serializers, status
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.throttling import UserRateThrottle
from rest_framework.views import APIView

from achievements.choices import UnitType
from core.params import UpToTodayDateField

from ..catalogue import (
    ADDED_METRICS,
    CONTRACT_METRICS,
    METRIC_DEFINITIONS,
    METRICS,
    SPEC_METRICS,
    Kind,
    metric,
)
from ..selectors import (
    BREAKDOWN_DIMENSIONS,
    EARLIEST_YEAR,
    PERIODS,
    Scope,
    ScopeError,
    snapshot_marker,
    snapshot_status,
    stats_breakdown,
    stats_summary,
    stats_timeseries,
    to_date_cutoff,
)
from .renderers import CSVRenderer, XLSXRenderer


class StatsRateThrottle(UserRateThrottle):
    """Requests per user (per address for anonymous callers); rate from ``STATS_API_THROTTLE_RATE``
    (empty: no throttling, and no per-request cache round trip for the request history)."""

    scope = "stats"

    def get_rate(self):
        return settings.STATS_API_THROTTLE_RATE or None


def _year(request, name: str, *, required: bool = True) -> int | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        if required:
            raise exceptions.ValidationError({name: [_("必须提供年份参数。")]})
        return None
    try:
        value = int(raw)
    except ValueError as exc:
        raise exceptions.ValidationError({name: [_("年份应为4位整数，例如 2023。")]}) from exc
    last = timezone.localdate().year
    if value < EARLIEST_YEAR or value > last:
        raise exceptions.ValidationError(
            {name: [_("年份应在%(first)s年至%(last)s年之间。") % {"first": EARLIEST_YEAR, "last": last}]}
        )
    return value


def _as_of(request) -> datetime.date | None:
    """``period`` and ``as_of`` (docs/metrics.md, "Year to date"): the ``as_of`` date (default
    today) of ``period=ytd``; None for the whole year (``period=year``, the default)."""
    params = request.query_params
    period = params.get("period") or "year"
    if period not in PERIODS:
        raise exceptions.ValidationError(
            {"period": [_("统计期间应为以下之一：%(choices)s。") % {"choices": ", ".join(PERIODS)}]}
        )
    raw = params.get("as_of")
    if period != "ytd":
        if raw not in (None, ""):
            raise exceptions.ValidationError({"as_of": [_("as_of 只能与 period=ytd 一起使用。")]})
        return None
    if raw in (None, ""):
        return timezone.localdate()
    try:
        return UpToTodayDateField().clean(raw)
    except DjangoValidationError as exc:
        raise exceptions.ValidationError({"as_of": exc.messages}) from exc


def _period_fields(as_of: datetime.date | None, answer: dict) -> dict:
    """The echo of a year-to-date answer: ``period``, ``as_of`` and ``through`` as ISO dates."""
    if as_of is None:
        return {}
    return {"period": "ytd", "as_of": as_of.isoformat(), "through": answer["through"].isoformat()}


def _scope(request) -> Scope:
    params = request.query_params
    scope = Scope(
        unit=params.get("unit") or None,
        unit_type=params.get("unit_type") or None,
        region=params.get("region") or None,
        cluster=params.get("cluster") or None,
    )
    user = request.user
    if not user.is_staff:
        # A unit user's figures are their own unit's.
        own = getattr(getattr(user, "unit", None), "code", None)
        if own is None:
            raise exceptions.PermissionDenied(_("只有厅工作人员和单位用户可以查询统计数据。"))
        if scope.unit and scope.unit.strip().upper() != own:
            raise exceptions.PermissionDenied(_("单位用户只能查询本单位的统计数据。"))
        scope = Scope(unit=own, unit_type=scope.unit_type, region=scope.region, cluster=scope.cluster)
    return scope


def _iso(value):
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


SCOPE_PARAMETERS = [
    OpenApiParameter("unit", OpenApiTypes.STR, description="单位统一社会信用代码（18位）"),
    OpenApiParameter("unit_type", OpenApiTypes.STR, enum=UnitType.values, description="单位类型"),
    OpenApiParameter(
        "region", OpenApiTypes.STR, description="6位行政区划代码；市级代码（如 210100）同时匹配其下辖区县"
    ),
    OpenApiParameter("cluster", OpenApiTypes.STR, description="产业集群代码，例如 A01"),
    OpenApiParameter(
        "format", OpenApiTypes.STR, enum=["json", "csv", "xlsx"], description="导出格式（默认 json）"
    ),
]
PERIOD_PARAMETERS = [
    OpenApiParameter(
        "period",
        OpenApiTypes.STR,
        enum=list(PERIODS),
        description=(
            "统计期间：year（默认，整年）或 ytd（年初至今：每个指标只计到所选年份中与 as_of 相同的月日，"
            "同比与上年1月1日至同一月日比较）"
        ),
    ),
    OpenApiParameter(
        "as_of",
        OpenApiTypes.DATE,
        description=(
            "period=ytd 的截止日期（YYYY-MM-DD，1985-01-01 至今天，默认今天）；取其月日用于所选年份，"
            "所得截止日期不得晚于今天"
        ),
    ),
]
YEAR_SCHEMA = {"type": "integer", "minimum": EARLIEST_YEAR}  # the maximum is the current year
YEAR_PARAMETER = OpenApiParameter(
    "year", YEAR_SCHEMA, required=True, description=f"统计年份，{EARLIEST_YEAR} 至今年"
)

# The serializer field of each kind of metric (the OpenAPI type follows: see ``catalogue.API_TYPES``).
_FIELD_CLASSES = {
    Kind.COUNT: serializers.IntegerField,
    Kind.AMOUNT: serializers.CharField,  # a decimal string with 2 places
    Kind.RATE: serializers.FloatField,
    Kind.GROWTH: serializers.FloatField,
}


def _figure_fields(names=METRICS, *, contract_metrics_only: bool = False) -> dict:
    """The fields of the catalogue's metrics ``names``, typed by kind, described by their definition
    (lazy: translated when the schema is generated). ``contract_metrics_only`` (a breakdown row,
    which has only the contract metrics when ``by=mode``): the other metrics are documented as optional."""
    fields = {}
    for name in names:
        entry = metric(name)
        help_text = entry.definition
        kwargs = {"allow_null": True} if entry.nullable else {}
        if contract_metrics_only and not entry.contract_only:
            kwargs["required"] = False
            help_text = format_lazy("{}{}", help_text, "（by=mode 时不提供）")
        fields[name] = _FIELD_CLASSES[entry.kind](help_text=help_text, **kwargs)
    return fields


_FIGURE_FIELDS = _figure_fields()


def _period_echo_fields() -> dict:
    """The fields a year-to-date answer adds (``period=ytd``)."""
    return {
        "period": serializers.ChoiceField(choices=["ytd"], required=False, help_text="period=ytd 时：ytd"),
        "as_of": serializers.DateField(required=False, help_text="period=ytd 时：所用的 as_of 日期"),
        "through": serializers.DateField(
            required=False, help_text="period=ytd 时：所选年份中计入的最后一天（as_of 的月日）"
        ),
    }


XLSX_MEDIA_TYPE = XLSXRenderer.media_type
ScopeSerializer = inline_serializer(
    name="StatsScope",
    fields={
        name: serializers.CharField(allow_null=True) for name in ("unit", "unit_type", "region", "cluster")
    },
)
SummarySerializer = inline_serializer(
    name="StatsSummary",
    fields={
        "year": serializers.IntegerField(),
        "scope": ScopeSerializer,
        **_figure_fields(SPEC_METRICS),
        "computed_at": serializers.DateTimeField(allow_null=True, help_text="快照计算时间（北京时间）"),
        **_figure_fields(ADDED_METRICS),  # the additions, after the reference fields (docs/metrics.md)
        **_period_echo_fields(),
    },
)
BreakdownRowsSerializer = inline_serializer(
    many=True,
    name="StatsBreakdownRow",
    fields={
        "key": serializers.CharField(allow_null=True, help_text="分组取值（单位为信用代码，地区为市级代码）"),
        "label": serializers.CharField(),
        **_figure_fields(contract_metrics_only=True),
    },
)
BreakdownSerializer = inline_serializer(
    name="StatsBreakdown",
    fields={
        "year": serializers.IntegerField(),
        "by": serializers.CharField(),
        "scope": ScopeSerializer,
        "computed_at": serializers.DateTimeField(allow_null=True),
        "results": BreakdownRowsSerializer,
        **_period_echo_fields(),
    },
)
TimeseriesPointsSerializer = inline_serializer(
    many=True, name="StatsTimeseriesPoint", fields={"year": serializers.IntegerField(), **_FIGURE_FIELDS}
)
TimeseriesSerializer = inline_serializer(
    name="StatsTimeseries",
    fields={
        "from": serializers.IntegerField(),
        "to": serializers.IntegerField(),
        "scope": ScopeSerializer,
        "computed_at": serializers.DateTimeField(allow_null=True),
        "results": TimeseriesPointsSerializer,
        **_period_echo_fields(),
    },
)

# The reference fields' example answer (docs/metrics.md), then the additions; every metric's example value is in the catalogue.
SUMMARY_EXAMPLE = {
    "year": 2023,
    "scope": {"unit": None, "unit_type": "university", "region": None, "cluster": None},
    **{name: metric(name).example for name in SPEC_METRICS},
    "computed_at": "2026-11-27T09:00:00+08:00",
    **{name: metric(name).example for name in ADDED_METRICS},
}
ERROR_400_EXAMPLE = OpenApiExample(
    "参数无效", value={"year": ["年份应在1985年至2026年之间。"]}, response_only=True, status_codes=["400"]
)


class StatsAPIView(APIView):
    """Shared behaviour: throttling, CSV/Excel renderings, conditional GET on the snapshot."""

    throttle_classes = [StatsRateThrottle]
    renderer_classes = [renderers.JSONRenderer, renderers.BrowsableAPIRenderer, CSVRenderer, XLSXRenderer]
    export_name = "stats"

    def handle_exception(self, exc):
        # Errors are JSON whatever format was asked for.
        self.request.accepted_renderer = renderers.JSONRenderer()
        self.request.accepted_media_type = "application/json"
        return super().handle_exception(exc)

    def get(self, request, *args, **kwargs):
        revision, computed_at = snapshot_marker()
        fmt = getattr(request.accepted_renderer, "format", "json")
        tag_source = f"{revision}|{computed_at}|{request.get_full_path()}|{request.user.pk}|{fmt}"
        # Only period=ytd is computed from the records; period=year (the default) is the snapshot's.
        to_date = request.query_params.get("period") == "ytd"
        if to_date:  # as_of defaults to today: the same URL answers differently tomorrow
            tag_source += f"|{timezone.localdate()}"
        etag = '"' + hashlib.sha256(tag_source.encode()).hexdigest()[:32] + '"'
        # A year-to-date answer is computed from the records, not read from the snapshot: no
        # Last-Modified (If-None-Match still answers 304 until the next snapshot or the next day).
        last_modified = int(computed_at.timestamp()) if computed_at and not to_date else None
        if self._not_modified(request, etag, last_modified):
            response = Response(status=status.HTTP_304_NOT_MODIFIED)
        else:
            try:
                data = self.compute(request, computed_at)
            except ScopeError as exc:
                raise exceptions.ValidationError({exc.param: [exc.message]}) from exc
            response = Response(data)
        response["ETag"] = etag
        if last_modified is not None:
            response["Last-Modified"] = http_date(last_modified)
        response["Cache-Control"] = "private, no-cache"
        return response

    @staticmethod
    def _not_modified(request, etag, last_modified) -> bool:
        if_none_match = request.headers.get("If-None-Match")
        if if_none_match is not None:
            return etag in [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")] or (
                if_none_match.strip() == "*"
            )
        since = parse_http_date_safe(request.headers.get("If-Modified-Since") or "")
        return since is not None and last_modified is not None and last_modified <= since

    def compute(self, request, computed_at):  # pragma: no cover - overridden
        raise NotImplementedError


class StatsRootView(APIView):
    """Links to the statistics endpoints, and the definition (计算口径) of every metric."""

    throttle_classes = [StatsRateThrottle]

    @extend_schema(
        summary="统计接口目录与指标计算口径",
        responses=inline_serializer(
            name="StatsRoot",
            fields={
                "summary": serializers.URLField(),
                "breakdown": serializers.URLField(),
                "timeseries": serializers.URLField(),
                "definitions": serializers.DictField(child=serializers.CharField()),
                "status": serializers.DictField(),
            },
        ),
    )
    def get(self, request, *args, **kwargs):
        status_ = snapshot_status()
        return Response(
            {
                "summary": reverse("api:stats-summary", request=request),
                "breakdown": reverse("api:stats-breakdown", request=request),
                "timeseries": reverse("api:stats-timeseries", request=request),
                "definitions": {name: str(text) for name, text in METRIC_DEFINITIONS.items()},
                "status": {**status_, "computed_at": _iso(status_["computed_at"])},
            }
        )


class SummaryView(StatsAPIView):
    export_name = "stats-summary"

    @extend_schema(
        summary="统计汇总（某年、某范围）",
        description=(
            "某一年在某一范围（全省，或单位、单位类型、地区、产业集群的任意组合）内的全部指标。"
            "无记录的年份返回0和空比率。比率为保留4位小数（四舍五入）的小数，金额为保留2位小数的字符串（元）。"
            "?format=csv 或 xlsx 导出。"
        ),
        parameters=[YEAR_PARAMETER, *SCOPE_PARAMETERS, *PERIOD_PARAMETERS],
        responses={
            (200, "application/json"): SummarySerializer,
            (200, "text/csv"): OpenApiTypes.STR,
            (200, XLSX_MEDIA_TYPE): OpenApiTypes.BINARY,
        },
        examples=[OpenApiExample("2023年高校", value=SUMMARY_EXAMPLE, response_only=True), ERROR_400_EXAMPLE],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def compute(self, request, computed_at):
        year = _year(request, "year")
        as_of = _as_of(request)
        summary = stats_summary(year=year, scope=_scope(request), as_of=as_of)
        summary["computed_at"] = _iso(summary["computed_at"])
        summary.update(_period_fields(as_of, summary))
        self.export_name = f"stats-summary-{year}" + (f"-ytd-{summary['through']}" if as_of else "")
        return summary


class BreakdownView(StatsAPIView):
    export_name = "stats-breakdown"

    @extend_schema(
        summary="分组统计（按单位、单位类型、地区、产业集群、转化方式、技术成熟度或知识产权类型）",
        description=(
            "某一年按 by 分组的指标，按合同金额从大到小排序。by=mode 时只给出合同类指标："
            + "、".join(CONTRACT_METRICS)
            + "。by=region 按市级地区汇总。"
        ),
        parameters=[
            YEAR_PARAMETER,
            OpenApiParameter("by", OpenApiTypes.STR, required=True, enum=list(BREAKDOWN_DIMENSIONS)),
            *SCOPE_PARAMETERS,
            *PERIOD_PARAMETERS,
        ],
        responses={
            (200, "application/json"): BreakdownSerializer,
            (200, "text/csv"): OpenApiTypes.STR,
            (200, XLSX_MEDIA_TYPE): OpenApiTypes.BINARY,
        },
        examples=[
            OpenApiExample(
                "按转化方式",
                value={
                    "year": 2023,
                    "by": "mode",
                    "scope": {"unit": None, "unit_type": None, "region": None, "cluster": None},
                    "computed_at": "2026-11-27T09:00:00+08:00",
                    "results": [
                        {
                            "key": "transfer",
                            "label": "转让",
                            **{name: metric(name).example for name in CONTRACT_METRICS},
                        }
                    ],
                },
                response_only=True,
            ),
            ERROR_400_EXAMPLE,
        ],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def compute(self, request, computed_at):
        year = _year(request, "year")
        by = request.query_params.get("by") or ""
        if by not in BREAKDOWN_DIMENSIONS:
            raise exceptions.ValidationError(
                {
                    "by": [
                        _("分组维度应为以下之一：%(choices)s。")
                        % {"choices": ", ".join(BREAKDOWN_DIMENSIONS)}
                    ]
                }
            )
        as_of = _as_of(request)
        scope = _scope(request)
        rows = stats_breakdown(year=year, by=by, scope=scope, as_of=as_of)
        self.export_name = f"stats-breakdown-{by}-{year}" + ("-ytd" if as_of else "")
        answer = {
            "year": year,
            "by": by,
            "scope": scope.as_dict(),
            "computed_at": _iso(computed_at),
            "results": rows,
        }
        if as_of is not None:
            answer.update(_period_fields(as_of, {"through": to_date_cutoff(year, as_of)}))
        return answer


class TimeseriesView(StatsAPIView):
    export_name = "stats-timeseries"

    @extend_schema(
        summary="历年指标（时间序列）",
        parameters=[
            OpenApiParameter("from", YEAR_SCHEMA, required=True, description="起始年份"),
            OpenApiParameter("to", YEAR_SCHEMA, required=True, description="截止年份（不早于起始年份）"),
            *SCOPE_PARAMETERS,
            *PERIOD_PARAMETERS,
        ],
        responses={
            (200, "application/json"): TimeseriesSerializer,
            (200, "text/csv"): OpenApiTypes.STR,
            (200, XLSX_MEDIA_TYPE): OpenApiTypes.BINARY,
        },
        examples=[
            OpenApiExample(
                "2022—2023年",
                value={
                    "from": 2022,
                    "to": 2023,
                    "scope": {"unit": None, "unit_type": "university", "region": None, "cluster": None},
                    "computed_at": "2026-11-27T09:00:00+08:00",
                    "results": [
                        {**{k: v for k, v in SUMMARY_EXAMPLE.items() if k not in ("scope", "computed_at")}}
                    ],
                },
                response_only=True,
            ),
            ERROR_400_EXAMPLE,
        ],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def compute(self, request, computed_at):
        year_from, year_to = _year(request, "from"), _year(request, "to")
        if year_from > year_to:
            raise exceptions.ValidationError({"from": [_("起始年份不能晚于截止年份。")]})
        as_of = _as_of(request)
        scope = _scope(request)
        self.export_name = f"stats-timeseries-{year_from}-{year_to}" + ("-ytd" if as_of else "")
        answer = {
            "from": year_from,
            "to": year_to,
            "scope": scope.as_dict(),
            "computed_at": _iso(computed_at),
            "results": stats_timeseries(year_from=year_from, year_to=year_to, scope=scope, as_of=as_of),
        }
        if as_of is not None:
            answer.update(_period_fields(as_of, {"through": to_date_cutoff(year_to, as_of)}))
        return answer

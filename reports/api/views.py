"""Annual reports in REST API v1 (docs/reports.md, "API").

Read: ``GET /api/v1/reports/?year=Y`` (optional ``unit``, ``status``, ``all_revisions``) and
``GET /api/v1/reports/{id}/``. A unit's token reads its own unit's reports; a staff token every
report that is not a draft. Write: a unit's token creates its report (``POST``), changes its
draft (``PATCH``, with the version read: 409 when stale), refreshes the registry block, submits,
resubmits and revises; a staff token returns (with field comments) and accepts. Every write goes
through ``reports.services`` — the pages' checks, policies and locking.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.roles import unit_of
from achievements.models import Unit
from core import params
from reviews.choices import ReviewAction, ReviewStatus

from .. import policies, selectors, services
from ..models import AnnualReport
from . import serializers as s

LIST_PARAMETERS = [
    OpenApiParameter("year", OpenApiTypes.INT, description="报告年度"),
    OpenApiParameter("unit", OpenApiTypes.STR, description="单位统一社会信用代码"),
    OpenApiParameter("status", OpenApiTypes.STR, enum=list(s.API_STATUSES), description="状态（submitted 含重新提交）"),
    OpenApiParameter(
        "all_revisions", OpenApiTypes.BOOL,
        description="true：列出所有可读的修订版（默认每个单位每年只列可读的最新修订版）",
    ),
]


def _bool(request, name) -> bool:
    """A yes/no parameter, parsed like every list's (``core.params``); absent or empty: no."""
    try:
        return bool(params.StrictBooleanField(required=False).clean(request.query_params.get(name)))
    except DjangoValidationError as exc:
        raise exceptions.ValidationError({name: exc.messages}) from None


@extend_schema_view(
    list=extend_schema(summary="年度报告列表", parameters=LIST_PARAMETERS),
    retrieve=extend_schema(summary="年度报告详情"),
)
class AnnualReportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = s.AnnualReportSerializer
    queryset = AnnualReport.objects.none()  # the model, for the schema (409 on writes); rows: get_queryset
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        reports = selectors.readable_reports(self.request.user).order_by("year", "unit__name", "revision")
        if self.action != "list":
            return reports
        query = self.request.query_params
        if "year" in query:
            try:
                year = params.YearField(required=True).clean(query["year"])
            except DjangoValidationError as exc:
                raise exceptions.ValidationError({"year": exc.messages}) from None
            reports = reports.filter(year=year)
        if query.get("unit"):
            if not Unit.objects.filter(code=query["unit"]).exists():
                raise exceptions.ValidationError({"unit": [_("没有统一社会信用代码为“%(code)s”的单位。") % {"code": query["unit"]}]})
            reports = reports.filter(unit__code=query["unit"])
        if query.get("status"):
            wanted = query["status"]
            if wanted not in s.API_STATUSES:
                raise exceptions.ValidationError({"status": [_("应为以下之一：%(choices)s。") % {"choices": ", ".join(s.API_STATUSES)}]})
            states = [wanted] + ([ReviewStatus.RESUBMITTED] if wanted == ReviewStatus.SUBMITTED else [])
            reports = reports.filter(status__in=states)
        if not _bool(self.request, "all_revisions"):
            latest = selectors.current_reports(self.request.user)
            reports = reports.filter(pk__in=latest.values("pk"))
        return reports

    def _respond(self, report, code=status.HTTP_200_OK):
        return Response(s.AnnualReportSerializer(report, context=self.get_serializer_context()).data, status=code)

    @extend_schema(summary="新建本单位的年度报告", request=s.ReportCreateSerializer, responses={201: s.AnnualReportSerializer})
    def create(self, request, *args, **kwargs):
        data = s.ReportCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if not policies.can_file_reports(request.user):  # the service asks can_create_report again
            raise PermissionDenied(_("只有单位用户可以新建本单位的年度报告。"))
        unit = Unit.objects.get(pk=unit_of(request.user))
        report = services.report_create(unit=unit, year=data.validated_data["year"], acting_user=request.user)
        return self._respond(report, status.HTTP_201_CREATED)

    @extend_schema(summary="修改本单位的报告草稿", request=s.ReportWriteSerializer, responses=s.AnnualReportSerializer)
    def partial_update(self, request, *args, **kwargs):
        report = self.get_object()
        data = s.ReportWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        report = services.report_update(
            report=report, acting_user=request.user, changes=data.validated_data["changes"],
            expected_version=data.validated_data["version"],
        )
        return self._respond(report)

    @extend_schema(summary="重新读取成果库数据（草稿或被退回时）", request=s.VersionSerializer, responses=s.AnnualReportSerializer)
    @action(detail=True, methods=["post"])
    def refresh(self, request, pk=None):
        report = self.get_object()
        data = s.VersionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        report = services.report_refresh_registry(
            report=report, acting_user=request.user, expected_version=data.validated_data["version"]
        )
        return self._respond(report)

    def _transition(self, request, act, serializer_class=s.TransitionSerializer):
        report = self.get_object()
        data = serializer_class(data=request.data)
        data.is_valid(raise_exception=True)
        comments = [(c["field"], c["text"]) for c in data.validated_data.get("comments", [])]
        report = services.report_transition(
            report=report, action=act, acting_user=request.user,
            expected_version=data.validated_data["version"], note=data.validated_data.get("note", ""),
            comments=comments,
        )
        return self._respond(report)

    @extend_schema(summary="提交（单位）", request=s.TransitionSerializer, responses=s.AnnualReportSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        return self._transition(request, ReviewAction.SUBMIT)

    @extend_schema(summary="修改后重新提交（单位）", request=s.TransitionSerializer, responses=s.AnnualReportSerializer)
    @action(detail=True, methods=["post"])
    def resubmit(self, request, pk=None):
        return self._transition(request, ReviewAction.RESUBMIT)

    @extend_schema(summary="退回修改（厅工作人员，可附字段意见）", request=s.ReturnSerializer, responses=s.AnnualReportSerializer)
    @action(detail=True, methods=["post"], url_path="return")
    def return_for_changes(self, request, pk=None):
        return self._transition(request, ReviewAction.RETURN, s.ReturnSerializer)

    @extend_schema(summary="审核通过（厅工作人员）", request=s.TransitionSerializer, responses=s.AnnualReportSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        return self._transition(request, ReviewAction.ACCEPT)

    @extend_schema(summary="对已通过的报告发起更正（新修订版，单位）", request=s.TransitionSerializer,
                   responses={201: s.AnnualReportSerializer})
    @action(detail=True, methods=["post"])
    def revise(self, request, pk=None):
        report = self.get_object()
        data = s.TransitionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        new = services.report_revise(
            report=report, acting_user=request.user, expected_version=data.validated_data["version"],
            note=data.validated_data.get("note", ""),
        )
        return self._respond(new, status.HTTP_201_CREATED)

"""OpenAPI generation: drf-spectacular's AutoSchema plus the project's error responses."""

from drf_spectacular.openapi import AutoSchema as BaseAutoSchema
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, inline_serializer
from rest_framework import serializers

from core.models import VersionedMixin

ErrorSerializer = inline_serializer(
    name="Error",
    fields={
        "detail": serializers.CharField(help_text="错误说明"),
        "code": serializers.CharField(required=False, help_text="错误代码，例如 stale_version"),
    },
)
StaleVersionSerializer = inline_serializer(
    name="StaleVersionError",
    fields={
        "detail": serializers.CharField(),
        "code": serializers.CharField(),
        "current_version": serializers.IntegerField(),
    },
)
ValidationErrorSerializer = inline_serializer(
    name="ValidationError",
    fields={
        "non_field_errors": serializers.ListField(child=serializers.CharField(), required=False),
    },
)


def _error(description, serializer=ErrorSerializer, example=None):
    examples = [OpenApiExample(description, value=example, response_only=True)] if example else None
    return OpenApiResponse(response=serializer, description=description, examples=examples)


class AutoSchema(BaseAutoSchema):
    """Adds the documented error answers to every operation: 401 and 403 always, 404 on a record's
    URL, 400 where there is input (body, filters or query parameters), 409 on writes to versioned
    records, 429 where a throttle applies. Errors are always JSON, whatever the success answer's
    formats (CSV, Excel)."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        extra = {
            "401": _error(
                "未认证：缺少令牌或会话，或令牌无效、已过期、已吊销", example={"detail": "令牌已过期。"}
            )
        }
        extra["403"] = _error(
            "无权限：角色没有该操作权限，或只读令牌试图修改数据",
            example={"detail": "只读令牌只能查询数据，不能新增或修改。"},
        )
        if "{" in self.path:
            extra["404"] = _error("记录不存在，或不属于本单位", example={"detail": "未找到。"})
        has_query = bool(
            self.get_filter_backends() or self.get_override_parameters() or self._get_paginator()
        )
        if self.method in ("POST", "PUT", "PATCH") or has_query:
            extra["400"] = _error(
                "请求无效：字段级错误信息（字段名 → 错误列表）",
                ValidationErrorSerializer,
                {
                    "patent_no": ["专利号的校验位不正确。"],
                    "non_field_errors": ["本单位已有相同成果编号的成果。"],
                },
            )
        queryset = getattr(self.view, "queryset", None)
        versioned = queryset is not None and issubclass(queryset.model, VersionedMixin)
        if versioned and (self.method in ("PUT", "PATCH") or (self.method == "POST" and "{" in self.path)):
            extra["409"] = _error(
                "版本冲突：记录已被他人修改（version 已过期）",
                StaleVersionSerializer,
                {
                    "detail": "该记录已被他人修改，您的保存未生效。",
                    "code": "stale_version",
                    "current_version": 4,
                },
            )
        if getattr(self.view, "throttle_classes", None):
            extra["429"] = _error("请求过于频繁：请稍后再试", example={"detail": "请求超过了限速。"})
        for code, response in extra.items():
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    response, code, media_types=["application/json"], direction=direction
                )
        for code, response in responses.items():
            content = response.get("content") if isinstance(response, dict) else None
            if code >= "400" and content and "application/json" in content:
                response["content"] = {"application/json": content["application/json"]}
        return responses


def drop_format_suffix_paths(endpoints, **kwargs):
    """drf-spectacular preprocessing hook: each path once. ``format_suffix_patterns`` adds a
    ``…{format}`` twin of a route (``/stats/summary.csv``); the schema keeps only the plain path,
    where the ``format`` query parameter and the ``Accept`` header already choose the format."""
    return [
        endpoint
        for endpoint in endpoints
        if not endpoint[0].rstrip("/").endswith(("{format}", ".{format}"))
        and "(?P<format>" not in endpoint[0]
    ]

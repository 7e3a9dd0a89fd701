"""Serializers of the annual reports' API (docs/reports.md, "API"). They shape input only: figures are
parsed by ``reports.figures`` (the pages' parser), the checks are ``reports.checks``."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from reviews.choices import ReviewStatus

from .. import checks, figures
from ..models import AnnualReport

# The API's status values (docs/reports.md, "API"): "resubmitted" is reported as "submitted".
API_STATUSES = ("draft", "submitted", "returned", "accepted")


def api_status(status: str) -> str:
    return ReviewStatus.SUBMITTED.value if status == ReviewStatus.RESUBMITTED else status


FIGURE_SCHEMA = {
    "type": "object",
    "properties": {
        "contracts": {"type": "integer", "minimum": 0},
        "amount": {"type": "string", "example": "120000.00"},
        "received": {"type": "string", "example": "50000.00"},
    },
    "required": ["contracts", "amount", "received"],
}
BLOCK_SCHEMA = {
    "type": "object",
    "properties": {part: FIGURE_SCHEMA for part in figures.PARTS},
    "required": list(figures.PARTS),
}


@extend_schema_field(BLOCK_SCHEMA)
class BlockField(serializers.JSONField):
    pass


INTEGER_SECTION_FIELDS = [
    "sme_contracts", "service_contracts", "fiscal_transformed", "companies", "venture_staff", "rewarded_people",
    "tto_staff", "tto_managers",
]
AMOUNT_SECTION_FIELDS = [
    "sme_amount", "sme_received", "service_amount", "service_received", "net_income", "reward_cash", "reward_equity",
]
TEXT_SECTION_FIELDS = ["team_share_explanation", "typical_cases", "problems"]


class AnnualReportSerializer(serializers.ModelSerializer):
    unit = serializers.CharField(source="unit.code", read_only=True, help_text="单位统一社会信用代码")
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    status = serializers.SerializerMethodField(help_text="draft · submitted · returned · accepted（重新提交也是 submitted）")
    review_status = serializers.CharField(source="status", read_only=True, help_text="工作流状态（含 resubmitted）")
    registry = BlockField(read_only=True, help_text="开启或刷新时从成果库预填的数据")
    reported = BlockField(read_only=True, help_text="单位填报数（与 registry 结构相同）")
    deadline = serializers.DateField(source="cycle.deadline", read_only=True)
    warnings = serializers.SerializerMethodField(help_text="需要说明的提示（如第四十五条奖励比例）")
    url = serializers.CharField(source="get_absolute_url", read_only=True)

    class Meta:
        model = AnnualReport
        fields = [
            "id", "unit", "unit_name", "year", "status", "review_status", "revision", "is_current", "version",
            "deadline", "registry", "registry_read_at", "reported", "explanations",
            *INTEGER_SECTION_FIELDS, *AMOUNT_SECTION_FIELDS, "tto_exists", *TEXT_SECTION_FIELDS,
            "submitted_at", "accepted_at", "warnings", "url",
        ]
        read_only_fields = fields

    def get_status(self, report) -> str:
        return api_status(report.status)

    def get_warnings(self, report) -> list[str]:
        if checks.team_share(report) is None:
            return []
        minimums = self.context.setdefault("minimum_team_shares", {})  # one read per year, not per report
        if report.year not in minimums:
            minimums[report.year] = checks.minimum_team_share(report.year)
        warning = checks.team_share_warning(report, minimums[report.year])
        return [warning] if warning else []


class ReportWriteSerializer(serializers.Serializer):
    """A unit's changes to its draft: any of the fields, and the version it read (required)."""

    version = serializers.IntegerField(min_value=1, help_text="读取时得到的版本号；已被他人修改时返回 409")
    reported = serializers.JSONField(required=False, help_text="与 registry 结构相同的完整填报数")
    explanations = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=checks.EXPLANATION_MAX),
        required=False,
        help_text="差异说明，键为 reported.<部分>.<指标>",
    )
    tto_exists = serializers.BooleanField(required=False, allow_null=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in INTEGER_SECTION_FIELDS + AMOUNT_SECTION_FIELDS:
            # Figures are taken as given (number or string) and parsed by reports.figures.
            self.fields[name] = serializers.JSONField(required=False, help_text=str(
                AnnualReport._meta.get_field(name).verbose_name))
        for name in TEXT_SECTION_FIELDS:
            self.fields[name] = serializers.CharField(required=False, allow_blank=True)

    def validate(self, data):
        errors, changes = {}, {}
        for name, value in data.items():
            if name == "version":
                continue
            label = str(AnnualReport._meta.get_field(name).verbose_name) if name != "reported" else ""
            try:
                if name == "reported":
                    changes[name] = figures.parse_block(value)
                elif name in INTEGER_SECTION_FIELDS:
                    changes[name] = figures.parse_figure(value, label, integer=True)
                elif name in AMOUNT_SECTION_FIELDS:
                    changes[name] = figures.parse_figure(value, label)
                else:
                    changes[name] = value
            except DjangoValidationError as exc:
                if hasattr(exc, "error_dict"):
                    errors.update(exc.message_dict)
                else:
                    errors[name] = exc.messages
        if errors:
            raise serializers.ValidationError(errors)
        return {"version": data["version"], "changes": changes}


class ReportCreateSerializer(serializers.Serializer):
    year = serializers.IntegerField(help_text="报告年度（该年度的填报周期须已开启）")


class TransitionSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=1, help_text="读取时得到的版本号")
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class FieldCommentSerializer(serializers.Serializer):
    field = serializers.CharField(help_text="字段键，如 reported.transfer.amount 或 tto_staff")
    text = serializers.CharField(max_length=2000)


class ReturnSerializer(TransitionSerializer):
    comments = FieldCommentSerializer(many=True, required=False, default=list)


class VersionSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=1)

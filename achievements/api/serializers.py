"""Serializers of the registry API. Field names are those of the exchange format (docs/exchange-format.md).

Writes go through ``achievements.services``; ``version`` guards updates (optimistic locking).
"""

from django.db import transaction
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, extend_schema_field, extend_schema_serializer
from rest_framework import serializers
from rest_framework.validators import UniqueValidator

from core.api.serializers import (
    ChangeReasonSerializerMixin,
    CurrentUnitDefault,
    ServiceModelSerializer,
    VersionedSerializerMixin,
)
from core.validators import normalize_credit_code, validate_credit_code

from .. import services
from ..models import Achievement, Cluster, Transferee, Transformation, Unit, patent_clashes, patent_holders


class CreditCodeField(serializers.CharField):
    """A unified social credit code, normalised (upper case, no spaces) before validation."""

    def to_internal_value(self, data):
        return normalize_credit_code(super().to_internal_value(data))


# --- brief serializers (nested objects) -----------------------------------------------------


class BriefUnitSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:unit-detail")

    class Meta:
        model = Unit
        fields = ["id", "url", "code", "name"]
        read_only_fields = fields


class NestedTransfereeSerializer(serializers.ModelSerializer):
    """The transferee of a contract, written inline: matched (or created) on ``code``. ``name`` and
    ``region`` may be left out to link a transferee already in the registry as it is; a unit user
    may change them only for a transferee no other unit's contract uses (``achievements.policies``)."""

    code = CreditCodeField(max_length=18, validators=[validate_credit_code])

    class Meta:
        model = Transferee
        fields = ["code", "name", "region", "is_local"]
        read_only_fields = ["is_local"]
        extra_kwargs = {
            "name": {"required": False, "allow_blank": True},
            "region": {"required": False, "allow_blank": True},
        }
        validators = []


# --- units -----------------------------------------------------------------------------------


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "单位",
            value={
                "id": 7,
                "url": "https://example.org/api/v1/units/7/",
                "code": "12210000455355806E",
                "name": "大连理工大学",
                "type": "university",
                "region": "210200",
                "synthetic": False,
                "created_at": "2024-03-01T09:00:00+08:00",
                "updated_at": "2024-03-01T09:00:00+08:00",
            },
            response_only=True,
        ),
        OpenApiExample(
            "新增单位",
            value={
                "code": "12210000455355806E",
                "name": "大连理工大学",
                "type": "university",
                "region": "210200",
            },
            request_only=True,
        ),
    ]
)
class UnitSerializer(ChangeReasonSerializerMixin, ServiceModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:unit-detail")
    code = CreditCodeField(
        max_length=18, validators=[validate_credit_code, UniqueValidator(queryset=Unit.objects.all())]
    )

    class Meta:
        model = Unit
        fields = [
            "id",
            "url",
            "code",
            "name",
            "type",
            "region",
            "synthetic",
            "created_at",
            "updated_at",
            "change_reason",
        ]
        read_only_fields = ["synthetic", "created_at", "updated_at"]

    def create(self, validated_data):
        self.pop_change_reason(validated_data)
        with self.service_errors():
            return services.unit_create(acting_user=self.request_user, **validated_data)

    def update(self, instance, validated_data):
        reason = self.pop_change_reason(validated_data)
        with self.service_errors():
            return services.unit_update(
                unit=instance, acting_user=self.request_user, change_reason=reason, **validated_data
            )


# --- achievements ----------------------------------------------------------------------------

ACHIEVEMENT_EXAMPLE = {
    "id": 1024,
    "url": "https://example.org/api/v1/achievements/1024/",
    "ref": "DUT-2023-0158",
    "unit_code": "12210000455355806E",
    "unit": {
        "id": 7,
        "url": "https://example.org/api/v1/units/7/",
        "code": "12210000455355806E",
        "name": "大连理工大学",
    },
    "title": "一种高强度铝合金的制备方法",
    "keywords": "铝合金, 热处理",
    "ip_type": "invention_patent",
    "patent_no": "201310699744.2",
    "trl": 6,
    "cluster": "C02",
    "funded": True,
    "convertible": True,
    "registered_on": "2023-05-12",
    "ip_granted_on": "2015-08-19",
    "status": "active",
    "withdrawn_on": None,
    "merged_into": None,
    "version": 3,
    "synthetic": False,
    "created_at": "2023-05-12T10:20:00+08:00",
    "updated_at": "2024-01-08T16:02:11+08:00",
}


@extend_schema_serializer(
    examples=[
        OpenApiExample("科技成果", value=ACHIEVEMENT_EXAMPLE, response_only=True),
        OpenApiExample(
            "登记成果",
            value={
                "ref": "DUT-2023-0158",
                "unit_code": "12210000455355806E",
                "title": "一种高强度铝合金的制备方法",
                "ip_type": "invention_patent",
                "patent_no": "201310699744.2",
                "trl": 6,
                "cluster": "C02",
                "funded": True,
                "convertible": True,
                "registered_on": "2023-05-12",
                "ip_granted_on": "2015-08-19",
            },
            request_only=True,
        ),
        OpenApiExample(
            "修改成果（部分更新）",
            value={"version": 3, "trl": 7, "keywords": "铝合金, 热处理, 轻量化"},
            request_only=True,
        ),
    ]
)
class AchievementSerializer(ChangeReasonSerializerMixin, VersionedSerializerMixin, ServiceModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:achievement-detail")
    unit_code = serializers.SlugRelatedField(
        source="unit",
        slug_field="code",
        queryset=Unit.objects.all(),
        default=CurrentUnitDefault(),
        help_text=_("完成单位的统一社会信用代码；单位用户可省略（默认为本单位）。创建后不能修改。"),
    )
    unit = BriefUnitSerializer(read_only=True)
    cluster = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Cluster.objects.all(),
        allow_null=True,
        required=False,
        help_text=_("产业集群代码，例如 A01"),
    )
    warnings = serializers.SerializerMethodField()

    error_field_names = {"unit": "unit_code"}

    class Meta:
        model = Achievement
        fields = [
            "id",
            "url",
            "ref",
            "unit_code",
            "unit",
            "title",
            "keywords",
            "ip_type",
            "patent_no",
            "trl",
            "cluster",
            "funded",
            "convertible",
            "registered_on",
            "ip_granted_on",
            "status",
            "withdrawn_on",
            "merged_into",
            "version",
            "synthetic",
            "created_at",
            "updated_at",
            "change_reason",
            "warnings",
        ]
        read_only_fields = ["status", "withdrawn_on", "merged_into", "synthetic", "created_at", "updated_at"]
        # (unit, ref) uniqueness is checked by the model's full_clean in the service.
        validators = []

    def validate_unit_code(self, unit):
        if self.instance is not None and unit.pk != self.instance.unit_id:
            raise serializers.ValidationError(_("成果的完成单位创建后不能修改。"))
        if self.user_unit_id is not None and unit.pk != self.user_unit_id:
            raise serializers.ValidationError(_("只能登记本单位的成果。"))
        return unit

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if self.instance is None and "unit" not in attrs:
            raise serializers.ValidationError({"unit_code": [_("请填写完成单位代码（unit_code）。")]})
        return attrs

    @extend_schema_field(
        {
            "type": "array",
            "items": {"type": "string"},
            "description": "只在登记或修改的响应中出现内容：例如其他单位已登记相同专利号（共有专利，已接受）。",
        }
    )
    def get_warnings(self, achievement) -> list[str]:
        return getattr(achievement, "api_warnings", [])

    def _warn_other_units(self, achievement, old_patent_no=None) -> None:
        """A patent number other units hold is accepted (co-owned patents), with a warning in the
        answer; a unit user learns how many records, staff which (docs/api.md, "Duplicates")."""
        if not achievement.patent_no or achievement.patent_no == old_patent_no:
            return
        _same, others = patent_clashes(
            pk=achievement.pk,
            unit_id=achievement.unit_id,
            patent_no=achievement.patent_no,
            status=achievement.status,
            holders=patent_holders([achievement.patent_no]),
        )
        if not others:
            return
        if self.user_unit_id is None:
            records = "; ".join(f"{h.ref} (id {h.pk})" for h in others[:5])
            message = _("其他单位已登记相同专利号的成果：%(records)s（已接受：共有专利）。") % {"records": records}
        else:
            message = _("其他单位已登记相同专利号的成果 %(n)d 条（已接受：共有专利）。") % {"n": len(others)}
        achievement.api_warnings = [str(message)]

    def create(self, validated_data):
        validated_data.pop("version", None)
        self.pop_change_reason(validated_data)
        with self.service_errors():
            achievement = services.achievement_create(acting_user=self.request_user, **validated_data)
        self._warn_other_units(achievement)
        return achievement

    def update(self, instance, validated_data):
        version = self.pop_expected_version(validated_data)
        reason = self.pop_change_reason(validated_data)
        validated_data.pop("unit", None)
        old_patent_no = instance.patent_no
        with self.service_errors():
            achievement = services.achievement_update(
                achievement=instance,
                acting_user=self.request_user,
                expected_version=version,
                change_reason=reason,
                **validated_data,
            )
        self._warn_other_units(achievement, old_patent_no)
        return achievement


class AchievementWithdrawSerializer(serializers.Serializer):
    withdrawn_on = serializers.DateField(help_text=_("撤回日期，不能早于登记日期"))
    reason = serializers.CharField(
        max_length=500, help_text=_("撤回原因（必填），记入修改记录；撤回后只有厅工作人员可以恢复")
    )
    version = serializers.IntegerField(min_value=1, help_text=_("读取时得到的版本号"))


# --- transferees -----------------------------------------------------------------------------


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "受让方",
            value={
                "id": 311,
                "url": "https://example.org/api/v1/transferees/311/",
                "code": "91210200MA0QC4DP4D",
                "name": "大连某新材料科技有限公司",
                "region": "210213",
                "is_local": True,
                "synthetic": False,
                "created_at": "2023-07-01T08:00:00+08:00",
                "updated_at": "2023-07-01T08:00:00+08:00",
            },
            response_only=True,
        ),
        OpenApiExample(
            "新增受让方",
            value={"code": "91210200MA0QC4DP4D", "name": "大连某新材料科技有限公司", "region": "210213"},
            request_only=True,
        ),
    ]
)
class TransfereeSerializer(ChangeReasonSerializerMixin, ServiceModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:transferee-detail")
    code = CreditCodeField(
        max_length=18,
        validators=[validate_credit_code, UniqueValidator(queryset=Transferee.objects.all())],
        help_text=_("统一社会信用代码；创建后不能修改"),
    )

    class Meta:
        model = Transferee
        fields = [
            "id",
            "url",
            "code",
            "name",
            "region",
            "is_local",
            "synthetic",
            "created_at",
            "updated_at",
            "change_reason",
        ]
        read_only_fields = ["is_local", "synthetic", "created_at", "updated_at"]

    def validate_code(self, code):
        if self.instance is not None and code != self.instance.code:
            raise serializers.ValidationError(_("受让方的统一社会信用代码创建后不能修改。"))
        return code

    def create(self, validated_data):
        self.pop_change_reason(validated_data)
        with self.service_errors():
            return services.transferee_upsert(acting_user=self.request_user, **validated_data)

    def update(self, instance, validated_data):
        reason = self.pop_change_reason(validated_data)
        data = {
            "name": instance.name,
            "region": instance.region,
            **validated_data,
            "code": instance.code,
            "change_reason": reason,
        }
        with self.service_errors():
            return services.transferee_upsert(acting_user=self.request_user, **data)


# --- transformations -------------------------------------------------------------------------


@extend_schema_field(OpenApiTypes.STR)
class AchievementRefField(serializers.Field):
    """``achievement_ref``: the contract's achievement by its ``ref`` within the unit."""

    related_paths = ("achievement",)  # read from instance.achievement: select it in lists

    def __init__(self, **kwargs):
        kwargs["source"] = "*"
        super().__init__(**kwargs)

    def to_representation(self, instance):
        return instance.achievement.ref

    def to_internal_value(self, data):
        if not isinstance(data, str) or not data.strip():
            raise serializers.ValidationError(_("请填写成果编号。"))
        return {"achievement_ref": data.strip()}


CONTRACT_EXAMPLE = {
    "id": 5120,
    "url": "https://example.org/api/v1/transformations/5120/",
    "ref": "DUT-HT-2023-041",
    "unit_code": "12210000455355806E",
    "achievement": 1024,
    "achievement_ref": "DUT-2023-0158",
    "mode": "license",
    "transferee": {
        "code": "91210200MA0QC4DP4D",
        "name": "大连某新材料科技有限公司",
        "region": "210213",
        "is_local": True,
    },
    "signed_on": "2023-09-18",
    "amount": "1500000.00",
    "received": "600000.00",
    "status": "effective",
    "registration_no": "",
    "version": 1,
    "synthetic": False,
    "created_at": "2023-09-20T14:31:00+08:00",
    "updated_at": "2023-09-20T14:31:00+08:00",
}


@extend_schema_serializer(
    examples=[
        OpenApiExample("转化合同", value=CONTRACT_EXAMPLE, response_only=True),
        OpenApiExample(
            "登记转化合同（按成果编号）",
            value={
                "ref": "DUT-HT-2023-041",
                "unit_code": "12210000455355806E",
                "achievement_ref": "DUT-2023-0158",
                "mode": "license",
                "transferee": {
                    "code": "91210200MA0QC4DP4D",
                    "name": "大连某新材料科技有限公司",
                    "region": "210213",
                },
                "signed_on": "2023-09-18",
                "amount": "1500000.00",
                "received": "600000.00",
            },
            request_only=True,
        ),
        OpenApiExample(
            "修改到账金额",
            value={"version": 1, "received": "1500000.00"},
            request_only=True,
        ),
    ]
)
class TransformationSerializer(ChangeReasonSerializerMixin, VersionedSerializerMixin, ServiceModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:transformation-detail")
    unit_code = serializers.SlugRelatedField(
        source="unit",
        slug_field="code",
        queryset=Unit.objects.all(),
        default=CurrentUnitDefault(),
        help_text=_("成果所属单位的统一社会信用代码（与 achievement_ref 一起指定成果）；单位用户可省略"),
    )
    achievement = serializers.PrimaryKeyRelatedField(
        queryset=Achievement.objects.all(),
        required=False,
        help_text=_("科技成果 id；也可以用 unit_code + achievement_ref 指定"),
    )
    achievement_ref = AchievementRefField(required=False, help_text=_("成果编号（在单位内唯一）"))
    transferee = NestedTransfereeSerializer(
        help_text=_(
            "受让方：按统一社会信用代码匹配已有受让方（名称、地区可省略以沿用库中信息），不存在则新建；"
            "名称或地区不同则更新，但单位用户不能修改其他单位也在使用的受让方"
        )
    )

    error_field_names = {"unit": "unit_code"}

    class Meta:
        model = Transformation
        fields = [
            "id",
            "url",
            "ref",
            "unit_code",
            "achievement",
            "achievement_ref",
            "mode",
            "transferee",
            "signed_on",
            "amount",
            "received",
            "status",
            "registration_no",
            "version",
            "synthetic",
            "created_at",
            "updated_at",
            "change_reason",
        ]
        read_only_fields = ["status", "synthetic", "created_at", "updated_at"]
        validators = []

    def get_fields(self):
        fields = super().get_fields()
        user = self.request_user
        if user is not None and user.is_authenticated:
            fields["achievement"].queryset = Achievement.objects.for_user(user)
        return fields

    def validate_unit_code(self, unit):
        if self.user_unit_id is not None and unit.pk != self.user_unit_id:
            raise serializers.ValidationError(_("只能登记本单位的转化合同。"))
        return unit

    def validate(self, attrs):
        attrs = super().validate(attrs)
        unit = attrs.pop("unit", None)
        if self.instance is not None and unit is not None and unit.pk != self.instance.unit_id:
            raise serializers.ValidationError({"unit_code": [_("合同的完成单位创建后不能修改。")]})
        achievement = attrs.get("achievement")
        ref = attrs.pop("achievement_ref", None)
        if ref is not None:
            scope_unit = unit or (self.instance.unit if self.instance else None)
            if scope_unit is None:
                raise serializers.ValidationError({"unit_code": [_("按成果编号指定成果时须填写单位代码。")]})
            found = Achievement.objects.for_user(self.request_user).filter(unit=scope_unit, ref=ref).first()
            if found is None:
                raise serializers.ValidationError(
                    {"achievement_ref": [_("该单位没有成果编号为“%(ref)s”的成果。") % {"ref": ref}]}
                )
            if achievement is not None and achievement.pk != found.pk:
                raise serializers.ValidationError({"achievement": [_("与成果编号指向的成果不一致。")]})
            achievement = attrs["achievement"] = found
        if self.instance is None and achievement is None:
            raise serializers.ValidationError(
                {"achievement": [_("请指定成果：achievement（成果 id）或 unit_code + achievement_ref。")]}
            )
        if achievement is not None:
            expected_unit_id = self.instance.unit_id if self.instance else (unit.pk if unit else None)
            if expected_unit_id is not None and achievement.unit_id != expected_unit_id:
                message = (
                    _("合同不能改到其他单位的成果下。")
                    if self.instance
                    else _("合同的完成单位必须是成果的所属单位。")
                )
                raise serializers.ValidationError({"achievement": [message]})
        return attrs

    def _transferee(self, data, current: Transferee | None = None, change_reason: str = ""):
        """Upsert the transferee on its code; fields a partial update leaves out keep their values."""
        if current is not None and data.get("code", current.code) == current.code:
            data = {"code": current.code, "name": current.name, "region": current.region, **data}
        with self.service_errors(prefix="transferee"):
            return services.transferee_upsert(
                acting_user=self.request_user,
                code=data.get("code", ""),
                name=data.get("name", ""),
                region=data.get("region", ""),
                change_reason=change_reason,
            )

    @transaction.atomic
    def create(self, validated_data):
        validated_data.pop("version", None)
        self.pop_change_reason(validated_data)
        validated_data["transferee"] = self._transferee(validated_data.pop("transferee"))
        achievement = validated_data.pop("achievement")
        with self.service_errors():
            return services.transformation_create(
                acting_user=self.request_user, achievement=achievement, **validated_data
            )

    @transaction.atomic
    def update(self, instance, validated_data):
        version = self.pop_expected_version(validated_data)
        reason = self.pop_change_reason(validated_data)
        if "transferee" in validated_data:
            validated_data["transferee"] = self._transferee(
                validated_data.pop("transferee"), current=instance.transferee, change_reason=reason
            )
        with self.service_errors():
            return services.transformation_update(
                contract=instance,
                acting_user=self.request_user,
                expected_version=version,
                change_reason=reason,
                **validated_data,
            )


class TransformationCancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, help_text=_("解除原因（必填），记入修改记录"))
    version = serializers.IntegerField(min_value=1, help_text=_("读取时得到的版本号"))

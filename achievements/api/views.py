"""Registry endpoints: a viewset per model on ``core.api.viewsets.RegistryViewSet``.

Nothing is deleted through the API: achievements are withdrawn and contracts cancelled by actions.
"""

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api.permissions import IsStaffOrReadOnly
from core.api.viewsets import RegistryViewSet

from .. import services
from ..filtersets import AchievementFilterSet, TransfereeFilterSet, TransformationFilterSet, UnitFilterSet
from ..models import Achievement, Transferee, Transformation, Unit
from . import serializers


def _docs(noun: str, **extra):
    """Summaries for the standard operations of a registry endpoint."""
    return extend_schema_view(
        list=extend_schema(
            summary=f"{noun}列表", description="支持筛选、排序（ordering）和分页（page、page_size）。"
        ),
        retrieve=extend_schema(summary=f"{noun}详情"),
        create=extend_schema(summary=f"新增{noun}"),
        update=extend_schema(summary=f"修改{noun}（全部字段）"),
        partial_update=extend_schema(summary=f"修改{noun}（部分字段）"),
        **extra,
    )


@_docs("单位")
class UnitViewSet(RegistryViewSet):
    queryset = Unit.objects.all()
    serializer_class = serializers.UnitSerializer
    filterset_class = UnitFilterSet
    permission_classes = [*RegistryViewSet.permission_classes, IsStaffOrReadOnly]
    unit_lookup = "pk"
    ordering_fields = ("id", "code", "name", "type", "region")


@_docs("科技成果")
class AchievementViewSet(RegistryViewSet):
    queryset = Achievement.objects.all()
    serializer_class = serializers.AchievementSerializer
    filterset_class = AchievementFilterSet
    ordering_fields = (
        "id",
        "ref",
        "title",
        "trl",
        "registered_on",
        "ip_granted_on",
        "created_at",
        "updated_at",
    )

    @extend_schema(
        summary="撤回科技成果",
        description=(
            "撤回（不删除）成果：状态改为“已撤回”并记录撤回日期，原因（reason，必填）记入修改记录。"
            "需要读取时得到的版本号。撤回后只有厅工作人员可以恢复。"
        ),
        request=serializers.AchievementWithdrawSerializer,
        responses=serializers.AchievementSerializer,
        examples=[
            OpenApiExample(
                "撤回成果",
                value={"withdrawn_on": "2024-06-30", "reason": "与 DUT-2023-0101 重复登记", "version": 3},
                request_only=True,
            ),
            OpenApiExample(
                "已撤回",
                value={
                    **serializers.ACHIEVEMENT_EXAMPLE,
                    "status": "withdrawn",
                    "withdrawn_on": "2024-06-30",
                    "version": 4,
                },
                response_only=True,
            ),
        ],
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        achievement = self.get_object()
        serializer = serializers.AchievementWithdrawSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        achievement = services.achievement_withdraw(
            achievement=achievement,
            acting_user=request.user,
            on=data["withdrawn_on"],
            reason=data["reason"],
            expected_version=data["version"],
        )
        return Response(self.get_serializer(achievement).data)


@_docs("受让方")
class TransfereeViewSet(RegistryViewSet):
    queryset = Transferee.objects.all()
    serializer_class = serializers.TransfereeSerializer
    filterset_class = TransfereeFilterSet
    permission_classes = [*RegistryViewSet.permission_classes, IsStaffOrReadOnly]
    unit_lookup = "transformations__unit"
    ordering_fields = ("id", "code", "name", "region")


@_docs("转化合同")
class TransformationViewSet(RegistryViewSet):
    queryset = Transformation.objects.all()
    serializer_class = serializers.TransformationSerializer
    filterset_class = TransformationFilterSet
    ordering_fields = ("id", "ref", "signed_on", "amount", "received", "created_at", "updated_at")

    @extend_schema(
        summary="解除转化合同",
        description=(
            "解除（不删除）合同：状态改为“已解除”，此后不再计入统计；原因（reason，必填）记入修改记录。"
            "需要读取时得到的版本号。"
        ),
        request=serializers.TransformationCancelSerializer,
        responses=serializers.TransformationSerializer,
        examples=[
            OpenApiExample(
                "解除合同",
                value={"reason": "受让方未按期付款，双方协商解除", "version": 1},
                request_only=True,
            ),
            OpenApiExample(
                "已解除",
                value={**serializers.CONTRACT_EXAMPLE, "status": "cancelled", "version": 2},
                response_only=True,
            ),
        ],
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        contract = self.get_object()
        serializer = serializers.TransformationCancelSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        contract = services.transformation_cancel(
            contract=contract,
            acting_user=request.user,
            reason=serializer.validated_data["reason"],
            expected_version=serializer.validated_data["version"],
        )
        return Response(self.get_serializer(contract).data)

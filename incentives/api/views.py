from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.permissions import AllowAny

from .. import selectors
from ..filtersets import AwardFilterSet, PublicListingFilterSet
from ..models import Award, Listing
from .serializers import AwardSerializer, PublicListingSerializer


@extend_schema_view(
    list=extend_schema(summary="奖补列表", description="激励奖补（数据规范第5节）：员工看全部，单位用户只看本单位的。"),
    retrieve=extend_schema(summary="奖补"),
)
class AwardViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = AwardSerializer
    filterset_class = AwardFilterSet
    queryset = Award.objects.none()  # for the schema; requests use get_queryset
    ordering_fields = ("id", "year", "amount")

    def get_queryset(self):
        return (
            selectors.award_list(user=self.request.user)
            .select_related("contract__transferee")
            .order_by("-year", "rule__code", "beneficiary_code", "id")
        )


@extend_schema_view(
    list=extend_schema(summary="先使用后付费清单（公开）", description="公开字段；无需登录。"),
)
class PublicListingViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = PublicListingSerializer
    filterset_class = PublicListingFilterSet
    permission_classes = [AllowAny]
    queryset = Listing.objects.none()
    ordering_fields = ("listed_on",)

    def get_queryset(self):
        return selectors.public_listings().order_by("-listed_on", "id")

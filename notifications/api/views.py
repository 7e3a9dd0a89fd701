"""The user's own notifications: list, one, mark one or all read. Another user's is 404."""

import django_filters
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core import params

from .. import selectors, services
from ..models import Notification
from .serializers import NOTIFICATION_EXAMPLE, NotificationSerializer


class NotificationFilterSet(django_filters.FilterSet):
    unread = params.BooleanFilter(field_name="read_at", lookup_expr="isnull", label="只看未读")
    event = django_filters.CharFilter(field_name="event", label="事件代码")

    class Meta:
        model = Notification
        fields = ["unread", "event"]


ReadAllSerializer = inline_serializer(
    name="NotificationsReadAll", fields={"marked": serializers.IntegerField(help_text="本次标为已读的条数")}
)


@extend_schema_view(
    list=extend_schema(
        summary="我的通知",
        description="当前用户自己的通知，未读在前、新的在前；可按 unread、event 筛选，分页（page、page_size）。",
        examples=[OpenApiExample("通知", value=NOTIFICATION_EXAMPLE, response_only=True)],
    ),
    retrieve=extend_schema(
        summary="一条通知", examples=[OpenApiExample("通知", value=NOTIFICATION_EXAMPLE, response_only=True)]
    ),
)
class NotificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = NotificationSerializer
    filterset_class = NotificationFilterSet
    queryset = Notification.objects.none()  # for the schema; requests use get_queryset
    ordering_fields = ("id", "created_at")

    def get_queryset(self):
        return selectors.notification_list(user=self.request.user).order_by(
            "-unread_rank", "-created_at", "-id"
        )

    @extend_schema(
        summary="标为已读",
        description="把自己的一条通知标为已读（已读的不变）。",
        request=None,
        responses=NotificationSerializer,
        examples=[
            OpenApiExample(
                "已读",
                value={**NOTIFICATION_EXAMPLE, "read_at": "2026-06-18T11:00:00+08:00", "read": True},
                response_only=True,
            )
        ],
    )
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        notification = self.get_object()
        services.notification_mark_read(notification=notification, acting_user=request.user)
        notification.refresh_from_db()
        return Response(self.get_serializer(notification).data)

    @extend_schema(
        summary="全部标为已读",
        request=None,
        responses={200: OpenApiResponse(ReadAllSerializer)},
        examples=[OpenApiExample("结果", value={"marked": 3}, response_only=True)],
    )
    @action(detail=False, methods=["post"], url_path="read-all", filterset_class=None, pagination_class=None)
    def read_all(self, request):
        return Response({"marked": services.notification_mark_all_read(acting_user=request.user)})

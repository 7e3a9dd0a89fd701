from rest_framework import serializers

from ..models import Notification

NOTIFICATION_EXAMPLE = {
    "id": 12,
    "event": "achievement_withdrawn",
    "event_label": "成果被撤回",
    "title": "厅工作人员撤回了成果 DUT-2023-0101「一种高强铝合金的制备方法」",
    "url": "/achievements/101/",
    "unit": 3,
    "created_at": "2026-06-18T10:12:00+08:00",
    "read_at": None,
    "read": False,
}


class NotificationSerializer(serializers.ModelSerializer):
    event_label = serializers.CharField(read_only=True, help_text="事件名称（当前语言）")
    title = serializers.CharField(source="display_title", read_only=True, help_text="通知内容（当前语言）")
    url = serializers.CharField(read_only=True, help_text="相关记录的页面地址（可能为空）")
    read = serializers.BooleanField(source="is_read", read_only=True, help_text="是否已读")

    class Meta:
        model = Notification
        fields = ["id", "event", "event_label", "title", "url", "unit", "created_at", "read_at", "read"]
        read_only_fields = fields

import django_filters
from django.utils.translation import gettext_lazy as _

from core import params
from core.registry import notification_events

from .models import Notification


def _event_choices():
    return [(kind.name, kind.label) for kind in notification_events()]


class NotificationFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="title", lookup_expr="icontains", label=_("搜索"))
    unread = params.BooleanFilter(field_name="read_at", lookup_expr="isnull", label=_("未读"))
    event = django_filters.ChoiceFilter(choices=_event_choices, label=_("事件"))

    class Meta:
        model = Notification
        fields = ["q", "unread", "event"]

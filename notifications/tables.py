from django.utils.translation import gettext_lazy as _

from core.ui.tables import Column, Table


class NotificationTable(Table):
    state = Column(_("状态"), order_by=("unread_rank", "created_at"))
    event = Column(_("事件"), order_by=("event",))
    title = Column(_("内容"))
    created_at = Column(_("时间"), order_by=("created_at",), accessor="created_at")
    actions = Column(_("操作"))

    default_sort = "-state"  # unread first, newest first
    row_template = "notifications/_rows.html"
    empty_text = _("没有通知。")

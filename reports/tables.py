from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.ui.tables import Column, Table


class AnnualReportTable(Table):
    unit = Column(_("单位"), order_by=("unit__name",), accessor="unit.name", link=True)
    year = Column(_("报告年度"), order_by=("year",), accessor="year")
    revision = Column(_("修订版次"), order_by=("revision",), accessor="revision")
    status = Column(_("状态"), order_by=("status",), accessor="get_status_display")
    updated_at = Column(_("更新时间"), order_by=("updated_at",), accessor="updated_at")

    default_sort = "-year"
    empty_text = _("没有年度报告。")

    def render_status(self, record):
        return format_html('<span class="status status-{}">{}</span>', record.status, record.get_status_display())

    def render_updated_at(self, record):
        return timezone.localtime(record.updated_at).strftime("%Y-%m-%d %H:%M")

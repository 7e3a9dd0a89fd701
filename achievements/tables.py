"""The registry's list tables: columns, sortable keys (the ``?sort=`` whitelists), export columns."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core import regions
from core.ui.tables import Column, Table


class AchievementTable(Table):
    title = Column(_("成果名称"), order_by=("title",))
    unit = Column(_("单位"), order_by=("unit__name",))
    ip_type = Column(_("知识产权类型"), order_by=("ip_type",))
    patent_no = Column(_("专利号"), order_by=("patent_no",))
    trl = Column(_("技术成熟度"), order_by=("trl",), css="num")
    cluster = Column(_("产业集群"), order_by=("cluster__code",))
    registered_on = Column(_("登记日期"), order_by=("registered_on",))
    convertible = Column(_("可转化"))
    transformed = Column(_("已转化"))
    status = Column(_("状态"), order_by=("status",))

    default_sort = "-registered_on"
    row_template = "achievements/_achievement_rows.html"


class TransformationTable(Table):
    ref = Column(_("合同编号"), order_by=("ref",))
    achievement = Column(pgettext_lazy("one record", "科技成果"), order_by=("achievement__title",))
    unit = Column(_("单位"), order_by=("unit__name",))
    transferee = Column(_("受让方"), order_by=("transferee__name",))
    local = Column(_("本地转化"))
    mode = Column(_("转化方式"), order_by=("mode",))
    signed_on = Column(_("签订日期"), order_by=("signed_on",))
    amount = Column(_("合同金额（元）"), order_by=("amount",), css="num")
    received = Column(_("到账金额（元）"), order_by=("received",), css="num")
    status = Column(_("状态"), order_by=("status",))

    default_sort = "-signed_on"
    row_template = "achievements/_transformation_rows.html"
    # Exports carry amounts in yuan as numbers, and the codes a spreadsheet user filters on.
    export_columns = [
        (_("合同编号"), "ref"),
        (_("成果编号"), "achievement.ref"),
        (pgettext_lazy("one record", "科技成果"), "achievement.title"),
        (_("完成单位"), "unit.name"),
        (_("单位统一社会信用代码"), "unit.code"),
        (_("受让方名称"), "transferee.name"),
        (_("受让方统一社会信用代码"), "transferee.code"),
        (_("受让方地区代码"), "transferee.region"),
        (_("受让方地区"), lambda c: regions.label(c.transferee.region)),
        (_("本地转化"), lambda c: bool(c.transferee.is_local)),
        (_("转化方式"), "get_mode_display"),
        (_("签订日期"), "signed_on"),
        (_("合同金额（元）"), "amount"),
        (_("到账金额（元）"), "received"),
        (_("技术合同登记号"), "registration_no"),
        (_("状态"), "get_status_display"),
    ]

from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.ui.tables import Column, Table

from . import policies


class AwardTable(Table):
    select = Column(_("选择"))
    id = Column(_("编号"), order_by=("pk",), accessor="pk", link=True)
    rule = Column(_("规则"), order_by=("rule__code",), accessor="rule.name")
    year = Column(_("年度"), order_by=("year",), accessor="year")
    subject = Column(_("评审对象"), accessor=lambda a: a.contract.ref if a.contract_id else a.pilot_base_code)
    beneficiary = Column(_("受益方"), order_by=("beneficiary_name",), accessor="beneficiary_name")
    base = Column(_("计算基数（元）"), css="num", accessor="base", number="yuan")
    amount = Column(_("奖补金额（元）"), order_by=("amount",), css="num", accessor="amount", number="yuan")
    status = Column(_("状态"), order_by=("status",), accessor="get_status_display")

    default_sort = "-year"

    def render_select(self, record):
        if record.status != "proposed" or not policies.can_manage(self.request.user):
            return ""
        return format_html(
            '<input type="checkbox" name="award" value="{}" form="bulk-decide" aria-label="{} {}">',
            record.pk, _("选择奖补"), record.pk,
        )

    # The finance office's list: the award's number, whom to pay and how much; 支付日期 left blank
    # for finance to fill in (the same file comes back as the paid list).
    export_columns = [
        (_("奖补编号"), "pk"),
        (_("规则"), "rule.name"),
        (_("政策依据"), "rule.policy"),
        (_("评审年度"), "year"),
        (_("受益方类型"), "get_beneficiary_kind_display"),
        (_("受益方名称"), "beneficiary_name"),
        (_("受益方代码"), "beneficiary_code"),
        (_("完成单位"), lambda a: a.unit.name if a.unit_id else ""),
        (_("合同编号"), lambda a: a.contract.ref if a.contract_id else a.pilot_base_code),
        (_("计算基数（元）"), "base"),
        (_("奖补金额（元）"), "amount"),
        (_("状态"), "get_status_display"),
        (_("计算说明"), "explanation"),
        (_("支付日期"), "paid_on"),
    ]


class ListingTable(Table):
    ref = Column(_("成果编号"), order_by=("achievement__ref",), accessor="achievement.ref", link=True)
    title = Column(_("成果名称"), accessor="achievement.title")
    unit = Column(_("完成单位"), order_by=("unit__name",), accessor="unit.name")
    granted = Column(_("授权日期"), order_by=("achievement__ip_granted_on",), accessor="achievement.ip_granted_on")
    listed_on = Column(_("列入日期"), order_by=("listed_on",), accessor="listed_on")
    status = Column(_("状态"), order_by=("status",), accessor="get_status_display")
    justification = Column(_("理由审核"), accessor="get_justification_status_display")

    default_sort = "-listed_on"


class PublicListingTable(Table):
    """Published fields only (the page, the export for the technology market, the API)."""

    ref = Column(_("成果编号"), order_by=("achievement__ref",), accessor="achievement.ref")
    title = Column(_("成果名称"), order_by=("achievement__title",), accessor="achievement.title")
    unit = Column(_("完成单位"), order_by=("unit__name",), accessor="unit.name")
    ip_type = Column(_("知识产权类型"), accessor="achievement.get_ip_type_display")
    patent_no = Column(_("专利号"), accessor="achievement.patent_no")
    granted = Column(_("授权日期"), order_by=("achievement__ip_granted_on",), accessor="achievement.ip_granted_on")
    trl = Column(_("技术成熟度"), accessor="achievement.trl")
    cluster = Column(_("产业集群"), accessor=lambda item: item.achievement.cluster.name if item.achievement.cluster_id else "")
    listed_on = Column(_("列入日期"), order_by=("listed_on",), accessor="listed_on")

    default_sort = "-listed_on"

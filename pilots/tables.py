"""The list tables of the pilot pages."""

from django.utils.translation import gettext_lazy as _

from core.ui.tables import Column, Table


class PilotBaseTable(Table):
    code = Column(_("基地编号"), order_by=("code",), accessor="code", link=True)
    name = Column(_("基地名称"), order_by=("name",), accessor="name", link=True)
    operator = Column(_("运营单位"), order_by=("operator__name",), accessor="operator.name")
    city = Column(_("所在城市"), order_by=("city",), accessor="get_city_display")
    designated_year = Column(
        _("认定年份"), order_by=("designated_year",), accessor="designated_year", css="num"
    )
    status = Column(_("状态"), order_by=("status",), accessor="get_status_display")
    site_area_m2 = Column(
        _("场地面积（平方米）"), order_by=("site_area_m2",), accessor="site_area_m2", css="num"
    )
    equipment_count = Column(
        _("仪器设备（台套）"), order_by=("equipment_count",), accessor="equipment_count", css="num"
    )
    staff_count = Column(
        _("专职服务人员（人）"), order_by=("staff_count",), accessor="staff_count", css="num"
    )
    funds_total = Column(
        _("省级资金合计（元）"), order_by=("funds_total",), accessor="funds_total", css="num"
    )

    default_sort = "code"


class PilotRequestTable(Table):
    id = Column(_("编号"), order_by=("pk",), accessor="pk", link=True)
    achievement = Column(_("科技成果"), order_by=("achievement__title",), accessor="achievement.title")
    unit = Column(_("成果单位"), accessor="achievement.unit.name")
    service = Column(_("所需服务"), accessor="service.name")
    base = Column(_("中试基地"), order_by=("base__code",), accessor="base.name")
    status = Column(_("状态"), order_by=("status",), accessor="get_status_display")
    submitted_at = Column(_("提交时间"), order_by=("submitted_at",), accessor="submitted_at")

    default_sort = "-submitted_at"

    def render_submitted_at(self, record):
        from django.utils import timezone

        return (
            timezone.localtime(record.submitted_at).strftime("%Y-%m-%d %H:%M") if record.submitted_at else "—"
        )


class ReportTable(Table):
    base = Column(_("基地"), order_by=("base__code",), accessor="base.name", link=True)
    year = Column(_("年度"), order_by=("year",), accessor="year", css="num")
    pilot_tests = Column(_("完成中试（项）"), order_by=("pilot_tests",), accessor="pilot_tests", css="num")
    enterprises_served = Column(
        _("服务企业（家）"), order_by=("enterprises_served",), accessor="enterprises_served", css="num"
    )
    revenue = Column(_("服务收入（元）"), order_by=("revenue",), accessor="revenue", css="num")
    revision = Column(_("修订版次"), order_by=("revision",), accessor="revision", css="num")
    status = Column(_("审核状态"), order_by=("status",), accessor="get_status_display")

    default_sort = "-year"

from django.db import models
from django.utils.translation import gettext_lazy as _


class UnitType(models.TextChoices):
    UNIVERSITY = "university", _("高校")
    INSTITUTE = "institute", _("科研院所")
    ENTERPRISE = "enterprise", _("企业")
    OTHER = "other", _("其他")


class IPType(models.TextChoices):
    INVENTION_PATENT = "invention_patent", _("发明专利")
    UTILITY_MODEL = "utility_model", _("实用新型专利")
    DESIGN = "design", _("外观设计专利")
    SOFTWARE = "software", _("软件著作权")
    PLANT_VARIETY = "plant_variety", _("植物新品种")
    IC_LAYOUT = "ic_layout", _("集成电路布图设计")
    KNOW_HOW = "know_how", _("技术秘密")
    OTHER = "other", _("其他")


PATENT_IP_TYPES = (IPType.INVENTION_PATENT, IPType.UTILITY_MODEL, IPType.DESIGN)


class AchievementStatus(models.TextChoices):
    ACTIVE = "active", _("有效")
    WITHDRAWN = "withdrawn", _("已撤回")


class TransformationMode(models.TextChoices):
    """The six modes of the Law on Promoting the Transformation of S&T Achievements, Art. 16."""

    SELF = "self", _("自行投资实施")
    TRANSFER = "transfer", _("转让")
    LICENSE = "license", _("许可")
    COOPERATION = "cooperation", _("合作实施")
    EQUITY = "equity", _("作价投资")
    OTHER = "other", _("其他")


class TransformationStatus(models.TextChoices):
    EFFECTIVE = "effective", _("有效")
    CANCELLED = "cancelled", _("已解除")


class IndustrialBase(models.TextChoices):
    EQUIPMENT = "equipment", _("先进装备制造")
    PETROCHEMICALS = "petrochemicals", _("石化和精细化工")
    METALLURGY = "metallurgy", _("冶金新材料")
    CONSUMER_GOODS = "consumer_goods", _("优质特色消费品工业")
    EMERGING = "emerging", _("新兴产业")


TRL_LEVELS = {
    1: _("1 观察到基本原理并形成报告"),
    2: _("2 形成技术概念或应用方案"),
    3: _("3 关键功能经分析和实验验证"),
    4: _("4 部件或试验件在实验室环境中验证"),
    5: _("5 部件在相关环境中验证"),
    6: _("6 系统原型在相关环境中演示"),
    7: _("7 原型在实际运行环境中演示"),
    8: _("8 实际系统完成并通过鉴定（中试生产）"),
    9: _("9 实际系统经运行验证（产业化生产）"),
}
TRL_CHOICES = sorted(TRL_LEVELS.items())

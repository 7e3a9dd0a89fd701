from django.db import models
from django.utils.translation import gettext_lazy as _


class RuleStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    ACTIVE = "active", _("生效")
    RETIRED = "retired", _("停用")


class RuleKind(models.TextChoices):
    PAYMENT = "payment", _("奖补（支付）")
    CHECK = "check", _("核查（不支付）")


class Subject(models.TextChoices):
    """What a rule evaluates, one record at a time."""

    CONTRACT = "contract", _("转化合同")
    PILOT_BASE = "pilot_base", _("中试基地")


class BeneficiaryKind(models.TextChoices):
    TRANSFEREE = "transferee", _("受让企业")
    UNIT = "unit", _("成果完成单位")
    TEAM = "team", _("成果完成团队")
    PILOT_BASE = "pilot_base", _("中试基地")


class AwardStatus(models.TextChoices):
    PROPOSED = "proposed", _("待审批")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("未批准")
    PAID = "paid", _("已支付")
    WITHDRAWN = "withdrawn", _("已撤销")


# Awards that hold money (count against caps and budgets, and block "once per record").
HOLDING_STATUSES = (AwardStatus.PROPOSED, AwardStatus.APPROVED, AwardStatus.PAID)
# Awards an evaluation never changes.
DECIDED_STATUSES = (AwardStatus.APPROVED, AwardStatus.PAID, AwardStatus.REJECTED)


class ListingStatus(models.TextChoices):
    LISTED = "listed", _("列入清单")
    EXEMPT = "exempt", _("理由已接受")
    DELISTED = "delisted", _("已移出（已转化或不再符合）")


class JustificationStatus(models.TextChoices):
    NONE = "none", _("未提交")
    PENDING = "pending", _("待审核")
    ACCEPTED = "accepted", _("已接受")
    REJECTED = "rejected", _("未接受")

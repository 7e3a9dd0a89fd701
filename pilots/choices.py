from django.db import models
from django.utils.translation import gettext_lazy as _


class BaseStatus(models.TextChoices):
    ACTIVE = "active", _("运行")
    SUSPENDED = "suspended", _("暂停")
    REVOKED = "revoked", _("撤销")


class Grade(models.TextChoices):
    """The yearly grade of a base (the incentive rules read the code)."""

    EXCELLENT = "excellent", _("优秀")
    GOOD = "good", _("良好")
    PASS = "pass", _("合格")
    FAIL = "fail", _("不合格")


class IndicatorGroup(models.TextChoices):
    BASIC = "basic", _("基本条件")
    PERFORMANCE = "performance", _("服务绩效")
    CAPABILITY = "capability", _("服务能力")
    MANAGEMENT = "management", _("运行管理")
    REPUTATION = "reputation", _("社会声誉")


class Source(models.TextChoices):
    """The figures an indicator may read (``pilots.evaluation.FIGURES`` computes each one)."""

    SITE_AREA = "site_area_m2", _("场地面积（平方米）")
    EQUIPMENT = "equipment_count", _("仪器设备（台套）")
    STAFF = "staff_count", _("专职服务人员（人）")
    PILOT_TESTS = "pilot_tests", _("完成中试（项）")
    ACHIEVEMENTS_TESTED = "achievements_tested", _("中试成果（项）")
    ENTERPRISES = "enterprises_served", _("服务企业（家）")
    LOCAL_SHARE = "local_share", _("省内企业占比（%）")
    REVENUE = "revenue_10k", _("服务收入（万元）")
    UTILISATION = "equipment_utilisation", _("设备利用率（%）")
    TESTS_PER_STAFF = "pilot_tests_per_staff", _("人均完成中试（项/人）")
    ENTERPRISES_PER_STAFF = "enterprises_per_staff", _("人均服务企业（家/人）")
    REVENUE_PER_STAFF = "revenue_10k_per_staff", _("人均服务收入（万元/人）")
    MANAGEMENT = "management_rating", _("运行管理评分（厅评定，0–100）")
    REPUTATION = "reputation_rating", _("社会声誉评分（厅评定，0–100）")


class RequestStatus(models.TextChoices):
    SUBMITTED = "submitted", _("待受理")
    ACCEPTED = "accepted", _("已受理")
    DECLINED = "declined", _("已拒绝")
    STARTED = "started", _("中试中")
    COMPLETED = "completed", _("已完成")
    CANCELLED = "cancelled", _("已撤销")


OPEN_REQUEST_STATUSES = (RequestStatus.SUBMITTED, RequestStatus.ACCEPTED, RequestStatus.STARTED)


class Outcome(models.TextChoices):
    SUCCESS = "success", _("中试成功")
    PARTIAL = "partial", _("部分达到目标")
    FAILED = "failed", _("未达到目标")

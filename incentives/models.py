"""Incentive rules as dated data, the awards they produce, and the use-before-transfer list.

A rule's conditions, formula and caps are ``RuleParameter`` rows: one dated value per key, never
edited (a change of policy is a new value from a later date). Every ``Award`` keeps the rule's
version and the parameter values that produced it. Writes go through ``incentives.services``.
"""

import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.roles import is_staff, unit_of
from achievements.models import clean_record_dates, record_date_constraint
from core.models import History, SyntheticMixin, TimeStampedModel, VersionedMixin
from core.validators import EARLIEST_RECORD_DATE

from .choices import (
    AwardStatus,
    BeneficiaryKind,
    JustificationStatus,
    ListingStatus,
    RuleKind,
    RuleStatus,
    Subject,
)

YEAR_VALIDATORS = [MinValueValidator(EARLIEST_RECORD_DATE.year), MaxValueValidator(2100)]


class Rule(TimeStampedModel, VersionedMixin):
    """An incentive policy applied as data: who benefits, from which records, under which law."""

    code = models.SlugField(_("规则代码"), max_length=50, unique=True)
    name = models.CharField(_("规则名称"), max_length=200)
    policy = models.CharField(_("政策依据（文号）"), max_length=200, help_text=_("如 辽科发〔2021〕18号"))
    article = models.CharField(_("条款"), max_length=200, blank=True)
    kind = models.CharField(_("规则类型"), max_length=20, choices=RuleKind.choices, default=RuleKind.PAYMENT)
    subject = models.CharField(_("评审对象"), max_length=20, choices=Subject.choices, default=Subject.CONTRACT)
    beneficiary_kind = models.CharField(_("受益方类型"), max_length=20, choices=BeneficiaryKind.choices)
    valid_from = models.DateField(_("生效日期"))
    valid_to = models.DateField(_("失效日期"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=20, choices=RuleStatus.choices, default=RuleStatus.DRAFT)
    description = models.TextField(_("说明"), blank=True)

    history = History()

    class Meta:
        verbose_name = _("激励规则")
        verbose_name_plural = _("激励规则")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="incentive_rule_valid_to_after_from",
                violation_error_message=_("失效日期不能早于生效日期。"),
            ),
        ]

    def __str__(self):
        return f"{self.code} {self.name}"

    def get_absolute_url(self):
        return reverse("incentives:rule_detail", args=[self.pk])

    def applies_in(self, year: int) -> bool:
        first, last = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
        return self.valid_from <= last and (self.valid_to is None or self.valid_to >= first)


class RuleParameter(models.Model):
    """One dated value of one parameter of a rule (``incentives.parameters.PARAMETERS``)."""

    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="parameters", verbose_name=_("规则"))
    key = models.CharField(_("参数"), max_length=50)
    valid_from = models.DateField(_("起始日期"))
    value = models.JSONField(_("取值"), null=True, blank=True)
    note = models.CharField(_("说明"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("录入时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("录入人"),
    )

    class Meta:
        verbose_name = _("规则参数值")
        verbose_name_plural = _("规则参数值")
        ordering = ["rule", "key", "valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "key", "valid_from"],
                name="incentive_parameter_one_value_per_date",
                violation_error_message=_("该参数在这一日期已有取值；政策变化请录入新的起始日期。"),
            ),
            models.CheckConstraint(
                condition=Q(valid_from__gte=EARLIEST_RECORD_DATE),
                name="incentive_parameter_after_1985",
                violation_error_message=_("起始日期不能早于1985-01-01。"),
            ),
        ]

    def __str__(self):
        return f"{self.rule.code}.{self.key} @ {self.valid_from}"


class UnitScopedQuerySet(models.QuerySet):
    """Records of a unit (``unit``): staff (and ``None``, the system itself) see all, a unit user
    their unit's, anyone else none: the roles of ``accounts.roles``, as ``policies`` asks them."""

    def for_user(self, user):
        if is_staff(user):
            return self
        unit_id = unit_of(user)
        return self.none() if unit_id is None else self.filter(unit_id=unit_id)


class AwardQuerySet(UnitScopedQuerySet):
    pass


class Award(TimeStampedModel, VersionedMixin, SyntheticMixin):
    """One award (or proposal) of one rule for one record and one year."""

    rule = models.ForeignKey(Rule, on_delete=models.PROTECT, related_name="awards", verbose_name=_("规则"))
    year = models.PositiveSmallIntegerField(_("评审年度"), validators=YEAR_VALIDATORS)
    subject_key = models.CharField(_("评审对象"), max_length=80)
    contract = models.ForeignKey(
        "achievements.Transformation", on_delete=models.PROTECT, null=True, blank=True,
        related_name="incentive_awards", verbose_name=_("转化合同"),
    )
    pilot_base_code = models.CharField(_("中试基地代码"), max_length=50, blank=True)
    unit = models.ForeignKey(
        "achievements.Unit", on_delete=models.PROTECT, null=True, blank=True,
        related_name="incentive_awards", verbose_name=_("完成单位"),
    )
    beneficiary_kind = models.CharField(_("受益方类型"), max_length=20, choices=BeneficiaryKind.choices)
    beneficiary_code = models.CharField(_("受益方代码"), max_length=80, db_index=True)
    beneficiary_name = models.CharField(_("受益方名称"), max_length=200)
    city = models.CharField(_("所在城市代码"), max_length=6, blank=True)
    base = models.DecimalField(_("计算基数（元）"), max_digits=16, decimal_places=2, default=0)
    amount = models.DecimalField(_("奖补金额（元）"), max_digits=16, decimal_places=2)
    status = models.CharField(_("状态"), max_length=20, choices=AwardStatus.choices, default=AwardStatus.PROPOSED)
    explanation = models.TextField(_("计算说明"))
    rule_version = models.PositiveIntegerField(_("规则版本"))
    parameters = models.JSONField(_("所用参数值"))
    comment = models.TextField(_("审批意见或撤销原因"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("审批人"),
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    paid_on = models.DateField(_("支付日期"), null=True, blank=True)

    objects = AwardQuerySet.as_manager()
    history = History()

    class Meta:
        verbose_name = _("奖补")
        verbose_name_plural = _("奖补")
        ordering = ["-year", "rule", "beneficiary_code", "subject_key"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "year", "subject_key"],
                name="incentive_award_once_per_rule_year_subject",
                violation_error_message=_("同一规则、同一年度、同一记录只能有一条奖补。"),
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=0) & Q(base__gte=0),
                name="incentive_award_amounts_not_negative",
                violation_error_message=_("金额不能为负数。"),
            ),
            models.CheckConstraint(
                condition=Q(status=AwardStatus.PAID, paid_on__isnull=False)
                | (~Q(status=AwardStatus.PAID) & Q(paid_on__isnull=True)),
                name="incentive_award_paid_has_date",
                violation_error_message=_("已支付的奖补必须有支付日期，其他状态不能有支付日期。"),
            ),
            record_date_constraint("incentive_award", "paid_on", _("支付日期应在1985-01-01至今天之间。"), required=False),
        ]
        indexes = [models.Index(fields=["year", "status"], name="incentive_award_yr_status_idx")]

    def __str__(self):
        return f"{self.rule.code} {self.year} {self.subject_key}"

    def get_absolute_url(self):
        return reverse("incentives:award_detail", args=[self.pk])

    history_label_fields = ("subject_key",)

    @property
    def explanation_lines(self) -> list[str]:
        """The explanation step by step (its parts are separated by "；")."""
        return [part for part in self.explanation.split("；") if part]

    def history_label(self) -> str:
        return str(self)

    def clean(self):
        from django.core.exceptions import ValidationError

        errors = {}
        clean_record_dates(self, errors, "paid_on")
        if errors:
            raise ValidationError(errors)


class ListingQuerySet(UnitScopedQuerySet):
    def published(self):
        return self.filter(status=ListingStatus.LISTED)


class Listing(TimeStampedModel, VersionedMixin, SyntheticMixin):
    """An achievement on the use-before-transfer list (先使用后付费清单), and its justification."""

    achievement = models.OneToOneField(
        "achievements.Achievement", on_delete=models.PROTECT, related_name="use_before_transfer",
        verbose_name=_("科技成果"),
    )
    unit = models.ForeignKey(
        "achievements.Unit", on_delete=models.PROTECT, related_name="use_before_transfer", verbose_name=_("完成单位")
    )
    status = models.CharField(_("状态"), max_length=20, choices=ListingStatus.choices, default=ListingStatus.LISTED)
    listed_on = models.DateField(_("列入日期"))
    delisted_on = models.DateField(_("移出日期"), null=True, blank=True)
    justification = models.TextField(_("未转化理由"), blank=True)
    justification_status = models.CharField(
        _("理由审核"), max_length=20, choices=JustificationStatus.choices, default=JustificationStatus.NONE
    )
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("提交人"),
    )
    filed_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    decision_comment = models.TextField(_("审核意见"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("审核人"),
    )
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)

    objects = ListingQuerySet.as_manager()
    history = History()

    class Meta:
        verbose_name = _("先使用后付费清单条目")
        verbose_name_plural = _("先使用后付费清单")
        ordering = ["-listed_on", "id"]
        indexes = [
            # the published list (``published()``: status = listed), newest first (``-listed_on``,
            # then the primary key): the public page, its exports and the API
            models.Index(fields=["status", "-listed_on", "-id"], name="incentive_listing_public_idx"),
        ]
        constraints = [
            record_date_constraint("incentive_listing", "listed_on", _("列入日期应在1985-01-01至今天之间。"), required=True),
            record_date_constraint("incentive_listing", "delisted_on", _("移出日期应在1985-01-01至今天之间。"), required=False),
        ]

    def __str__(self):
        return str(self.achievement)

    def get_absolute_url(self):
        return reverse("incentives:listing_detail", args=[self.pk])

    history_label_fields = ("achievement",)

    def history_label(self) -> str:
        return str(self.achievement_id)


class ListingRun(models.Model):
    """One run of the monthly listing job: the list's size that day (the dashboard's series)."""

    run_on = models.DateField(_("运行日期"), unique=True)
    years = models.PositiveSmallIntegerField(_("授权后年数 N"))
    listed = models.PositiveIntegerField(_("清单条目数"))
    added = models.PositiveIntegerField(_("新列入"), default=0)
    removed = models.PositiveIntegerField(_("移出"), default=0)

    class Meta:
        verbose_name = _("清单生成记录")
        verbose_name_plural = _("清单生成记录")
        ordering = ["-run_on"]

    def __str__(self):
        return f"{self.run_on}: {self.listed}"

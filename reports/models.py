"""Annual transformation reports (docs/reports.md): the reporting cycle of a year and each unit's
report, filed through the review workflow of ``reviews`` (one row per revision)."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import SyntheticMixin, TimeStampedModel
from core.validators import EARLIEST_RECORD_DATE
from reviews.choices import ReviewAction
from reviews.models import ReviewedDocument

from . import checks, events, figures
from .figures import SECTION_FIELDS

EARLIEST_YEAR = EARLIEST_RECORD_DATE.year


def check_report_year(year) -> None:
    """A report year is 1985 to the current year (the cycle's and the reports' rule, asked before
    any date is built from it)."""
    this_year = timezone.localdate().year
    if isinstance(year, bool) or not isinstance(year, int) or not (EARLIEST_YEAR <= year <= this_year):
        raise ValidationError(
            {"year": _("报告年度：应在%(first)s年至今年（%(this)s年）之间。") % {"first": EARLIEST_YEAR, "this": this_year}}
        )


class ReportCycle(TimeStampedModel, SyntheticMixin):
    """The reporting cycle of one year: its deadline; a report for each unit that must file."""

    year = models.PositiveSmallIntegerField(_("报告年度"), unique=True)
    deadline = models.DateField(_("报送截止日期"))
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("开启人")
    )

    class Meta:
        verbose_name = _("填报周期")
        verbose_name_plural = _("填报周期")
        ordering = ["-year"]
        constraints = [
            models.CheckConstraint(
                condition=Q(year__gte=EARLIEST_YEAR),
                name="reportcycle_year_from_1985",
                violation_error_message=_("报告年度不能早于1985年。"),
            ),
            models.CheckConstraint(
                condition=Q(deadline__gte=EARLIEST_RECORD_DATE),
                name="reportcycle_deadline_from_1985",
                violation_error_message=_("报送截止日期不能早于1985年1月1日。"),
            ),
        ]

    def __str__(self) -> str:
        return str(_("%(year)s年度报告") % {"year": self.year})

    def clean(self):
        errors = {}
        if self.year is not None:
            try:
                check_report_year(self.year)
            except ValidationError as exc:
                errors.update(exc.message_dict)
        if self.year is not None and not errors and self.deadline is not None:
            if self.deadline <= datetime.date(self.year, 12, 31):
                errors["deadline"] = _("报送截止日期：应在%(year)s年12月31日之后。") % {"year": self.year}
            elif self.deadline > datetime.date(self.year + 2, 12, 31):
                errors["deadline"] = _("报送截止日期：不能晚于%(year)s年12月31日。") % {"year": self.year + 2}
        if errors:
            raise ValidationError(errors)

    def get_absolute_url(self):
        return reverse("reports:cycle_detail", kwargs={"year": self.year})

    @property
    def overdue(self) -> bool:
        return timezone.localdate() > self.deadline


def _amount(label, **kwargs):
    return models.DecimalField(
        label, max_digits=16, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)], **kwargs
    )


def _count(label, **kwargs):
    return models.PositiveIntegerField(label, null=True, blank=True, **kwargs)


class AnnualReportQuerySet(models.QuerySet):
    def current(self):
        return self.filter(is_current=True)


class AnnualReport(ReviewedDocument, SyntheticMixin):
    """One unit's annual transformation report for one year, in one revision."""

    cycle = models.ForeignKey(ReportCycle, on_delete=models.PROTECT, related_name="reports", verbose_name=_("填报周期"))
    unit = models.ForeignKey(
        "achievements.Unit", on_delete=models.PROTECT, related_name="annual_reports", verbose_name=_("单位")
    )
    year = models.PositiveSmallIntegerField(_("报告年度"), editable=False)

    registry = models.JSONField(_("成果库数据"), default=figures.empty_block, editable=False)
    registry_read_at = models.DateTimeField(_("成果库数据读取时间"), null=True, blank=True, editable=False)
    reported = models.JSONField(_("填报数据"), default=figures.empty_block)
    explanations = models.JSONField(
        _("差异说明"), default=dict, blank=True, help_text=_("填报数与成果库数据不同之处的一句话说明，按字段")
    )

    sme_contracts = _count(_("向中小企业转化 · 合同数"))
    sme_amount = _amount(_("向中小企业转化 · 合同金额（元）"))
    sme_received = _amount(_("向中小企业转化 · 到账金额（元）"))
    service_contracts = _count(_("技术开发、咨询、服务 · 合同数"))
    service_amount = _amount(_("技术开发、咨询、服务 · 合同金额（元）"))
    service_received = _amount(_("技术开发、咨询、服务 · 到账金额（元）"))
    fiscal_transformed = _count(_("财政资助项目成果转化数"))
    companies = _count(_("以成果创设或参股的企业数"))
    venture_staff = _count(_("兼职或离岗创业人员数"))
    net_income = _amount(
        _("转让、许可净收入（元）"), help_text=_("以转让、许可方式转化取得的净收入，用于计算奖励比例（促进科技成果转化法第四十五条）")
    )
    reward_cash = _amount(_("现金奖励（元）"))
    reward_equity = _amount(_("股权奖励（元）"))
    rewarded_people = _count(_("获奖励人数"))
    team_share_explanation = models.TextField(
        _("奖励比例说明"), blank=True, help_text=_("现金奖励低于净收入的法定最低比例时必填")
    )
    tto_exists = models.BooleanField(_("设有技术转移机构"), null=True, blank=True)
    tto_staff = _count(_("技术转移机构专职人员数"))
    tto_managers = _count(_("持证技术经理人数"))
    typical_cases = models.TextField(_("典型案例"), blank=True)
    problems = models.TextField(_("问题与建议"), blank=True)

    objects = AnnualReportQuerySet.as_manager()

    review_url_prefix = "reports:report"
    review_events = {
        ReviewAction.SUBMIT: events.SUBMITTED,
        ReviewAction.RESUBMIT: events.RESUBMITTED,
        ReviewAction.RETURN: events.RETURNED,
        ReviewAction.ACCEPT: events.ACCEPTED,
        ReviewAction.REVISE: events.REVISED,
    }

    class Meta:
        verbose_name = _("年度报告")
        verbose_name_plural = _("年度报告")
        ordering = ["year", "unit__name", "revision"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "year", "revision"],
                name="annualreport_unit_year_revision_unique",
                violation_error_message=_("该单位该年度的这一修订版已存在。"),
            ),
            models.UniqueConstraint(
                fields=["unit", "year"],
                condition=Q(is_current=True),
                name="annualreport_one_current_per_unit_year",
                violation_error_message=_("该单位该年度已有年度报告；已通过的报告只能发起更正（新修订版）。"),
            ),
            models.CheckConstraint(
                condition=Q(sme_received__isnull=True) | Q(sme_amount__isnull=True) | Q(sme_received__lte=F("sme_amount")),
                name="annualreport_sme_received_le_amount",
                violation_error_message=_("向中小企业转化：到账金额不能超过合同金额。"),
            ),
            models.CheckConstraint(
                condition=Q(service_received__isnull=True)
                | Q(service_amount__isnull=True)
                | Q(service_received__lte=F("service_amount")),
                name="annualreport_service_received_le_amount",
                violation_error_message=_("技术开发、咨询、服务：到账金额不能超过合同金额。"),
            ),
        ]
        indexes = [models.Index(fields=["year", "status"], name="annualreport_year_status_idx")]

    def __str__(self) -> str:
        return str(_("%(unit)s %(year)s年度报告") % {"unit": self.unit.name, "year": self.year})

    def get_absolute_url(self):
        return reverse("reports:report_detail", kwargs={"pk": self.pk})

    # --- what the review workflow asks -----------------------------------------------------------

    def review_family(self) -> dict:
        return {"unit_id": self.unit_id, "year": self.year}

    def review_fields(self):
        rows = [
            (f"reported.{part}.{figure}", figures.key_label(part, figure))
            for part in figures.PARTS
            for figure in figures.FIGURES
        ]
        rows.append(("explanations", _("差异说明")))
        rows.extend((name, self._meta.get_field(name).verbose_name) for name in SECTION_FIELDS)
        return rows

    def review_notice_context(self) -> dict:
        return {"unit": self.unit.name, "year": self.year, "revision": self.revision}

    def check_submission(self) -> None:
        errors = checks.submission_errors(self)
        if errors:
            raise ValidationError(errors)

    def clean(self):
        errors = checks.shape_errors(self)
        if errors:
            raise ValidationError(errors)

    def review_value(self, key: str):
        if key == "explanations":
            return "; ".join(f"{k}: {v}" for k, v in sorted((self.explanations or {}).items())) or None
        return super().review_value(key)

"""The pilot-test bases (中试基地): register, status history, funds, yearly performance figures,
the evaluation rubric (data, versioned per year), the evaluations and the pilot-test requests.

Invariants are database constraints with readable messages; ``clean()`` adds what a constraint
cannot say (dates in range, local enterprises not more than all). Writes go through
``pilots.services``.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import History, SyntheticMixin, TimeStampedModel, VersionedMixin
from core.validators import EARLIEST_RECORD_DATE, LIAONING_CITIES, validate_record_date
from reviews.choices import ReviewAction
from reviews.models import ReviewedDocument

from . import policies
from .choices import BaseStatus, Grade, IndicatorGroup, Outcome, RequestStatus, Source

EARLIEST_YEAR = EARLIEST_RECORD_DATE.year
# Above these a base's figure needs an explicit confirmation (services.base_create / base_update).
LARGE_SITE_AREA_M2 = 1_000_000
LARGE_STAFF_COUNT = 10_000


def validate_year(value) -> None:
    """A year of a record: 1985 to the current year (docs/metrics.md, "Dates everywhere")."""
    last = timezone.localdate().year
    if value is not None and not (EARLIEST_YEAR <= value <= last):
        raise ValidationError(
            _("年份应在%(first)s年至%(last)s年之间。"), params={"first": EARLIEST_YEAR, "last": last}
        )


def year_field(verbose_name):
    return models.PositiveSmallIntegerField(verbose_name, validators=[validate_year])


def non_negative(name: str, field: str, message) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(**{f"{field}__gte": 0}),
        name=f"{name}_{field}_non_negative",
        violation_error_message=message,
    )


class PilotService(TimeStampedModel):
    """A kind of service a base offers (managed list: pilot test, process verification, ...)."""

    code = models.SlugField(_("服务代码"), max_length=30, unique=True)
    name = models.CharField(_("服务名称"), max_length=60)
    name_en = models.CharField(_("英文名称"), max_length=100, blank=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=100)
    is_active = models.BooleanField(_("启用"), default=True)

    history = History()

    class Meta:
        verbose_name = _("中试服务类型")
        verbose_name_plural = _("中试服务类型")
        ordering = ["order", "code"]

    def __str__(self):
        return self.name


class PilotBaseQuerySet(models.QuerySet):
    def for_user(self, user):
        """The register is public to every signed-in user (shared capacity of the province):
        ``policies.can_read_register``, the rule the pages, the API and the exports share."""
        if not policies.can_read_register(user):  # the system (``None``) reads it like staff
            return self.none()
        return self


class PilotBase(TimeStampedModel, SyntheticMixin, VersionedMixin):
    """A provincial pilot-test base (省级中试基地)."""

    code = models.CharField(
        _("基地编号"),
        max_length=20,
        unique=True,
        validators=[
            RegexValidator(r"^[A-Z0-9][A-Z0-9-]{2,19}$", _("基地编号应为3至20位大写字母、数字或连字符。"))
        ],
    )
    name = models.CharField(_("基地名称"), max_length=200)
    operator = models.ForeignKey(
        "achievements.Unit",
        on_delete=models.PROTECT,
        related_name="pilot_bases",
        verbose_name=_("运营单位"),
    )
    city = models.CharField(
        _("所在城市"), max_length=6, choices=sorted(LIAONING_CITIES.items()), db_index=True
    )
    clusters = models.ManyToManyField(
        "achievements.Cluster", related_name="pilot_bases", verbose_name=_("服务产业集群"), blank=True
    )
    services = models.ManyToManyField(
        PilotService, related_name="bases", verbose_name=_("服务内容"), blank=True
    )
    designated_year = year_field(_("认定年份"))
    status = models.CharField(_("状态"), max_length=20, choices=BaseStatus.choices, default=BaseStatus.ACTIVE)
    site_area_m2 = models.DecimalField(
        _("场地面积（平方米）"), max_digits=12, decimal_places=2, validators=[MinValueValidator(0)]
    )
    equipment_count = models.PositiveIntegerField(_("仪器设备（台套）"))
    staff_count = models.PositiveIntegerField(_("专职服务人员（人）"))
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    contact_email = models.EmailField(_("联系邮箱"), blank=True)

    objects = PilotBaseQuerySet.as_manager()
    history = History()  # clusters and services: listed on the page (the history shows fields)

    class Meta:
        verbose_name = _("中试基地")
        verbose_name_plural = _("中试基地")
        ordering = ["code"]
        constraints = [
            non_negative("pilotbase", "site_area_m2", _("场地面积不能为负数。")),
            models.CheckConstraint(
                condition=Q(status__in=BaseStatus.values),
                name="pilotbase_status_valid",
                violation_error_message=_("基地状态无效。"),
            ),
            models.CheckConstraint(
                condition=Q(designated_year__gte=EARLIEST_YEAR),
                name="pilotbase_designated_after_1985",
                violation_error_message=_("认定年份不能早于1985年。"),
            ),
        ]

    def __str__(self):
        return f"{self.code} {self.name}"

    history_label_fields = ("code", "name")

    def history_label(self) -> str:
        return str(self)

    def get_absolute_url(self):
        return reverse("pilots:base_detail", args=[self.pk])


class BaseStatusChange(models.Model):
    """One change of a base's status, with the day it takes effect (the statistics read the status
    on 31 December of a year from these rows)."""

    base = models.ForeignKey(
        PilotBase, on_delete=models.CASCADE, related_name="status_changes", verbose_name=_("基地")
    )
    status = models.CharField(_("状态"), max_length=20, choices=BaseStatus.choices)
    effective_on = models.DateField(_("生效日期"))
    reason = models.CharField(_("原因"), max_length=500)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("记录人"),
    )
    recorded_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("基地状态变更")
        verbose_name_plural = _("基地状态变更")
        ordering = ["base", "effective_on", "pk"]

    def __str__(self):
        return f"{self.base.code} {self.get_status_display()} {self.effective_on}"

    def clean(self):
        try:
            validate_record_date(self.effective_on, self._meta.get_field("effective_on").verbose_name)
        except ValidationError as exc:
            raise ValidationError({"effective_on": exc.messages}) from exc


class BaseFund(TimeStampedModel, SyntheticMixin):
    """Provincial funds a base received in one year (yuan)."""

    base = models.ForeignKey(
        PilotBase, on_delete=models.PROTECT, related_name="funds", verbose_name=_("基地")
    )
    year = year_field(_("年度"))
    amount = models.DecimalField(
        _("省级资金（元）"), max_digits=14, decimal_places=2, validators=[MinValueValidator(0)]
    )
    note = models.CharField(_("说明"), max_length=200, blank=True)

    history = History()

    class Meta:
        verbose_name = _("省级资金")
        verbose_name_plural = _("省级资金")
        ordering = ["base", "year"]
        constraints = [
            models.UniqueConstraint(
                fields=["base", "year"],
                name="basefund_one_per_year",
                violation_error_message=_("该基地本年度的资金已登记，请修改原记录。"),
            ),
            non_negative("basefund", "amount", _("资金金额不能为负数。")),
        ]

    def __str__(self):
        return f"{self.base.code} {self.year}: {self.amount}"


class PerformanceFigures(models.Model):
    """The figures of a yearly performance report (绩效报告), filed by the base's operator."""

    pilot_tests = models.PositiveIntegerField(_("完成中试（项）"))
    achievements_tested = models.PositiveIntegerField(_("中试成果（项）"))
    enterprises_served = models.PositiveIntegerField(_("服务企业（家）"))
    enterprises_local = models.PositiveIntegerField(_("其中省内企业（家）"))
    revenue = models.DecimalField(
        _("服务收入（元）"), max_digits=14, decimal_places=2, validators=[MinValueValidator(0)]
    )
    equipment_utilisation = models.DecimalField(
        _("设备利用率（%）"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    staff_year_end = models.PositiveIntegerField(_("年末专职人员（人）"))

    FIGURE_FIELDS = (
        "pilot_tests",
        "achievements_tested",
        "enterprises_served",
        "enterprises_local",
        "revenue",
        "equipment_utilisation",
        "staff_year_end",
    )

    class Meta:
        abstract = True

    def clean_figures(self, errors: dict) -> None:
        if (
            self.enterprises_local is not None
            and self.enterprises_served is not None
            and self.enterprises_local > self.enterprises_served
        ):
            errors["enterprises_local"] = _("省内企业数不能大于服务企业总数。")


class PerformanceReport(ReviewedDocument, SyntheticMixin, PerformanceFigures):
    """A base's performance report for one year, filed by the base's operating unit and reviewed
    by staff through the shared review workflow (``reviews``: draft → submitted → returned /
    accepted, corrections as new revisions; one row per revision). It holds the figures and the
    registry achievements it pilot-tested (those that are in the registry)."""

    base = models.ForeignKey(
        PilotBase, on_delete=models.PROTECT, related_name="reports", verbose_name=_("基地")
    )
    year = year_field(_("年度"))
    achievements = models.ManyToManyField(
        "achievements.Achievement", related_name="pilot_reports", blank=True, verbose_name=_("库中的中试成果")
    )

    # No simple-history here: the review log (``reviews.ReviewLog``) and the revisions are its history.
    review_url_prefix = "pilots:report"
    review_events = {
        ReviewAction.SUBMIT: "pilot_report_submitted",
        ReviewAction.RESUBMIT: "pilot_report_resubmitted",
        ReviewAction.RETURN: "pilot_report_returned",
        ReviewAction.ACCEPT: "pilot_report_accepted",
        ReviewAction.REVISE: "pilot_report_revised",
    }

    class Meta:
        verbose_name = _("绩效报告")
        verbose_name_plural = _("绩效报告")
        ordering = ["-year", "base", "revision"]
        constraints = [
            models.UniqueConstraint(
                fields=["base", "year", "revision"],
                name="performancereport_revision_unique",
                violation_error_message=_("该基地该年度的这一修订版已存在。"),
            ),
            models.UniqueConstraint(
                fields=["base", "year"],
                condition=Q(is_current=True),
                name="performancereport_one_current",
                violation_error_message=_("该基地本年度已有绩效报告；已通过的报告只能发起更正（新修订版）。"),
            ),
            models.CheckConstraint(
                condition=Q(enterprises_local__lte=F("enterprises_served")),
                name="performancereport_local_lte_served",
                violation_error_message=_("省内企业数不能大于服务企业总数。"),
            ),
            non_negative("performancereport", "revenue", _("服务收入不能为负数。")),
        ]

    def __str__(self):
        return _("%(base)s %(year)s年度绩效报告（第%(revision)s版）") % {
            "base": self.base.name,
            "year": self.year,
            "revision": self.revision,
        }

    def get_absolute_url(self):
        return reverse("pilots:report_detail", args=[self.pk])

    @property
    def review_owner_unit_id(self):
        return self.base.operator_id

    def review_fields(self):
        return [(name, self._meta.get_field(name).verbose_name) for name in self.FIGURE_FIELDS]

    def review_family(self) -> dict:
        return {"base_id": self.base_id, "year": self.year}

    def review_notice_context(self) -> dict:
        return {"base": self.base.name, "year": self.year, "revision": self.revision}

    def check_submission(self) -> None:
        errors = {}
        self.clean_figures(errors)
        if errors:
            raise ValidationError(errors)

    def clean(self):
        errors = {}
        self.clean_figures(errors)
        if errors:
            raise ValidationError(errors)


class BaseRating(TimeStampedModel, SyntheticMixin):
    """The department's own assessment of a base for a year: management and reputation (0–100)."""

    base = models.ForeignKey(
        PilotBase, on_delete=models.CASCADE, related_name="ratings", verbose_name=_("基地")
    )
    year = year_field(_("年度"))
    management = models.DecimalField(
        _("运行管理评分"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    reputation = models.DecimalField(
        _("社会声誉评分"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    note = models.CharField(_("说明"), max_length=500, blank=True)

    history = History()

    class Meta:
        verbose_name = _("厅评定")
        verbose_name_plural = _("厅评定")
        constraints = [
            models.UniqueConstraint(
                fields=["base", "year"],
                name="baserating_one_per_year",
                violation_error_message=_("该基地本年度已有评定。"),
            ),
        ]

    def __str__(self):
        return f"{self.base.code} {self.year}"


# --- the rubric (data, versioned per year) ---------------------------------------------------------


class Rubric(TimeStampedModel, VersionedMixin):
    """The scoring scheme of one evaluation year: indicators with weights, each with a range table."""

    year = models.PositiveSmallIntegerField(_("评价年度"), unique=True, validators=[validate_year])
    title = models.CharField(_("名称"), max_length=200)
    reference = models.CharField(_("依据"), max_length=200, blank=True)
    top_share = models.DecimalField(
        _("优秀比例上限"),
        max_digits=4,
        decimal_places=3,
        default="0.300",
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text=_("得分≥优秀线且排名在前此比例内的基地评为优秀（如 0.300 即前30%）"),
    )
    excellent_min = models.DecimalField(_("优秀线"), max_digits=5, decimal_places=2, default=90)
    good_min = models.DecimalField(_("良好线"), max_digits=5, decimal_places=2, default=70)
    pass_min = models.DecimalField(_("合格线"), max_digits=5, decimal_places=2, default=60)

    history = History()

    class Meta:
        verbose_name = _("评价方案")
        verbose_name_plural = _("评价方案")
        ordering = ["-year"]
        constraints = [
            models.CheckConstraint(
                condition=Q(excellent_min__gte=F("good_min"), good_min__gte=F("pass_min"), pass_min__gte=0),
                name="rubric_bands_ordered",
                violation_error_message=_("等级分数线应满足：优秀线 ≥ 良好线 ≥ 合格线 ≥ 0。"),
            ),
        ]

    def __str__(self):
        return f"{self.year} {self.title}"

    def get_absolute_url(self):
        return reverse("pilots:rubric_detail", args=[self.pk])


class RubricIndicator(models.Model):
    rubric = models.ForeignKey(
        Rubric, on_delete=models.CASCADE, related_name="indicators", verbose_name=_("评价方案")
    )
    code = models.SlugField(_("指标代码"), max_length=40)
    name = models.CharField(_("指标名称"), max_length=100)
    group = models.CharField(_("一级指标"), max_length=20, choices=IndicatorGroup.choices)
    source = models.CharField(_("取值"), max_length=40, choices=Source.choices)
    weight = models.DecimalField(_("分值"), max_digits=5, decimal_places=2, validators=[MinValueValidator(0)])
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("评价指标")
        verbose_name_plural = _("评价指标")
        ordering = ["rubric", "order", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["rubric", "code"],
                name="rubricindicator_code_unique",
                violation_error_message=_("同一方案中指标代码不能重复。"),
            ),
            non_negative("rubricindicator", "weight", _("分值不能为负数。")),
        ]

    def __str__(self):
        return self.name


class RubricBand(models.Model):
    """One row of an indicator's range table: a value from ``lower`` (inclusive) up to the next
    row's ``lower`` earns ``points``; a value below the first row earns 0."""

    indicator = models.ForeignKey(
        RubricIndicator, on_delete=models.CASCADE, related_name="bands", verbose_name=_("指标")
    )
    lower = models.DecimalField(_("下限（含）"), max_digits=16, decimal_places=4)
    points = models.DecimalField(_("得分"), max_digits=5, decimal_places=2, validators=[MinValueValidator(0)])

    class Meta:
        verbose_name = _("分档")
        verbose_name_plural = _("分档")
        ordering = ["indicator", "lower"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "lower"],
                name="rubricband_lower_unique",
                violation_error_message=_("同一指标的分档下限不能重复。"),
            ),
            non_negative("rubricband", "points", _("得分不能为负数。")),
        ]

    def __str__(self):
        return f"≥ {self.lower}: {self.points}"


class BaseEvaluation(TimeStampedModel):
    """A base's score and grade for a year, with the calculation line by line (``lines``)."""

    base = models.ForeignKey(
        PilotBase, on_delete=models.CASCADE, related_name="evaluations", verbose_name=_("基地")
    )
    year = year_field(_("年度"))
    rubric = models.ForeignKey(
        Rubric, on_delete=models.PROTECT, related_name="evaluations", verbose_name=_("评价方案")
    )
    score = models.DecimalField(_("得分"), max_digits=6, decimal_places=2)
    rank = models.PositiveIntegerField(_("排名"))
    grade = models.CharField(_("等级"), max_length=20, choices=Grade.choices)
    lines = models.JSONField(_("计算过程"), default=list)

    class Meta:
        verbose_name = _("年度评价")
        verbose_name_plural = _("年度评价")
        ordering = ["-year", "rank"]
        constraints = [
            models.UniqueConstraint(
                fields=["base", "year"],
                name="baseevaluation_one_per_year",
                violation_error_message=_("该基地本年度已有评价。"),
            ),
        ]

    def __str__(self):
        return f"{self.base.code} {self.year} {self.get_grade_display()}"

    def get_absolute_url(self):
        return reverse("pilots:evaluation_detail", args=[self.pk])


# --- pilot-test requests ---------------------------------------------------------------------------


class PilotRequestQuerySet(models.QuerySet):
    def for_user(self, user):
        """Staff (and the system) see every request; a unit user the requests for their unit's
        achievements and the requests sent to the bases their unit operates (``pilots.policies``)."""
        if policies.can_read_all_requests(user):
            return self
        unit_id = policies.reader_unit(user)
        if unit_id is None:
            return self.none()
        return self.filter(Q(achievement__unit_id=unit_id) | Q(base__operator_id=unit_id))


class PilotRequest(TimeStampedModel, SyntheticMixin, VersionedMixin):
    """A request for a pilot test of an achievement, sent to one base."""

    achievement = models.ForeignKey(
        "achievements.Achievement",
        on_delete=models.PROTECT,
        related_name="pilot_requests",
        verbose_name=_("科技成果"),
    )
    service = models.ForeignKey(
        PilotService, on_delete=models.PROTECT, related_name="+", verbose_name=_("所需服务")
    )
    enterprise = models.CharField(
        _("代为申请的企业"), max_length=200, blank=True, help_text=_("厅工作人员代企业申请时填写")
    )
    description = models.TextField(_("中试需求"), max_length=2000)
    base = models.ForeignKey(
        PilotBase,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="requests",
        verbose_name=_("中试基地"),
    )
    status = models.CharField(
        _("状态"), max_length=20, choices=RequestStatus.choices, default=RequestStatus.SUBMITTED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("申请人"),
    )
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    decline_reason = models.CharField(_("拒绝原因"), max_length=500, blank=True)
    started_on = models.DateField(_("开始日期"), null=True, blank=True)
    completed_on = models.DateField(_("完成日期"), null=True, blank=True)
    outcome = models.CharField(_("中试结果"), max_length=20, choices=Outcome.choices, blank=True)
    outcome_note = models.TextField(_("结果说明"), max_length=2000, blank=True)
    trl_before = models.PositiveSmallIntegerField(_("中试前技术成熟度"), null=True, blank=True)
    trl_after = models.PositiveSmallIntegerField(
        _("中试后技术成熟度"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(9)]
    )

    objects = PilotRequestQuerySet.as_manager()
    history = History()

    class Meta:
        verbose_name = _("中试申请")
        verbose_name_plural = _("中试申请")
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The staff queue (selectors.open_requests): open statuses, the longest waiting first.
            models.Index(fields=["status", "submitted_at"], name="pilotrequest_queue_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(completed_on__isnull=True)
                | Q(started_on__isnull=False, completed_on__gte=F("started_on")),
                name="pilotrequest_completed_after_started",
                violation_error_message=_("完成日期不能早于开始日期。"),
            ),
        ]

    def __str__(self):
        return _("中试申请 %(pk)s") % {"pk": self.pk}

    def get_absolute_url(self):
        return reverse("pilots:request_detail", args=[self.pk])

    def clean(self):
        errors = {}
        for name in ("started_on", "completed_on"):
            try:
                validate_record_date(getattr(self, name), self._meta.get_field(name).verbose_name)
            except ValidationError as exc:
                errors[name] = exc.messages
        if (
            self.started_on
            and self.completed_on
            and self.completed_on < self.started_on
            and "completed_on" not in errors
        ):
            errors["completed_on"] = _("完成日期不能早于开始日期。")
        if errors:
            raise ValidationError(errors)

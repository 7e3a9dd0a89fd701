"""The registry's core records: units, clusters, achievements, transferees and contracts.

Invariants are database constraints with readable messages; ``clean()`` adds the checks a
constraint cannot express (check characters, cross-record rules). Writes go through
``achievements.services``.
"""

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from core.models import DatabaseTomorrow, History, SyntheticMixin, TimeStampedModel, VersionedMixin
from core.validators import (
    EARLIEST_RECORD_DATE,
    LIAONING_PREFIX,
    city_code,
    normalize_credit_code,
    normalize_patent_no,
    validate_credit_code,
    validate_patent_no,
    validate_record_date,
    validate_region_code,
)

from . import lookups
from .choices import (
    PATENT_IP_TYPES,
    TRL_CHOICES,
    AchievementStatus,
    IndustrialBase,
    IPType,
    TransformationMode,
    TransformationStatus,
    UnitType,
)

lookups.register()  # ``trgm_icontains`` for the search (achievements.selectors)

EARLIEST_IP_GRANT = datetime.date(1985, 4, 1)  # the Patent Law came into force on 1 April 1985


def record_date_constraint(model: str, field: str, message, *, required: bool) -> models.CheckConstraint:
    """The rule "Dates everywhere" (docs/metrics.md) as a database constraint: ``field`` from
    1985-01-01 to today (the upper bound allows the next UTC day, see ``DatabaseTomorrow``).
    ``clean_record_dates`` says the same to people, naming the field."""
    in_range = Q(**{f"{field}__gte": EARLIEST_RECORD_DATE, f"{field}__lte": DatabaseTomorrow()})
    return models.CheckConstraint(
        condition=in_range if required else Q(**{f"{field}__isnull": True}) | in_range,
        name=f"{model}_{field}_1985_to_today",
        violation_error_message=message,
    )


def clean_record_dates(instance, errors: dict, *fields: str) -> None:
    """Add a message naming the field for each of ``fields`` outside 1985-01-01 … today."""
    for name in fields:
        if name in errors:
            continue
        try:
            validate_record_date(getattr(instance, name), instance._meta.get_field(name).verbose_name)
        except ValidationError as exc:
            errors[name] = exc.messages


class Unit(TimeStampedModel, SyntheticMixin):
    """A university, research institute or other unit that owns achievements (完成单位)."""

    code = models.CharField(
        _("统一社会信用代码"), max_length=18, unique=True, validators=[validate_credit_code]
    )
    name = models.CharField(_("单位名称"), max_length=200)
    type = models.CharField(_("单位类型"), max_length=20, choices=UnitType.choices, db_index=True)
    region = models.CharField(
        _("所在地区代码"), max_length=6, validators=[validate_region_code], db_index=True
    )

    history = History()

    class Meta:
        verbose_name = _("单位")
        verbose_name_plural = _("单位")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(type__in=UnitType.values),
                name="unit_type_valid",
                violation_error_message=_("单位类型无效。"),
            ),
        ]
        # Lists sorted by unit (contracts, achievements): the database walks the units in name
        # order and each unit's rows through its own index, sorting one unit's keys at a time.
        indexes = [models.Index(fields=["name", "id"], name="unit_name_idx")]

    def __str__(self):
        return self.name

    def clean(self):
        self.code = normalize_credit_code(self.code)

    @property
    def city(self) -> str:
        return city_code(self.region)


class Cluster(TimeStampedModel):
    """A key industrial cluster (重点产业集群): managed data, seeded from the working list."""

    code = models.CharField(
        _("集群代码"),
        max_length=10,
        unique=True,
        validators=[RegexValidator(r"^[A-Z]\d{2}$", _("集群代码应为1个大写字母加2位数字，例如 A01。"))],
    )
    name = models.CharField(_("集群名称"), max_length=100)
    name_en = models.CharField(_("英文名称"), max_length=100, blank=True)
    base = models.CharField(_("产业基地"), max_length=20, choices=IndustrialBase.choices)
    is_active = models.BooleanField(_("启用"), default=True)

    history = History()

    class Meta:
        verbose_name = _("产业集群")
        verbose_name_plural = _("产业集群")
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} {self.display_name}"

    @property
    def display_name(self) -> str:
        """The name in the active language: the English name when English is active and one is known."""
        if self.name_en and (get_language() or "").startswith("en"):
            return self.name_en
        return self.name


class AchievementQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status=AchievementStatus.ACTIVE)

    def for_user(self, user):
        """What a user may see: staff see everything, a unit user only their unit."""
        if user.is_staff:
            return self
        if getattr(user, "unit_id", None):
            return self.filter(unit_id=user.unit_id)
        return self.none()


class Achievement(TimeStampedModel, SyntheticMixin, VersionedMixin):
    """A scientific and technological achievement (科技成果)."""

    unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        related_name="achievements",
        verbose_name=_("完成单位"),
        db_index=False,  # achievement_ref_unique_per_unit and achievement_unit_reg_idx start with it
    )
    ref = models.CharField(_("成果编号"), max_length=64)
    title = models.CharField(_("成果名称"), max_length=200)
    keywords = models.CharField(_("关键词"), max_length=200, blank=True, help_text=_("以逗号或空格分隔"))
    ip_type = models.CharField(_("知识产权类型"), max_length=20, choices=IPType.choices)
    patent_no = models.CharField(_("专利号"), max_length=20, blank=True, db_index=True)
    trl = models.PositiveSmallIntegerField(
        _("技术成熟度"),
        choices=TRL_CHOICES,
        validators=[MinValueValidator(1), MaxValueValidator(9)],
    )
    cluster = models.ForeignKey(
        Cluster,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="achievements",
        verbose_name=_("产业集群"),
    )
    funded = models.BooleanField(_("财政资助"), default=False)
    convertible = models.BooleanField(_("可转化"), default=False, db_index=True)
    # Indexed by achievement_stock_idx (registered_on, withdrawn_on), which starts with it.
    registered_on = models.DateField(_("登记日期"))
    ip_granted_on = models.DateField(_("授权日期"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=20, choices=AchievementStatus.choices, default=AchievementStatus.ACTIVE
    )
    withdrawn_on = models.DateField(_("撤回日期"), null=True, blank=True)
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_duplicates",
        verbose_name=_("合并至"),
        help_text=_("作为重复记录合并后保留的成果"),
    )

    objects = AchievementQuerySet.as_manager()
    history = History()

    class Meta:
        verbose_name = _("科技成果")
        verbose_name_plural = _("科技成果")
        ordering = ["-registered_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "ref"],
                name="achievement_ref_unique_per_unit",
                violation_error_message=_("本单位已有相同成果编号的成果。"),
            ),
            models.CheckConstraint(
                condition=Q(trl__gte=1, trl__lte=9),
                name="achievement_trl_1_9",
                violation_error_message=_("技术成熟度应为1至9的整数。"),
            ),
            models.CheckConstraint(
                condition=Q(status=AchievementStatus.ACTIVE, withdrawn_on__isnull=True)
                | Q(status=AchievementStatus.WITHDRAWN, withdrawn_on__isnull=False),
                name="achievement_withdrawn_has_date",
                violation_error_message=_("已撤回的成果必须填写撤回日期，有效的成果不能有撤回日期。"),
            ),
            models.CheckConstraint(
                condition=Q(withdrawn_on__isnull=True) | Q(withdrawn_on__gte=F("registered_on")),
                name="achievement_withdrawn_after_registered",
                violation_error_message=_("撤回日期不能早于登记日期。"),
            ),
            models.CheckConstraint(
                condition=~Q(ip_type__in=PATENT_IP_TYPES) | ~Q(patent_no=""),
                name="achievement_patent_no_for_patents",
                violation_error_message=_("专利类成果必须填写专利号。"),
            ),
            models.CheckConstraint(
                condition=Q(ip_granted_on__isnull=True) | Q(ip_granted_on__gte=EARLIEST_IP_GRANT),
                name="achievement_ip_granted_after_1985",
                violation_error_message=_("授权日期不能早于1985年4月1日。"),
            ),
            record_date_constraint(
                "achievement", "registered_on", _("登记日期应在1985-01-01至今天之间。"), required=True
            ),
            record_date_constraint(
                "achievement", "ip_granted_on", _("授权日期应在1985-01-01至今天之间。"), required=False
            ),
            record_date_constraint(
                "achievement", "withdrawn_on", _("撤回日期应在1985-01-01至今天之间。"), required=False
            ),
        ]
        indexes = [
            models.Index(fields=["unit", "registered_on"], name="achievement_unit_reg_idx"),
            models.Index(fields=["status", "registered_on"], name="achievement_status_reg_idx"),
            # The year-end stock (selectors.stock_q) reads both dates: counted from the index alone.
            models.Index(fields=["registered_on", "withdrawn_on"], name="achievement_stock_idx"),
            # The contract list sorted by achievement (its title): PostgreSQL walks the achievements
            # in title order and reads each one's contracts by their key (migration 0015).
            models.Index(fields=["title", "id"], name="achievement_title_idx"),
        ]

    def __str__(self):
        return self.title

    # How another record's change history names an achievement (core.ui.history).
    history_label_fields = ("ref", "title")

    def history_label(self) -> str:
        return f"{self.ref} {self.title}"

    def get_absolute_url(self):
        return reverse("achievements:achievement_detail", args=[self.pk])

    # --- what the duplicate rule needs of the stored record (``patent_rule_applies``) -------------

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._remember_patent_facts()
        return instance

    def refresh_from_db(self, using=None, fields=None, from_queryset=None):
        super().refresh_from_db(using=using, fields=fields, from_queryset=from_queryset)
        self._remember_patent_facts(fields)

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        self._remember_patent_facts(kwargs.get("update_fields"))

    def _remember_patent_facts(self, names=None) -> None:
        """Keep the stored values of ``PATENT_RULE_FIELDS`` (all, or those among ``names``) as
        loaded or saved, so that ``clean()`` can tell whether an edit changes them."""
        if names is not None:
            names = set(names) | {f"{name}_id" for name in names}
        stored = self.__dict__.setdefault("_stored_patent_facts", {})
        for name in PATENT_RULE_FIELDS:
            if (names is None or name in names) and name in self.__dict__:
                stored[name] = self.__dict__[name]

    def _stored_patent_facts_or_none(self) -> dict | None:
        """The stored (patent number, status, unit) of this record, None for a new one."""
        if self._state.adding or self.pk is None:
            return None
        stored = dict(self.__dict__.get("_stored_patent_facts", {}))
        if stored.get("patent_no"):
            stored["patent_no"] = normalize_patent_no(stored["patent_no"])
        return stored

    def clean(self):
        if self.patent_no:
            self.patent_no = normalize_patent_no(self.patent_no)
        errors = achievement_rule_errors(
            ip_type=self.ip_type,
            patent_no=self.patent_no,
            status=self.status,
            registered_on=self.registered_on,
            withdrawn_on=self.withdrawn_on,
            ip_granted_on=self.ip_granted_on,
        )
        clean_record_dates(self, errors, "registered_on", "ip_granted_on", "withdrawn_on")
        if (
            "patent_no" not in errors
            and self.patent_no
            and self.unit_id
            and self.status == AchievementStatus.ACTIVE  # the rule's one query, only when it can apply
            and patent_rule_applies(
                old=self._stored_patent_facts_or_none(),
                new={name: getattr(self, name) for name in PATENT_RULE_FIELDS},
            )
        ):
            same_unit, _other_units = patent_clashes(
                pk=self.pk,
                unit_id=self.unit_id,
                patent_no=self.patent_no,
                status=self.status,
                holders=patent_holders([self.patent_no]),
            )
            if same_unit:
                errors["patent_no"] = duplicate_patent_error(same_unit[0])
        if errors:
            raise ValidationError(errors)


# --- duplicate patent numbers (docs/registry-pages.md, "Duplicates") ----------------------------

DUPLICATE_PATENT = "duplicate_patent"  # the code of the same-unit error (forms link the record)


@dataclass(frozen=True)
class PatentHolder:
    """An active achievement holding a patent number (what the duplicate rule needs of it)."""

    pk: int
    unit_id: int
    ref: str
    title: str

    @property
    def url(self) -> str:
        return reverse("achievements:achievement_detail", args=[self.pk])


def patent_holders(patent_nos) -> dict[str, list[PatentHolder]]:
    """The active achievements holding each of ``patent_nos`` (normalised numbers): one query per
    thousand numbers (the ``patent_no`` index)."""
    numbers = sorted({n for n in patent_nos if n})
    found: dict[str, list[PatentHolder]] = {}
    for start in range(0, len(numbers), 1000):
        rows = (
            Achievement.objects.filter(patent_no__in=numbers[start : start + 1000], status=AchievementStatus.ACTIVE)
            .order_by("pk")
            .values_list("patent_no", "pk", "unit_id", "ref", "title")
        )
        for number, *holder in rows:
            found.setdefault(number, []).append(PatentHolder(*holder))
    return found


# The fields whose change makes the duplicate rule apply to an existing record.
PATENT_RULE_FIELDS = ("patent_no", "status", "unit_id")


def patent_rule_applies(*, old: dict | None, new: dict) -> bool:
    """When the same-unit duplicate rule (``patent_clashes``) is asked of a record: when it is
    created (``old`` None), or when its patent number (normalised), its status (e.g. restored to
    active) or its unit changes — ``old`` and ``new`` map ``PATENT_RULE_FIELDS`` to the stored and
    the new values (a field ``old`` lacks counts as changed). An unrelated edit (a title, 可转化, any
    other field) of a record that already shares its number with another record of its unit — data
    from before the rule — is allowed: the pair stays on the merge page
    (docs/registry-pages.md, "Duplicates"). ``Achievement.clean()`` asks it with the values the
    record was loaded with; the import (``exchange.duplicates``) with the record's own holding."""
    if old is None:
        return True
    missing = object()
    return any(old.get(name, missing) != new[name] for name in PATENT_RULE_FIELDS)


def patent_clashes(
    *, pk, unit_id, patent_no: str, status: str, holders: dict
) -> tuple[list[PatentHolder], list[PatentHolder]]:
    """The one statement of the duplicate rule: (same unit, other units) — the other active
    achievements with the same patent number as an active achievement of ``unit_id``.

    The same number twice in one unit is refused (``Achievement.clean()``, so the pages, the API
    and the services; the import asks this function row by row with the holders of a chunk). In
    other units it is allowed — co-owned patents are registered by each owner — but the pages ask
    for confirmation and the API and the import report it as a warning. Withdrawn records (merged
    duplicates among them) do not count."""
    if not patent_no or status != AchievementStatus.ACTIVE:
        return [], []
    same, other = [], []
    for holder in holders.get(patent_no, ()):
        if pk is not None and holder.pk == pk:
            continue
        (same if holder.unit_id == unit_id else other).append(holder)
    return same, other


def duplicate_patent_error(holder: PatentHolder) -> ValidationError:
    return ValidationError(
        _("本单位已登记相同专利号的成果 %(ref)s“%(title)s”（%(url)s），不能重复登记；如确为重复，请在该成果页面合并。"),
        code=DUPLICATE_PATENT,
        params={"ref": holder.ref, "title": holder.title, "url": holder.url, "pk": holder.pk},
    )


def achievement_rule_errors(
    *, ip_type, patent_no, status, registered_on, withdrawn_on, ip_granted_on
) -> dict:
    """The rules across an achievement's fields, on plain values: {field: message or messages}.

    The one statement of these rules: ``Achievement.clean()`` (forms, API, services) and the import
    (``exchange.validation``, row by row without building instances) both ask it; the database
    constraints of ``Achievement.Meta`` hold the same invariants. ``patent_no`` is normalised.
    """
    errors = {}
    if ip_type in PATENT_IP_TYPES and not patent_no:
        errors["patent_no"] = _("专利类成果必须填写专利号。")
    elif patent_no:
        try:
            validate_patent_no(patent_no, ip_type)
        except ValidationError as exc:
            errors["patent_no"] = exc.messages
    if status == AchievementStatus.WITHDRAWN and not withdrawn_on:
        errors["withdrawn_on"] = _("已撤回的成果必须填写撤回日期。")
    if status == AchievementStatus.ACTIVE and withdrawn_on:
        errors["withdrawn_on"] = _("有效的成果不能有撤回日期。")
    if withdrawn_on and registered_on and withdrawn_on < registered_on:
        errors["withdrawn_on"] = _("撤回日期不能早于登记日期。")
    if ip_granted_on and ip_granted_on < EARLIEST_IP_GRANT:
        errors["ip_granted_on"] = _("授权日期不能早于1985年4月1日。")
    return errors


class Transferee(TimeStampedModel, SyntheticMixin):
    """The enterprise (or other body) that takes up an achievement (受让方)."""

    code = models.CharField(
        _("统一社会信用代码"), max_length=18, unique=True, validators=[validate_credit_code]
    )
    name = models.CharField(_("受让方名称"), max_length=200)
    region = models.CharField(_("地区代码"), max_length=6, validators=[validate_region_code], db_index=True)
    # Derived in the database from the region, so statistics can aggregate on it directly.
    is_local = models.GeneratedField(
        expression=models.Case(
            models.When(Q(region__startswith=LIAONING_PREFIX), then=models.Value(True)),
            default=models.Value(False),
        ),
        output_field=models.BooleanField(),
        db_persist=True,
        verbose_name=_("本地（辽宁）"),
    )

    history = History(excluded_fields=["is_local"])

    class Meta:
        verbose_name = _("受让方")
        verbose_name_plural = _("受让方")
        ordering = ["name"]
        indexes = [models.Index(fields=["name", "id"], name="transferee_name_idx")]  # as unit_name_idx

    def __str__(self):
        return self.name

    def clean(self):
        self.code = normalize_credit_code(self.code)


class TransformationQuerySet(models.QuerySet):
    def for_user(self, user):
        if user.is_staff:
            return self
        if getattr(user, "unit_id", None):
            return self.filter(unit_id=user.unit_id)
        return self.none()


class Transformation(TimeStampedModel, SyntheticMixin, VersionedMixin):
    """One transformation contract (转化合同) of an achievement."""

    unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        related_name="transformations",
        verbose_name=_("完成单位"),
        help_text=_("成果所属单位；合同编号在单位内唯一"),
        db_index=False,  # transformation_ref_unique_per_unit starts with it and serves the same lookups
    )
    achievement = models.ForeignKey(
        Achievement,
        on_delete=models.PROTECT,
        related_name="transformations",
        verbose_name=_("科技成果"),
        db_index=False,  # transformation_ach_status_idx starts with it and serves the same lookups
    )
    ref = models.CharField(_("合同编号"), max_length=64)
    mode = models.CharField(_("转化方式"), max_length=20, choices=TransformationMode.choices)
    transferee = models.ForeignKey(
        Transferee, on_delete=models.PROTECT, related_name="transformations", verbose_name=_("受让方")
    )
    signed_on = models.DateField(_("签订日期"), db_index=True)
    amount = models.DecimalField(
        _("合同金额（元）"), max_digits=16, decimal_places=2, validators=[MinValueValidator(0)]
    )
    received = models.DecimalField(
        _("到账金额（元）"),
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    status = models.CharField(
        _("状态"), max_length=20, choices=TransformationStatus.choices, default=TransformationStatus.EFFECTIVE
    )
    registration_no = models.CharField(
        _("技术合同登记号"),
        max_length=16,
        blank=True,
        validators=[RegexValidator(r"^\d{16}$", _("技术合同登记号应为16位数字。"))],
    )

    objects = TransformationQuerySet.as_manager()
    history = History()

    class Meta:
        verbose_name = _("转化合同")
        verbose_name_plural = _("转化合同")
        ordering = ["-signed_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "ref"],
                name="transformation_ref_unique_per_unit",
                violation_error_message=_("本单位已有相同合同编号的转化合同。"),
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=0),
                name="transformation_amount_non_negative",
                violation_error_message=_("合同金额不能为负数。"),
            ),
            models.CheckConstraint(
                condition=Q(received__isnull=True) | Q(received__gte=0),
                name="transformation_received_non_negative",
                violation_error_message=_("到账金额不能为负数。"),
            ),
            models.CheckConstraint(
                condition=Q(received__isnull=True) | Q(received__lte=F("amount")),
                name="transformation_received_lte_amount",
                violation_error_message=_("到账金额不能大于合同金额。"),
            ),
            record_date_constraint(
                "transformation", "signed_on", _("签订日期应在1985-01-01至今天之间。"), required=True
            ),
        ]
        indexes = [
            models.Index(fields=["status", "signed_on"], name="transformation_status_sign_idx"),
            # "Has an effective contract signed in / by Y" (achievements.selectors): one probe of this
            # index per achievement, without reading the table. Without it SQLite's planner probes
            # the (status, signed_on) index instead and scans a year of contracts per achievement.
            models.Index(fields=["achievement", "status", "signed_on"], name="transformation_ach_status_idx"),
            # The contract list sorted by amount (core.ui.tables: a column, then the key) reads this
            # index in order instead of sorting every contract; by unit or transferee through
            # unit_name_idx, transferee_name_idx and an index of the contracts that starts with the
            # key (transformation_ref_unique_per_unit, the transferee's own index) (migration 0012).
            models.Index(fields=["amount", "id"], name="transformation_amount_idx"),
            # ... and by status (0015): over 3,000,000 contracts that sort was the slowest list link
            # (0.46-0.52 s for a page).
            models.Index(fields=["status", "id"], name="transformation_status_idx"),
        ]

    def __str__(self):
        return f"{self.ref} {self.achievement}"

    def get_absolute_url(self):
        return reverse("achievements:transformation_detail", args=[self.pk])

    def clean(self):
        errors = {}
        if self.achievement_id and self.unit_id and self.achievement.unit_id != self.unit_id:
            errors["achievement"] = _("合同的完成单位必须是成果的所属单位。")
        errors.update(transformation_rule_errors(amount=self.amount, received=self.received))
        clean_record_dates(self, errors, "signed_on")
        if errors:
            raise ValidationError(errors)


def transformation_rule_errors(*, amount, received) -> dict:
    """The rules across a contract's fields, on plain values (see ``achievement_rule_errors``); the
    achievement's unit is the contract's by construction in the import (it is looked up by the
    contract's unit code), so that rule stays in ``Transformation.clean()``."""
    if received is not None and amount is not None and received > amount:
        return {"received": _("到账金额不能大于合同金额。")}
    return {}

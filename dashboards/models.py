"""The statistics snapshot: pre-aggregated cells, the pointer to the current version, dirty marks.

Written only by ``dashboards.engine``; read only by ``dashboards.selectors``.

A cell holds additive figures for one (version, grain, year, unit, cluster[, dim]) combination,
with the unit's type, region and city copied in so that every scope is one aggregate query over
the cells. A combination may have two rows (one with the stock figures, one with the contract
figures): every figure is summed, so that changes nothing.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from achievements.models import Cluster, Unit


class Grain(models.TextChoices):
    BASE = "base", _("单位×集群")
    MODE = "mode", _("单位×集群×转化方式")
    TRL = "trl", _("单位×集群×技术成熟度")
    IP_TYPE = "ip_type", _("单位×集群×知识产权类型")


class SnapshotState(models.Model):
    """The one row (pk=1) that says which snapshot version is current.

    ``version`` switches when a full recompute commits; ``revision`` increases on every committed
    change (full or incremental) and is what clients see as the ETag.
    """

    version = models.PositiveIntegerField(_("当前版本"), null=True, blank=True)
    revision = models.PositiveBigIntegerField(_("修订号"), default=0)
    computed_at = models.DateTimeField(_("计算时间"), null=True, blank=True)
    first_year = models.PositiveSmallIntegerField(_("起始年份"), null=True, blank=True)
    last_year = models.PositiveSmallIntegerField(_("截止年份"), null=True, blank=True)

    class Meta:
        verbose_name = _("统计快照状态")
        verbose_name_plural = _("统计快照状态")

    def __str__(self):
        return f"v{self.version} r{self.revision}"


class StatCell(models.Model):
    version = models.PositiveIntegerField(_("版本"))
    grain = models.CharField(_("粒度"), max_length=8, choices=Grain.choices)
    year = models.PositiveSmallIntegerField(_("年份"))
    unit = models.ForeignKey(
        Unit, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+", verbose_name=_("单位")
    )
    unit_type = models.CharField(_("单位类型"), max_length=20)
    region = models.CharField(_("所在地区代码"), max_length=6)
    city = models.CharField(_("所在城市代码"), max_length=6)
    cluster = models.ForeignKey(
        Cluster,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        related_name="+",
        verbose_name=_("产业集群"),
    )
    dim = models.CharField(_("维度取值"), max_length=20, default="")
    achievements = models.IntegerField(default=0)
    convertible = models.IntegerField(default=0)
    transformed_by = models.IntegerField(default=0)
    transformed = models.IntegerField(default=0)
    contracts = models.IntegerField(default=0)
    local_contracts = models.IntegerField(default=0)
    amount = models.DecimalField(max_digits=20, decimal_places=2, default=0)
    received = models.DecimalField(max_digits=20, decimal_places=2, default=0)
    local_amount = models.DecimalField(max_digits=20, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("统计快照单元")
        verbose_name_plural = _("统计快照单元")
        indexes = [
            models.Index(fields=["version", "grain", "year"], name="statcell_version_grain_year"),
            models.Index(fields=["version", "unit", "year"], name="statcell_version_unit_year"),
        ]

    def __str__(self):
        return f"v{self.version} {self.grain} {self.year} unit={self.unit_id} cluster={self.cluster_id} {self.dim}"


class DirtyCell(models.Model):
    """A (unit, year) whose figures changed and wait for the incremental recompute.

    ``year`` empty means every year. Rows are deleted by the run that recomputed them, so the
    pending work survives a broker outage or a killed worker.
    """

    unit_id = models.BigIntegerField(_("单位"))
    year = models.PositiveSmallIntegerField(_("年份"), null=True, blank=True)
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("待重算记录")
        verbose_name_plural = _("待重算记录")

    def __str__(self):
        return f"unit={self.unit_id} year={self.year or '*'}"


class RecomputeSchedule(models.Model):
    """The one row (pk=1) that says an incremental run is already queued (coalesces bursts)."""

    scheduled_until = models.DateTimeField(_("已排队至"), null=True, blank=True)

    class Meta:
        verbose_name = _("统计重算排队")
        verbose_name_plural = _("统计重算排队")

    def __str__(self):
        return f"scheduled until {self.scheduled_until}"


class StatFailure(models.Model):
    """A unit whose figures the last recompute could not build (one row per unit).

    Written by ``dashboards.engine`` when a unit's build fails: the other units' figures are
    committed, this unit keeps its previous figures and its dirty rows (so every later run, the
    minute sweep included, tries it again), and the row says why. Deleted by the run that builds
    the unit. Read by ``/healthz/`` and the dashboard (as stale figures).
    """

    unit_id = models.BigIntegerField(_("单位"), unique=True)
    error = models.TextField(_("错误"))
    failed_at = models.DateTimeField(_("最近失败时间"))
    attempts = models.PositiveIntegerField(_("失败次数"), default=1)

    class Meta:
        verbose_name = _("统计计算失败")
        verbose_name_plural = _("统计计算失败")

    def __str__(self):
        return f"unit={self.unit_id} x{self.attempts}: {self.error[:60]}"

"""Writing a validated ``Plan`` to the registry: batched bulk writes with history entries.

Called by ``exchange.services.import_apply`` inside its transaction. The row rules were checked by
the validator and the database constraints hold the invariants, so the writer does not call
``full_clean`` per record (that would cost a query or more per row). Each created or changed record
gets one history entry with the acting user and the reason.
"""

from __future__ import annotations

from collections.abc import Callable

from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from achievements.models import Achievement, Transferee, Transformation, Unit

from . import format as fmt
from .validation import Plan

BATCH = 1000

U = fmt.UNITS.index
A = fmt.ACHIEVEMENTS.index
T = fmt.TRANSFORMATIONS.index

ACHIEVEMENT_COLUMNS = (
    "title",
    "ip_type",
    "patent_no",
    "trl",
    "funded",
    "registered_on",
    "ip_granted_on",
    "convertible",
    "status",
    "withdrawn_on",
)
TRANSFORMATION_COLUMNS = ("mode", "signed_on", "amount", "received", "status")


def _batches(items: list, size: int = BATCH):
    for start in range(0, len(items), size):
        yield items[start : start + size]


class Writer:
    def __init__(
        self, plan: Plan, *, acting_user, reason: str, progress: Callable[[float], None] | None = None
    ):
        self.plan = plan
        self.user = acting_user
        self.reason = reason
        self.progress = progress
        self.total = max(plan.write_count, 1)
        self.done = 0
        self.now = timezone.now()

    def _step(self, n: int) -> None:
        self.done += n
        if self.progress:
            self.progress(min(self.done / self.total, 1.0))

    def _create(self, model, objs: list) -> list:
        created = bulk_create_with_history(
            objs, model, batch_size=BATCH, default_user=self.user, default_change_reason=self.reason
        )
        self._step(len(objs))
        return created

    def _update(self, model, ids_values: list, apply: Callable, fields: list[str]) -> None:
        """Load the records (history copies every field), apply the row, bulk update."""
        for batch in _batches(ids_values):
            records = model.objects.in_bulk([pk for pk, _v in batch])
            objs = []
            for pk, values in batch:
                obj = records[pk]
                apply(obj, values)
                obj.updated_at = self.now
                objs.append(obj)
            bulk_update_with_history(
                objs,
                model,
                fields=[*fields, "updated_at"],
                batch_size=BATCH,
                default_user=self.user,
                default_change_reason=self.reason,
            )
            self._step(len(objs))

    def run(self) -> None:
        plan = self.plan
        unit_ids = plan.unit_ids

        # Units.
        for batch in _batches(plan.units_create):
            objs = [
                Unit(code=v[U["code"]], name=v[U["name"]], type=v[U["type"]], region=v[U["region"]])
                for v in batch
            ]
            for obj in self._create(Unit, objs):
                unit_ids[obj.code] = obj.pk

        def set_unit(obj, v):
            obj.name, obj.type, obj.region = v[U["name"]], v[U["type"]], v[U["region"]]

        self._update(Unit, plan.units_update, set_unit, ["name", "type", "region"])

        # Achievements.
        clusters = plan.cluster_ids
        achievement_ids = plan.achievement_ids

        def achievement_values(v) -> dict:
            values = {name: v[A[name]] for name in ACHIEVEMENT_COLUMNS}
            values["cluster_id"] = clusters[v[A["cluster"]]] if v[A["cluster"]] else None
            return values

        for batch in _batches(plan.achievements_create):
            objs = [
                Achievement(unit_id=unit_ids[v[A["unit_code"]]], ref=v[A["ref"]], **achievement_values(v))
                for v in batch
            ]
            for obj, v in zip(self._create(Achievement, objs), batch, strict=True):
                achievement_ids[(v[A["unit_code"]], v[A["ref"]])] = obj.pk

        def set_achievement(obj, v):
            for name, value in achievement_values(v).items():
                setattr(obj, name, value)
            obj.version += 1

        self._update(
            Achievement,
            plan.achievements_update,
            set_achievement,
            [*ACHIEVEMENT_COLUMNS, "cluster_id", "version"],
        )

        # Transferees, upserted by credit code.
        transferee_ids = plan.transferee_ids
        creates = list(plan.transferees_create.items())
        for batch in _batches(creates):
            objs = [Transferee(code=code, name=name, region=region) for code, (name, region) in batch]
            for obj in self._create(Transferee, objs):
                transferee_ids[obj.code] = obj.pk

        def set_transferee(obj, values):
            obj.name, obj.region = values

        self._update(
            Transferee,
            [(pk, (name, region)) for pk, name, region in plan.transferees_update.values()],
            set_transferee,
            ["name", "region"],
        )

        # Contracts.
        def transformation_values(v) -> dict:
            values = {name: v[T[name]] for name in TRANSFORMATION_COLUMNS}
            values["achievement_id"] = achievement_ids[(v[T["unit_code"]], v[T["achievement_ref"]])]
            values["transferee_id"] = transferee_ids[v[T["transferee_code"]]]
            return values

        for batch in _batches(plan.transformations_create):
            objs = [
                Transformation(
                    unit_id=unit_ids[v[T["unit_code"]]], ref=v[T["ref"]], **transformation_values(v)
                )
                for v in batch
            ]
            self._create(Transformation, objs)

        def set_transformation(obj, v):
            for name, value in transformation_values(v).items():
                setattr(obj, name, value)
            obj.version += 1

        self._update(
            Transformation,
            plan.transformations_update,
            set_transformation,
            [*TRANSFORMATION_COLUMNS, "achievement_id", "transferee_id", "version"],
        )


def write_plan(plan: Plan, *, acting_user, reason: str, progress=None) -> None:
    Writer(plan, acting_user=acting_user, reason=reason, progress=progress).run()

"""Import services: validate a file, apply it in one transaction, and drive an ``ImportJob``.

``registry_import`` is the one entry point that the pages (through the job services and tasks), the
``import_registry`` command and the benchmark share. Applying re-validates inside the transaction,
with the matched rows locked on PostgreSQL, writing each chunk as it is checked, so what is written
is exactly what the rules allow at that moment: all or nothing.
"""

from __future__ import annotations

import contextlib
import logging

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from achievements.models import Achievement, Unit
from achievements.services import announce_change
from core import registry
from notifications.services import notify

from . import events
from .added import added_sheets_in_transaction
from .models import ImportJob, ImportStatus
from .readers import FileProblem, open_reader
from .validation import ImportResult, validate
from .writer import CopyPipe, use_copy, write_plan

logger = logging.getLogger(__name__)


def registry_import(
    *,
    source,
    filename: str | None = None,
    acting_user=None,
    unit: Unit | None = None,
    dry_run: bool = False,
    progress=None,
    reason: str | None = None,
) -> ImportResult:
    """Validate ``source`` (path, folder or open binary file) and, unless ``dry_run``, write it.

    ``unit`` restricts the import to that unit's rows (a unit user's import). Nothing is written
    when any problem is found. Returns the result with the counts and the problems.
    """
    if dry_run:
        result = _validate_source(source, filename, unit=unit, lock=False, progress=progress, keep_plan=False)
        result.plan = None
        # The added sheets (pilot bases, ...) are checked by writing them in a savepoint that is
        # rolled back: their app's services are the check. The file's new units are written first
        # in it, as confirming writes them before the added sheets (a base's unit may be new).
        _added_sheets(
            source,
            filename,
            result,
            acting_user=acting_user,
            unit=unit,
            keep=False,
            new_units=result.new_units,
        )
        return result
    reason = reason or _("导入")
    with transaction.atomic():
        # One pass under the row locks of this transaction: each chunk is written as soon as it is
        # checked (memory holds keys and one chunk of rows, never the file); a problem anywhere in
        # the file undoes what was written. On PostgreSQL the COPY statements run while the next
        # chunk is read (``CopyPipe``).
        with CopyPipe() if use_copy() else contextlib.nullcontext() as pipe:

            def sink(part) -> None:
                if part.write_count:
                    write_plan(part, acting_user=acting_user, reason=reason, pipe=pipe)

            result = _validate_source(
                source, filename, unit=unit, lock=True, progress=progress, keep_plan=True, sink=sink
            )
        plan = result.plan
        if not result.valid or plan is None:
            transaction.set_rollback(True)  # the chunks written before the first problem
            return result
        if result.change_count:  # (the transferees' adds and updates included)
            # The one affected-scope rule: the touched units in the changed years (every year when a
            # unit's type or region changed), and for a transferee moved to or from Liaoning every
            # unit with a contract of theirs, in those contracts' years.
            announce_change(
                unit_ids={plan.unit_ids[code] for code in plan.touched_units},
                years=set() if plan.unit_scope_changed else plan.years,
                transferee_ids=plan.moved_transferees,
            )
        # The added sheets after the registry's rows (a base's operating unit may be new in the file);
        # a problem there undoes the whole import.
        _added_sheets(source, filename, result, acting_user=acting_user, unit=unit, keep=True)
        if not result.valid:
            transaction.set_rollback(True)
            result.plan = None
            return result
    result.plan = None  # written: let the rows go
    return result


def _added_sheets(
    source, filename, result: ImportResult, *, acting_user, unit, keep: bool, new_units=()
) -> None:
    """The file's added sheets (``exchange.added``), read from a second opening of the file (only
    when the first reading found one)."""
    if result.file_problem or not result.added_sheets:
        return
    if hasattr(source, "seek"):
        source.seek(0)
    try:
        reader = open_reader(source, filename)
    except FileProblem:
        return  # (the registry's pass has reported it)
    with reader:
        try:
            added_sheets_in_transaction(
                reader, result, acting_user=acting_user, unit=unit, keep=keep, new_units=new_units
            )
        except FileProblem as exc:
            result.problem_count += 1
            result.problems.append(
                {"sheet": exc.sheet, "row": None, "column": "", "value": "", "message": exc.message}
            )


def _validate_source(source, filename, *, unit, lock, progress, keep_plan=True, sink=None) -> ImportResult:
    if hasattr(source, "seek"):
        source.seek(0)  # an open upload is read more than once
    try:
        reader = open_reader(source, filename)
    except FileProblem as exc:
        result = ImportResult(file_problem=exc.message)
        result.problem_count = 1
        result.problems.append(
            {"sheet": exc.sheet, "row": None, "column": "", "value": "", "message": exc.message}
        )
        return result
    with reader:
        result = validate(reader, unit=unit, lock=lock, progress=progress, keep_plan=keep_plan, sink=sink)
        result.added_sheets = tuple(
            added.name for added in registry.exchange_sheets() if reader.has_sheet(added.name)
        )
        return result


def estimate_rows(source, filename: str | None = None) -> int:
    """A cheap row count (for choosing between in-request and background processing).

    Raises ``FileProblem`` when the file cannot be read (corrupt, lying sizes, encrypted, …)."""
    with open_reader(source, filename) as reader:
        return reader.estimate_rows()


# --- import jobs ------------------------------------------------------------------------------


def _progress_key(job_id: int) -> str:
    return f"exchange:import-job:{job_id}:progress"


def import_job_progress(job: ImportJob) -> int:
    """The latest progress: the cache holds it while a transaction hides the job row's updates."""
    cached = cache.get(_progress_key(job.pk))
    return max(job.progress, cached or 0) if job.is_running else job.progress


def _progress_reporter(job_id: int):
    last = {"percent": -1}

    def report(fraction: float) -> None:
        percent = max(0, min(99, int(fraction * 100)))
        if percent - last["percent"] < 2:
            return
        last["percent"] = percent
        cache.set(_progress_key(job_id), percent, timeout=3600)
        if not transaction.get_connection().in_atomic_block:
            ImportJob.objects.filter(pk=job_id).update(progress=percent)

    return report


def _transition(job_id: int, from_status: str, to_status: str, **fields) -> bool:
    """Move a job from one status to the next; False when it is not (any longer) in ``from_status``."""
    return bool(ImportJob.objects.filter(pk=job_id, status=from_status).update(status=to_status, **fields))


def _fail(job_id: int, message: str) -> None:
    ImportJob.objects.filter(pk=job_id).update(
        status=ImportStatus.FAILED, message=message, progress=100, finished_at=timezone.now()
    )
    _notify_uploader(job_id, events.FAILED)


def _notify_uploader(job_id: int, event: str) -> None:
    """Tell the uploader how the job ended (docs/notifications.md). The job's state is already
    stored: a problem here is logged and never fails the job."""
    try:
        with transaction.atomic():
            job = ImportJob.objects.select_related("user").get(pk=job_id)
            notify(event=event, obj=job, unit=job.unit_id, user=job.user, context={"name": job.original_name})
    except Exception:
        logger.exception("Notifying the uploader of import job %s failed", job_id)


def import_job_create(*, user, uploaded_file) -> ImportJob:
    """Store an upload. A unit user's import is restricted to their unit.

    A file that cannot be read at all (corrupt or lying archive, encrypted, not a workbook) ends the
    job ``failed`` here, with the reason in ``message``; the caller validates only ``uploaded`` jobs.
    """
    job = ImportJob(
        user=user,
        unit=None if user.is_staff else user.unit,
        original_name=uploaded_file.name[:255],
        language=translation.get_language() or settings.LANGUAGE_CODE,
    )
    job.file.save(uploaded_file.name, uploaded_file, save=False)
    job.full_clean(exclude=["file"])
    job.save()
    try:
        with translation.override(job.language), job.file.open("rb") as handle:
            job.rows = estimate_rows(handle, job.original_name)
    except FileProblem as exc:
        _fail(job.pk, exc.message)
    except Exception:
        logger.exception("Reading the upload of import job %s failed", job.pk)
        _fail(job.pk, _("无法读取文件：文件已损坏或格式不受支持。"))
    else:
        job.run_async = job.rows > getattr(settings, "IMPORT_ASYNC_ROWS", 2000)
        job.save(update_fields=["rows", "run_async"])
    job.refresh_from_db()
    return job


def _store_result(job: ImportJob, result: ImportResult) -> dict:
    return {
        "rows": result.rows,
        # The warnings (exchange.duplicates: patent numbers other units hold) ride with the counts,
        # under a key that is no sheet's name: {"count": all of them, "rows": the first few}.
        "counts": {**result.counts, "warnings": {"count": result.warning_count, "rows": result.warnings}},
        "changes": name_changes(result.changes),
        "errors": result.problems,
        "error_count": result.problem_count,
        "examples": result.examples,
    }


def name_changes(changes: list[dict]) -> list[dict]:
    """Give each sampled contract its achievement's title (``achievement_title``) so that the
    preview names records, not keys: from the file's own sampled achievements first, then from the
    registry in one query. Contracts whose achievement is neither keep its ref only."""
    titles = {c["key"]: c.get("title") for c in changes if c["sheet"] == "achievements"}
    wanted = {
        tuple(c["achievement"])
        for c in changes
        if c["sheet"] == "transformations"
        and c.get("achievement")
        and " / ".join(c["achievement"]) not in titles
    }
    if wanted:
        found = Achievement.objects.filter(
            unit__code__in={u for u, _r in wanted}, ref__in={r for _u, r in wanted}
        ).values_list("unit__code", "ref", "title")
        titles.update({f"{u} / {r}": t for u, r, t in found if (u, r) in wanted})
    for change in changes:
        if change["sheet"] == "transformations" and change.get("achievement"):
            title = titles.get(" / ".join(change["achievement"]))
            if title:
                change["achievement_title"] = title
    return changes


def import_job_validate(*, job_id: int) -> None:
    """Validate the job's file and store the preview. Does nothing unless the job is ``uploaded``."""
    if not _transition(job_id, ImportStatus.UPLOADED, ImportStatus.VALIDATING, progress=0):
        return
    job = ImportJob.objects.select_related("user", "unit").get(pk=job_id)
    try:
        with translation.override(job.language), job.file.open("rb") as handle:
            result = registry_import(
                source=handle,
                filename=job.original_name,
                acting_user=job.user,
                unit=job.unit,
                dry_run=True,
                progress=_progress_reporter(job_id),
            )
    except Exception:
        logger.exception("Validation of import job %s failed", job_id)
        ImportJob.objects.filter(pk=job_id).update(
            status=ImportStatus.FAILED,
            message=_("校验时发生内部错误，请联系管理员。"),
            finished_at=timezone.now(),
        )
        _notify_uploader(job_id, events.FAILED)
        return
    if result.file_problem:
        _fail(job_id, result.file_problem)
        return
    status = ImportStatus.PREVIEW_READY if result.valid else ImportStatus.INVALID
    ImportJob.objects.filter(pk=job_id).update(
        status=status,
        progress=100,
        finished_at=None if result.valid else timezone.now(),
        **_store_result(job, result),
    )
    _notify_uploader(job_id, events.PREVIEW_READY if result.valid else events.FAILED)


def import_job_confirm(*, job: ImportJob) -> bool:
    """Record the user's confirmation of a valid preview. False when the job cannot be confirmed."""
    return bool(
        ImportJob.objects.filter(
            pk=job.pk, status=ImportStatus.PREVIEW_READY, confirmed_at__isnull=True
        ).update(confirmed_at=timezone.now())
    )


def import_job_apply(*, job_id: int) -> None:
    """Write a confirmed job's file. Does nothing unless the job is confirmed and ``preview_ready``."""
    if not ImportJob.objects.filter(pk=job_id, confirmed_at__isnull=False).exists():
        return
    if not _transition(job_id, ImportStatus.PREVIEW_READY, ImportStatus.IMPORTING, progress=0):
        return
    job = ImportJob.objects.select_related("user", "unit").get(pk=job_id)
    try:
        with translation.override(job.language), job.file.open("rb") as handle:
            result = registry_import(
                source=handle,
                filename=job.original_name,
                acting_user=job.user,
                unit=job.unit,
                progress=_progress_reporter(job_id),
                reason=_("批量导入（任务 #%(id)d）") % {"id": job_id},
            )
    except Exception as exc:
        logger.exception("Import job %s failed", job_id)
        ImportJob.objects.filter(pk=job_id).update(
            status=ImportStatus.FAILED,
            message=_("导入失败，未写入任何数据：%(error)s") % {"error": exc.__class__.__name__},
            finished_at=timezone.now(),
        )
        _notify_uploader(job_id, events.FAILED)
        return
    finally:
        cache.delete(_progress_key(job_id))
    if result.file_problem:
        _fail(job_id, _("导入失败，未写入任何数据：%(error)s") % {"error": result.file_problem})
        return
    status = ImportStatus.DONE if result.valid else ImportStatus.INVALID
    message = "" if result.valid else _("确认后数据已发生变化，重新校验未通过，未写入任何数据。")
    ImportJob.objects.filter(pk=job_id).update(
        status=status, progress=100, finished_at=timezone.now(), message=message, **_store_result(job, result)
    )
    _notify_uploader(job_id, events.DONE if result.valid else events.FAILED)

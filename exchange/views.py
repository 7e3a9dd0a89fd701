"""Pages of the exchange area: upload → preview → confirm → result, templates, exports.

Views are thin: they check who may do what, then call ``exchange.services`` (or enqueue the task
for large files) and ``exchange.export``.
"""

from __future__ import annotations

import functools
import tempfile

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST, require_safe

from achievements.filtersets import AchievementFilterSet
from achievements.models import Achievement

from . import export, presentation, services
from .forms import ImportUploadForm
from .models import ImportJob, ImportStatus
from .tasks import import_apply_task, import_validate_task

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ERRORS_PER_PAGE = 200


def exchange_user_required(view):
    """Department staff and unit users (a user with neither role has nothing to import or export)."""

    @functools.wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not (request.user.is_staff or request.user.unit_id):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _job_for(request, pk: int) -> ImportJob:
    jobs = ImportJob.objects.select_related("user", "unit")
    if not request.user.is_staff:
        jobs = jobs.filter(user=request.user)
    return get_object_or_404(jobs, pk=pk)


@exchange_user_required
@require_http_methods(["GET", "HEAD", "POST"])
def import_upload(request):
    if request.method == "POST":
        form = ImportUploadForm(request.POST, request.FILES)
        if form.is_valid():
            job = services.import_job_create(user=request.user, uploaded_file=form.cleaned_data["file"])
            if job.run_async:
                import_validate_task.delay_on_commit(job.pk)
            else:
                services.import_job_validate(job_id=job.pk)
            return redirect("exchange:import_job", pk=job.pk)
    else:
        form = ImportUploadForm()
    jobs = ImportJob.objects.filter(user=request.user)[:10]
    return render(request, "exchange/import_upload.html", {"form": form, "jobs": jobs})


@exchange_user_required
@require_safe
def import_job(request, pk: int):
    job = _job_for(request, pk)
    errors = Paginator(job.errors, ERRORS_PER_PAGE).get_page(request.GET.get("page"))
    errors.object_list = presentation.problem_rows(errors.object_list)
    counts = presentation.count_rows(job.counts)
    context = {
        "job": job,
        "progress": services.import_job_progress(job),
        "counts": counts,
        "changes": presentation.change_rows(job.changes),
        "examples": presentation.example_rows(job.examples),
        "change_total": sum(c["add"] + c["update"] for c in counts),
        "errors": errors,
        "can_confirm": job.status == ImportStatus.PREVIEW_READY and job.confirmed_at is None,
        "status_url": reverse("exchange:import_job_status", args=[job.pk]),
    }
    return render(request, "exchange/import_job.html", context)


@exchange_user_required
@require_GET
def import_job_status(request, pk: int):
    """The job's progress: JSON, or for the job page's htmx poll the progress block (once the job
    has finished, ``HX-Refresh`` makes htmx reload the page, which then shows the result)."""
    job = _job_for(request, pk)
    progress = services.import_job_progress(job)
    if request.htmx:
        context = {"job": job, "progress": progress, "status_url": request.path}
        response = render(request, "exchange/_progress.html", context)
        if not job.is_running:
            response["HX-Refresh"] = "true"
        patch_vary_headers(response, ("HX-Request",))
        return response
    response = JsonResponse(
        {
            "status": job.status,
            "status_label": job.get_status_display(),
            "progress": progress,
            "running": job.is_running,
        }
    )
    patch_vary_headers(response, ("HX-Request",))
    return response


@exchange_user_required
@require_POST
def import_job_confirm(request, pk: int):
    job = _job_for(request, pk)
    if job.user_id != request.user.pk:
        raise PermissionDenied  # only the uploader confirms their own import
    if services.import_job_confirm(job=job):
        if job.run_async:
            import_apply_task.delay_on_commit(job.pk)
        else:
            services.import_job_apply(job_id=job.pk)
    return redirect("exchange:import_job", pk=job.pk)


@exchange_user_required
@require_GET
def template_download(request, style: str):
    if style not in (export.ZH, export.EN):
        raise Http404
    handle = tempfile.TemporaryFile()
    export.write_template(handle, style)
    handle.seek(0)
    name = "成果库交换格式v1-模板.xlsx" if style == export.ZH else "registry-exchange-v1-template.xlsx"
    return FileResponse(handle, as_attachment=True, filename=name, content_type=XLSX_TYPE)


def _filtered_achievements(request):
    filterset = AchievementFilterSet(request.GET, queryset=Achievement.objects.for_user(request.user))
    if not filterset.is_valid():
        return None, filterset
    return filterset.qs, filterset


def _export(request, kind: str):
    achievements, filterset = _filtered_achievements(request)
    errors = {} if achievements is not None else dict(filterset.errors)
    if request.GET.get("headers", export.ZH) not in (export.ZH, export.EN):
        errors["headers"] = [_("表头样式应为 zh 或 en。")]
    if errors:
        messages = "; ".join(f"{field}: {' '.join(errs)}" for field, errs in errors.items())
        return HttpResponseBadRequest(_("筛选条件无效：%(errors)s") % {"errors": messages})
    style = export.EN if request.GET.get("headers") == export.EN else export.ZH
    handle = tempfile.TemporaryFile()
    stamp = timezone.localdate().isoformat()
    if kind == "xlsx":
        export.write_xlsx(handle, achievements, style, user=request.user)
        name, content_type = f"科技成果导出-{stamp}.xlsx", XLSX_TYPE
    else:
        export.write_csv_zip(handle, achievements, style, user=request.user)
        name, content_type = f"科技成果导出-{stamp}-csv.zip", "application/zip"
    handle.seek(0)
    return FileResponse(handle, as_attachment=True, filename=name, content_type=content_type)


@exchange_user_required
@require_GET
def export_xlsx(request):
    return _export(request, "xlsx")


@exchange_user_required
@require_GET
def export_csv(request):
    return _export(request, "csv")

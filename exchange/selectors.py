"""Reads of import jobs (the home page's cards)."""

import datetime

from django.db.models import Q

from .models import ImportJob, ImportStatus

# A job that waits for its uploader: the preview is ready and nobody has confirmed it.
WAITING_Q = Q(status=ImportStatus.PREVIEW_READY, confirmed_at__isnull=True)
# A job that went wrong: the file was refused (invalid) or the import failed.
FAILED_Q = Q(status__in=(ImportStatus.INVALID, ImportStatus.FAILED))


def jobs_for(user):
    """The jobs a user sees: staff all of them, anyone else their own uploads."""
    jobs = ImportJob.objects.select_related("user", "unit")
    return jobs if user.is_staff else jobs.filter(user=user)


def jobs_needing_attention(*, user, since: datetime.datetime, limit: int = 10) -> list[ImportJob]:
    """Jobs created since ``since`` that wait for confirmation or went wrong, newest first."""
    return list(jobs_for(user).filter(WAITING_Q | FAILED_Q, created_at__gte=since)[:limit])


def recent_jobs(*, user, limit: int = 5) -> list[ImportJob]:
    return list(jobs_for(user)[:limit])

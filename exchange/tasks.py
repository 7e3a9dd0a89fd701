"""Background import steps. Thin and idempotent: each takes a job id and the service's status
guard makes a repeated delivery a no-op."""

from celery import shared_task

from . import services


@shared_task(ignore_result=True)
def import_validate_task(job_id: int) -> None:
    services.import_job_validate(job_id=job_id)


@shared_task(ignore_result=True)
def import_apply_task(job_id: int) -> None:
    services.import_job_apply(job_id=job_id)

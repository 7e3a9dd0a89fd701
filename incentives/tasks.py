"""Celery tasks of the incentives app. Thin: they call the services, which are idempotent by state
(an evaluation run twice writes nothing new; the list refreshed twice on one day changes nothing)."""

import datetime

from celery import shared_task

from . import services

LISTING_EXPIRES = 6 * 3600  # a monthly run that could not start within 6 hours is dropped


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def evaluate_incentives_task(year: int, rule_id: int | None = None, user_id: int | None = None) -> dict:
    """Evaluate one rule (``rule_id``) or every active payment rule for ``year``: {code: counts}.
    ``user_id``: the staff user who asked for it from a page (the proposals' history names them;
    checked again by the service); ``None``: the system (the command)."""
    acting_user = None
    if user_id is not None:
        from django.contrib.auth import get_user_model

        acting_user = get_user_model().objects.get(pk=user_id)
    if rule_id is None:
        return {code: dict(counts) for code, counts in services.evaluate_year(year=year, acting_user=acting_user).items()}
    rule = services.Rule.objects.get(pk=rule_id)
    return {rule.code: dict(services.evaluate_rule(rule=rule, year=year, acting_user=acting_user).counts)}


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True, expires=LISTING_EXPIRES)
def listing_refresh_task(on: str | None = None) -> dict:
    """The monthly use-before-transfer list (beat: ``incentives.use_before_transfer_list``)."""
    run = services.listing_refresh(on=datetime.date.fromisoformat(on) if on else None)
    return {"run_on": run.run_on.isoformat(), "listed": run.listed, "added": run.added, "removed": run.removed}

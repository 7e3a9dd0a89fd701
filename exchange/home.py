"""The exchange's cards on the home page (core.registry.HomeCard): imports that wait for review
(staff) and recent imports (staff: everybody's; a unit user: their own, drafts included)."""

import datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.roles import is_staff
from achievements.policies import can_register_records
from core.registry import HomeCard, register

from . import selectors

RECENT_DAYS = 30


def waiting_context(request) -> dict | None:
    since = timezone.now() - datetime.timedelta(days=RECENT_DAYS)
    jobs = selectors.jobs_needing_attention(user=request.user, since=since)
    return {"jobs": jobs, "days": RECENT_DAYS, "show_user": True} if jobs else None


def recent_context(request) -> dict:
    return {
        "jobs": selectors.recent_jobs(user=request.user),
        "show_user": request.user.is_staff,
    }


register(
    HomeCard(
        "imports_waiting",
        _("待处理的导入"),
        "exchange/home/jobs.html",
        order=10,
        context=waiting_context,
        visible=is_staff,
        section="review",
    ),
    HomeCard(
        "recent_imports",
        _("最近导入"),
        "exchange/home/jobs.html",
        order=30,
        context=recent_context,
        visible=can_register_records,
        section="work",
    ),
)

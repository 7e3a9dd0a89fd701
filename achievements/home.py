"""The registry's cards on the home page (core.registry.HomeCard)."""

import datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.roles import is_staff
from core.registry import HomeCard, register

from . import selectors
from .policies import can_register_records

RECENT_DAYS = 30


def registry_context(request) -> dict:
    return {"counts": selectors.registry_counts(user=request.user)}


def withdrawn_context(request) -> dict | None:
    since = timezone.localdate() - datetime.timedelta(days=RECENT_DAYS)
    records = selectors.recently_withdrawn(user=request.user, since=since)
    return {"records": records, "days": RECENT_DAYS} if records else None


register(
    HomeCard(
        "registry",
        _("成果库"),
        "achievements/home/registry.html",
        order=10,
        context=registry_context,
        visible=can_register_records,
        section="figures",
    ),
    HomeCard(
        "recently_withdrawn",
        _("近期撤回的成果"),
        "achievements/home/withdrawn.html",
        order=20,
        context=withdrawn_context,
        visible=is_staff,
        section="review",
    ),
)

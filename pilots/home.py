"""The pilot bases' cards on the home page (core.registry.HomeCard)."""

from django.utils.translation import gettext_lazy as _

from core.registry import HomeCard, register

from . import policies, selectors

LIMIT = 10


def open_requests_context(request) -> dict | None:
    rows = list(selectors.open_requests()[:LIMIT])
    return {"requests": rows} if rows else None


register(
    HomeCard(
        "pilot_open_requests",
        _("待办的中试申请"),
        "pilots/home/open_requests.html",
        order=45,
        context=open_requests_context,
        visible=policies.can_see_request_queue,
        section="review",
    ),
)

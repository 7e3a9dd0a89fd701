"""The notifications bell in the page header, with the number of unread notifications."""

from django.urls import reverse

from core.registry import HeaderItem, register

from . import selectors


def bell_context(request) -> dict:
    return {"unread": selectors.unread_count(user=request.user), "url": reverse("notifications:list")}


register(HeaderItem("notifications_bell", "notifications/_bell.html", order=10, context=bell_context))

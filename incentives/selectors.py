"""Reads of the incentives app, scoped to the user."""

from __future__ import annotations

from django.db.models import Count, Q, Sum

from .choices import AwardStatus, ListingStatus
from .models import Award, Listing, ListingRun, Rule


def rule_list(*, user=None):
    return Rule.objects.all()


def award_list(*, user):
    return Award.objects.for_user(user).select_related("rule", "contract", "unit")


def beneficiary_awards(*, user, kind: str, code: str):
    return award_list(user=user).filter(beneficiary_kind=kind, beneficiary_code=code).order_by("-year", "pk")


def listing_list(*, user):
    return Listing.objects.for_user(user).select_related("achievement__cluster", "unit")


def public_listings():
    """The published list: entries listed today, published fields only (the page, API, export)."""
    return Listing.objects.published().select_related("achievement__cluster", "unit")


def award_figures(*, year: int | None = None, unit_id: int | None = None) -> dict:
    """Counts and sums per status, by rule, beneficiary kind and city (the dashboard panel)."""
    awards = Award.objects.all()
    if year is not None:
        awards = awards.filter(year=year)
    if unit_id is not None:
        awards = awards.filter(unit_id=unit_id)
    sums = {
        f"{status}_{what}": agg
        for status in (AwardStatus.PROPOSED, AwardStatus.APPROVED, AwardStatus.PAID)
        for what, agg in (("n", Count("pk", filter=Q(status=status))), ("amount", Sum("amount", filter=Q(status=status))))
    }
    rows = {}
    for dimension in ("rule__code", "beneficiary_kind", "city"):
        rows[dimension] = list(
            awards.values(dimension).annotate(**sums).order_by(dimension)
        )
    return rows


def listing_sizes(limit: int = 24) -> list[ListingRun]:
    return list(ListingRun.objects.order_by("-run_on")[:limit])[::-1]


def listed_count(*, unit_id: int | None = None) -> int:
    items = Listing.objects.filter(status=ListingStatus.LISTED)
    if unit_id is not None:
        items = items.filter(unit_id=unit_id)
    return items.count()

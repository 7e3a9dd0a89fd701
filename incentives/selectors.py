"""Reads of the incentives app, scoped to the user."""

from __future__ import annotations

from django.db.models import Count, Sum

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
    """Counts and sums per status, by rule, beneficiary kind and city (the dashboard panel), from
    one grouped query: {dimension: [{dimension: key, "<status>_n": n, "<status>_amount": sum}]}."""
    awards = Award.objects.all()
    if year is not None:
        awards = awards.filter(year=year)
    if unit_id is not None:
        awards = awards.filter(unit_id=unit_id)
    statuses = (AwardStatus.PROPOSED, AwardStatus.APPROVED, AwardStatus.PAID)
    grouped = (
        awards.filter(status__in=statuses)
        .values("rule__code", "beneficiary_kind", "city", "status")
        .annotate(n=Count("pk"), amount=Sum("amount"))
        .order_by()
    )
    rows: dict[str, dict] = {"rule__code": {}, "beneficiary_kind": {}, "city": {}}
    for group in grouped:
        for dimension, table in rows.items():
            key = group[dimension]
            row = table.setdefault(key, {dimension: key})
            row[f"{group['status']}_n"] = row.get(f"{group['status']}_n", 0) + group["n"]
            row[f"{group['status']}_amount"] = row.get(f"{group['status']}_amount", 0) + group["amount"]
    return {dimension: [table[key] for key in sorted(table, key=lambda k: k or "")] for dimension, table in rows.items()}


def listing_sizes(limit: int = 24) -> list[ListingRun]:
    return list(ListingRun.objects.order_by("-run_on")[:limit])[::-1]


def listed_count(*, unit_id: int | None = None) -> int:
    items = Listing.objects.filter(status=ListingStatus.LISTED)
    if unit_id is not None:
        items = items.filter(unit_id=unit_id)
    return items.count()

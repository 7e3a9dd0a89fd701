"""Reads of the registry, and the one definition of each metric rule of data-spec.md §2.

The Q builders below are the single source of the definitions "stock", "transformed in Y" and
"effective contract"; the list filters (drill-down), the statistics engine and the tests use them.
"""

import datetime

from django.db.models import Exists, OuterRef, Q, QuerySet

from .choices import TransformationStatus
from .models import Achievement, Transformation


def year_end(year: int) -> datetime.date:
    return datetime.date(year, 12, 31)


def year_range(year: int) -> tuple[datetime.date, datetime.date]:
    return datetime.date(year, 1, 1), datetime.date(year, 12, 31)


def stock_q(year: int, prefix: str = "") -> Q:
    """Achievements registered on or before 31 Dec Y and not withdrawn on or before 31 Dec Y."""
    end = year_end(year)
    return Q(**{f"{prefix}registered_on__lte": end}) & (
        Q(**{f"{prefix}withdrawn_on__isnull": True}) | Q(**{f"{prefix}withdrawn_on__gt": end})
    )


def effective_q(prefix: str = "") -> Q:
    """Only effective transformations count anywhere in the statistics."""
    return Q(**{f"{prefix}status": TransformationStatus.EFFECTIVE})


def signed_in_q(year: int, prefix: str = "") -> Q:
    return Q(**{f"{prefix}signed_on__range": year_range(year)})


def signed_by_q(year: int, prefix: str = "") -> Q:
    return Q(**{f"{prefix}signed_on__lte": year_end(year)})


def _has_contract(condition: Q) -> Exists:
    return Exists(Transformation.objects.filter(effective_q() & condition, achievement=OuterRef("pk")))


def achievements_in_stock(qs: QuerySet, year: int) -> QuerySet:
    return qs.filter(stock_q(year))


def achievements_transformed_in(qs: QuerySet, year: int) -> QuerySet:
    """Distinct achievements with an effective transformation signed in Y."""
    return qs.filter(_has_contract(signed_in_q(year)))


def achievements_transformed_by(qs: QuerySet, year: int) -> QuerySet:
    """Achievements with an effective transformation signed on or before 31 Dec Y."""
    return qs.filter(_has_contract(signed_by_q(year)))


def achievements_transformed(qs: QuerySet, transformed: bool = True) -> QuerySet:
    """Achievements with (or without) any effective transformation."""
    has = _has_contract(Q())
    return qs.filter(has) if transformed else qs.exclude(has)


def achievement_list(*, user) -> QuerySet:
    return (
        Achievement.objects.for_user(user).select_related("unit", "cluster").order_by("-registered_on", "-id")
    )


def transformation_list(*, user) -> QuerySet:
    return (
        Transformation.objects.for_user(user)
        .select_related("unit", "achievement", "transferee")
        .order_by("-signed_on", "-id")
    )

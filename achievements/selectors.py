"""Reads of the registry, and the one definition of each metric rule of data-spec.md §2.

The Q builders below are the single source of the definitions "stock", "transformed in Y" and
"effective contract"; the list filters (drill-down), the statistics engine and the tests use them.
"""

import datetime
import re

from django.db.models import Exists, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Replace

from .choices import TransformationStatus
from .models import Achievement, Transformation, Unit


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


# --- search ---------------------------------------------------------------------------------
#
# Chinese has no spaces between words and most words are two characters long, so the search is a
# case-insensitive substring match (``icontains``: LIKE on SQLite, UPPER(..) LIKE UPPER(..) on
# PostgreSQL) on every database and for every query length. On PostgreSQL, trigram GIN indexes on
# the same expressions (migration 0003) let queries of three or more characters use an index; one-
# and two-character queries give the same answers through a scan. Full-text engines that split on
# spaces, or SQLite's FTS5 trigram tokenizer (which finds nothing for two-character queries), would
# give different answers on the two databases and are deliberately not used.

_PATENT_QUERY_RE = re.compile(r"^\d{4,12}[0-9X]?$")


def patent_query(value: str) -> str | None:
    """The compact digits of a query that looks like (part of) a patent number, else ``None``.

    ``ZL201310699744.2``, ``CN 2013106997442``, ``201310699744.2`` and ``2013106997`` all become
    digits without prefix, spaces or dot, which is how the search compares patent numbers."""
    compact = re.sub(r"[\s.]", "", (value or "").upper())
    for prefix in ("ZL", "CN"):
        if compact.startswith(prefix):
            compact = compact[len(prefix) :]
            break
    return compact if _PATENT_QUERY_RE.match(compact) else None


def achievement_search(qs: QuerySet, value: str) -> QuerySet:
    """Achievements whose title, keywords, own number (ref), unit name or patent number contain
    ``value``. Matching units are looked up first (one small query) so that every branch of the
    condition is on the achievement table and can use its own index on PostgreSQL."""
    value = (value or "").strip()
    if not value:
        return qs
    condition = Q(title__icontains=value) | Q(keywords__icontains=value) | Q(ref__icontains=value)
    unit_ids = list(Unit.objects.filter(name__icontains=value).values_list("id", flat=True))
    if unit_ids:
        condition |= Q(unit_id__in=unit_ids)
    compact = patent_query(value)
    if compact:
        qs = qs.alias(patent_compact=Replace("patent_no", Value("."), Value("")))
        condition |= Q(patent_compact__contains=compact)
    return qs.filter(condition)

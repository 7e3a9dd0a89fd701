"""Reads of the registry, and the one definition of each metric rule of docs/metrics.md.

The Q builders below are the single source of the definitions "stock", "transformed in Y" and
"effective contract"; the list filters (drill-down), the statistics engine and the tests use them.
"""

import datetime
import re

from django.contrib.postgres.expressions import ArraySubquery
from django.db import connections
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Replace

from accounts.roles import is_staff, unit_of
from core.queries import count_from_keys
from core.validators import normalize_credit_code

from .choices import AchievementStatus, TransformationStatus
from .models import Achievement, Transferee, Transformation, Unit


def year_end(year: int, until: datetime.date | None = None) -> datetime.date:
    """31 Dec Y; with ``until`` (a year-to-date cut-off, docs/metrics.md "Year to date") the same
    month and day in Y instead (29 Feb in a common year is 28 Feb)."""
    if until is None:
        return datetime.date(year, 12, 31)
    try:
        return until.replace(year=year)
    except ValueError:  # 29 Feb in a common year
        return datetime.date(year, 2, 28)


def year_range(year: int, until: datetime.date | None = None) -> tuple[datetime.date, datetime.date]:
    return datetime.date(year, 1, 1), year_end(year, until)


def stock_q(year: int, prefix: str = "", until: datetime.date | None = None) -> Q:
    """Achievements registered on or before 31 Dec Y and not withdrawn on or before 31 Dec Y
    (``until``: the same month and day as ``until`` in Y instead of 31 Dec)."""
    end = year_end(year, until)
    return Q(**{f"{prefix}registered_on__lte": end}) & (
        Q(**{f"{prefix}withdrawn_on__isnull": True}) | Q(**{f"{prefix}withdrawn_on__gt": end})
    )


def effective_q(prefix: str = "") -> Q:
    """Only effective transformations count anywhere in the statistics."""
    return Q(**{f"{prefix}status": TransformationStatus.EFFECTIVE})


def signed_in_q(year: int, prefix: str = "", until: datetime.date | None = None) -> Q:
    """Signed in Y (``until``: from 1 Jan Y to the same month and day as ``until`` in Y)."""
    return Q(**{f"{prefix}signed_on__range": year_range(year, until)})


def signed_by_q(year: int, prefix: str = "", until: datetime.date | None = None) -> Q:
    """Signed on or before 31 Dec Y (``until``: on or before the same month and day in Y)."""
    return Q(**{f"{prefix}signed_on__lte": year_end(year, until)})


def _has_contract(condition: Q) -> Exists:
    return Exists(Transformation.objects.filter(effective_q() & condition, achievement=OuterRef("pk")))


def achievements_in_stock(qs: QuerySet, year: int) -> QuerySet:
    return qs.filter(stock_q(year))


# The newest achievements of a list that ``achievements_transformed_in`` probes on PostgreSQL, and
# how many of them must match for the list to be read newest first (docs/dashboards.md, "Drill-down
# lists: speed"): 25 of 1,000 means a page of 25 is found within the first thousand rows.
TRANSFORMED_IN_PROBE = 1_000
TRANSFORMED_IN_DENSE = 25


class _InArray(Func):
    """``key = ANY(ARRAY(subquery))`` (PostgreSQL): the subquery runs once, first, and its keys are
    looked up by the primary key index, whatever order the list is sorted in."""

    template = "%(expressions)s)"
    arg_joiner = " = ANY("
    output_field = BooleanField()


def achievements_transformed_in(
    qs: QuerySet, year: int, units: QuerySet | None = None, filtered: bool = False
) -> QuerySet:
    """Distinct achievements with an effective transformation signed in Y.

    One definition, two ways to run it. The ``EXISTS`` probe per achievement is fast when the newest
    achievements match (the list is sorted newest first, and the walk stops after a page), which is
    the case for the current year; for a past year the matching achievements were registered around
    that year, and PostgreSQL, assuming them spread evenly, walked the registration index through
    every newer achievement (745,000 for 2018 at 1M/3M: 10 s). So on PostgreSQL the newest
    ``TRANSFORMED_IN_PROBE`` rows of the list are probed first (one cheap query); when fewer than
    ``TRANSFORMED_IN_DENSE`` match, the achievements are taken from the contracts of Y instead
    (``id = ANY(ARRAY(…))``, the contracts read from ``transformation_status_sign_ach_idx`` alone)
    and only those are sorted. ``units``, the units the list is limited to (its unit, unit type or
    region filter, a unit user's own unit), narrows those contracts to the units' own
    (``transformation_status_unit_sign_idx``): a contract's unit is always its achievement's
    (``Transformation.clean``; ``achievement_update`` moves the contracts with the achievement), so
    the result is the same and a city's list looks up a quarter of the keys. ``filtered``: the
    list has other filters, see below. SQLite keeps the
    probe per achievement (its planner does not walk past the matches that way at demo size, and
    tests/test_drilldown_queries.py checks its plan)."""
    has = _has_contract(signed_in_q(year))
    if connections[qs.db].vendor != "postgresql":
        return qs.filter(has)
    newest = qs.order_by("-registered_on", "-id").values("pk")[:TRANSFORMED_IN_PROBE]
    if Achievement.objects.filter(pk__in=newest).filter(has).count() >= TRANSFORMED_IN_DENSE:
        return qs.filter(has)
    contracts = Transformation.objects.filter(effective_q() & signed_in_q(year))
    if units is not None:
        contracts = contracts.filter(unit__in=units)
    keys = contracts.order_by().values("achievement_id")
    if filtered:
        # Other filters (a cluster, an IP type, a search, …) keep a part of the list: its rows
        # with a contract in Y are found first, unsorted (a semi-join the planner chooses freely:
        # the filter's index and a probe per row, or a hash of the keys), and only those are looked
        # up and sorted, instead of every achievement with a contract in Y.
        keys = qs.order_by().filter(pk__in=keys).values("pk")
    # Counting these rows looks at every one of them, as sorting them for a page does: one pass.
    return count_from_keys(qs.filter(_InArray(F("pk"), ArraySubquery(keys))))


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


def mark_transformed(achievements) -> list:
    """Set ``has_contract`` (has an effective contract) on a page of achievements, in one query.

    Cheaper than an ``EXISTS`` annotation on the list query, which PostgreSQL plans as a hashed
    scan of every effective contract even when only one page of achievements is shown."""
    achievements = list(achievements)
    ids = {a.pk for a in achievements}
    done = (
        set(
            Transformation.objects.filter(effective_q(), achievement_id__in=ids)
            .order_by()
            .values_list("achievement_id", flat=True)
            .distinct()
        )
        if ids
        else set()
    )
    for achievement in achievements:
        achievement.has_contract = achievement.pk in done
    return achievements


def transformation_list(*, user) -> QuerySet:
    return (
        Transformation.objects.for_user(user)
        .select_related("unit", "achievement", "transferee")
        .order_by("-signed_on", "-id")
    )


# --- search ---------------------------------------------------------------------------------
#
# Chinese has no spaces between words and most words are two characters long, so the search is a
# substring match on every database and for every query length (LIKE on SQLite; LIKE or ILIKE on
# PostgreSQL). On PostgreSQL, trigram GIN indexes on the searched columns (migration 0004) let queries
# of three or more characters use an index; one- and two-character queries give the same answers
# through a scan. Full-text engines that split on spaces, or SQLite's FTS5 trigram tokenizer (which
# finds nothing for two-character queries), would give different answers on the two databases and
# are deliberately not used.


def contains_q(field: str, value: str) -> Q:
    """``field`` contains ``value``, ignoring case. A value without letter case (Chinese, digits)
    needs no case folding, so it gets a plain ``LIKE``, the cheapest scan; otherwise ``ILIKE`` on
    PostgreSQL (``trgm_icontains``) and ``LIKE`` on SQLite. Both forms use the trigram indexes."""
    if value.upper() == value.lower():
        return Q(**{f"{field}__contains": value})
    return Q(**{f"{field}__trgm_icontains": value})


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
    condition = contains_q("title", value) | contains_q("keywords", value) | contains_q("ref", value)
    unit_ids = list(Unit.objects.filter(contains_q("name", value)).values_list("id", flat=True))
    if unit_ids:
        condition |= Q(unit_id__in=unit_ids)
    compact = patent_query(value)
    if compact:
        qs = qs.alias(patent_compact=Replace("patent_no", Value("."), Value("")))
        condition |= Q(patent_compact__contains=compact)
    return qs.filter(condition)


# How many rows of a related table (achievement titles, transferee names) a contract search may match
# before PostgreSQL probes that table per contract instead of collecting the matching keys first
# (docs/dashboards.md, "Drill-down lists: speed").
SEARCH_KEYS_MAX = 20_000


def _related_match(qs: QuerySet, key: str, related: QuerySet, *, large_table: bool) -> Q:
    """Rows of ``qs`` whose foreign key ``key`` points at a row of ``related``.

    SQLite runs ``key IN (subquery)`` once into a temporary index whatever its size. PostgreSQL hashes
    such a subquery inside an ``OR`` only when the hash fits in ``work_mem``; beyond, it scans the
    materialised keys once per contract (minutes for a common word at 1M/3M); and even a hashed
    subquery keeps the ``OR`` from using the indexes. So on PostgreSQL the matching keys are read
    first, at most ``SEARCH_KEYS_MAX`` + 1 of them. Up to ``SEARCH_KEYS_MAX`` they go into the query
    as a list of constants: PostgreSQL knows their number when it plans, answers them from the
    index on ``key`` (in one bitmap with the other branches) or, in a scan, from a hash of the list
    (a list computed inside the query, ``ANY(ARRAY(…))``, is searched element by element: 300 ms
    for 1,418 titles against the demo's 54,302 contracts). More means the word is common: each
    contract's row is then probed by primary key (``EXISTS``) while the list is walked in its order,
    which finds a page, or the capped count, after a few probes per match."""
    if connections[qs.db].vendor != "postgresql":
        return Q(**{f"{key}__in": related.values("pk")})
    matching = related.order_by().values("pk")
    if large_table:
        # A list of constants whose number PostgreSQL knows makes it scan a table of millions with
        # the list hashed (11,000 titles: 430 ms at 1M/3M); a list computed in the query looks
        # small to it, so it reads the matches from the indexes (150 ms). Counted, not fetched.
        if matching[: SEARCH_KEYS_MAX + 1].count() > SEARCH_KEYS_MAX:
            return Q(Exists(related.filter(pk=OuterRef(key))))
        return Q(_InArray(F(key), ArraySubquery(matching)))
    keys = list(related.order_by().values_list("pk", flat=True)[: SEARCH_KEYS_MAX + 1])
    if len(keys) > SEARCH_KEYS_MAX:
        return Q(Exists(related.filter(pk=OuterRef(key))))
    return Q(**{f"{key}__in": keys})


# A table of more rows than this is searched through its indexes (``_related_match``).
SEARCH_LARGE_TABLE = 500_000


def _estimated_rows(qs: QuerySet) -> int:
    """PostgreSQL's estimate of the rows of ``qs``'s table (``pg_class.reltuples``, kept by
    ``ANALYZE`` and autovacuum; -1 before the first), read in a fraction of a millisecond."""
    with connections[qs.db].cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [qs.model._meta.db_table])
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def transformation_search(qs: QuerySet, value: str) -> QuerySet:
    """Contracts whose number, achievement title, transferee name or unit name contain ``value``.

    The related tables are searched apart (``_related_match``: their trigram indexes, each scanned
    once) instead of joining all four tables and filtering the join."""
    value = (value or "").strip()
    if not value:
        return qs
    large = connections[qs.db].vendor == "postgresql" and _estimated_rows(qs) > SEARCH_LARGE_TABLE
    titles = Achievement.objects.filter(contains_q("title", value))
    names = Transferee.objects.filter(contains_q("name", value))
    condition = (
        contains_q("ref", value)
        | _related_match(qs, "achievement_id", titles, large_table=large)
        | _related_match(qs, "transferee_id", names, large_table=large)
    )
    unit_ids = list(Unit.objects.filter(contains_q("name", value)).values_list("id", flat=True))
    if unit_ids:
        condition |= Q(unit_id__in=unit_ids)
    return qs.filter(condition)


# --- the home page's cards (achievements.home) ---------------------------------------------------


def registry_counts(*, user) -> dict:
    """The achievements a user sees, and how many are active; with the number of units for staff."""
    counts = Achievement.objects.for_user(user).aggregate(
        total=Count("id"), active=Count("id", filter=Q(status=AchievementStatus.ACTIVE))
    )
    counts["units"] = Unit.objects.count() if user.is_staff else 1
    return counts


def recently_withdrawn(*, user, since: datetime.date, limit: int = 10) -> list:
    """Achievements withdrawn on or after ``since`` that the user sees, newest first."""
    return list(
        Achievement.objects.for_user(user)
        .filter(status=AchievementStatus.WITHDRAWN, withdrawn_on__gte=since)
        .select_related("unit")
        .order_by("-withdrawn_on", "-id")[:limit]
    )


TRANSFEREE_LOOKUP_MIN = 2  # characters typed before the contract form offers transferees
TRANSFEREE_LOOKUP_LIMIT = 10
_CODE_PREFIX_RE = re.compile(r"^[0-9A-Z]{2,18}$")


def transferees_visible(user) -> QuerySet:
    """The transferees a user may see by name: staff all; a unit user those of their own unit's
    contracts, as the API's transferee endpoints answer them (docs/security.md, "Shared master
    data"); anybody else none. A unit user may still link any other transferee by its credit code."""
    if is_staff(user):
        return Transferee.objects.all()
    unit_id = unit_of(user)
    if unit_id is None:
        return Transferee.objects.none()
    return Transferee.objects.filter(
        pk__in=Transformation.objects.filter(unit_id=unit_id).values("transferee_id")
    )


def transferee_lookup(*, user, query: str, limit: int = TRANSFEREE_LOOKUP_LIMIT) -> list[Transferee]:
    """The contract form's autocomplete: visible transferees whose name contains ``query`` or whose
    credit code begins with it (spaces and letter case ignored), names beginning with it first,
    at most ``limit``; nothing below ``TRANSFEREE_LOOKUP_MIN`` characters. One query."""
    text = " ".join((query or "").split())[:200]
    if len(text) < TRANSFEREE_LOOKUP_MIN:
        return []
    condition = contains_q("name", text)
    code = normalize_credit_code(text)
    if _CODE_PREFIX_RE.match(code):
        condition |= Q(code__startswith=code)
    return list(
        transferees_visible(user)
        .filter(condition)
        .annotate(
            starts=Case(
                When(name__startswith=text, then=Value(0)), default=Value(1), output_field=IntegerField()
            )
        )
        .only("id", "code", "name", "region")
        .order_by("starts", "name", "pk")[:limit]
    )


def synthetic_data_present() -> bool:
    """True while the registry holds synthetic (demo) units (the site's demo banner)."""
    return Unit.objects.filter(synthetic=True).exists()

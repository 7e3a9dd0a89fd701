"""The demo data generator: a pure-Python plan of every record, deterministic for a seed.

``build_plan(seed)`` returns plain rows (no database access); ``achievements.demo.services`` writes
them. Each stage draws from its own random stream (``random.Random(f"{seed}:<stage>")``), so the
plan depends on the seed only.

The figures are met by construction: the generator first decides which achievements are
transformed in which year (exact distinct counts and transforming units), then draws contract
amounts from lognormal distributions and scales them per year, unit type and locality so that the
sums are exact to the cent (see ``targets``).
"""

import calendar
import datetime
import hashlib
import itertools
import math
import random
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from . import targets as T
from .identifiers import credit_code, patent_no, random_org_body
from .names import (
    BRAND_FIRST,
    BRAND_SECOND,
    CITY_NAMES,
    COMPANY_SUFFIXES,
    INDUSTRY_WORDS,
    INSTITUTES,
    LIAONING_DISTRICTS,
    LOCAL_CITY_WEIGHTS,
    OTHER_REGIONS,
    UNIVERSITIES,
)
from .titles import CLUSTERS, make_keywords, make_unique_title

DEFAULT_SEED = 2024
END = datetime.date(T.LAST_YEAR, 12, 31)
CLUSTER_CODES = list(CLUSTERS)

# Months weighted as contracts and registrations fall in a Chinese year: quiet around the Spring
# Festival, a rush in the last quarter.
MONTH_WEIGHTS = (5, 4, 8, 8, 8, 9, 8, 8, 9, 9, 10, 14)
_MONTH_CUM = list(itertools.accumulate(MONTH_WEIGHTS))
_MONTHS = range(1, 13)


@dataclass(slots=True)
class UnitRow:
    code: str
    name: str
    type: str
    region: str
    size: int
    clusters: list[str]


@dataclass(slots=True)
class AchievementRow:
    unit: int  # index into Plan.units
    ref: str
    title: str
    keywords: str
    ip_type: str
    patent_no: str
    cluster: str | None
    funded: bool
    registered_on: datetime.date
    ip_granted_on: datetime.date | None
    withdrawn_on: datetime.date | None
    trl: int = 0
    convertible: bool = False

    @property
    def status(self) -> str:
        return "withdrawn" if self.withdrawn_on else "active"


@dataclass(slots=True)
class TransfereeRow:
    code: str
    name: str
    region: str


@dataclass(slots=True)
class TransformationRow:
    unit: int
    achievement: int  # index into Plan.achievements
    mode: str
    signed_on: datetime.date
    local: bool
    transferee: int = -1  # index into Plan.transferees
    amount: Decimal = Decimal("0.00")
    received: Decimal | None = None
    status: str = "effective"
    ref: str = ""
    registration_no: str = ""


@dataclass
class Plan:
    seed: int
    units: list[UnitRow] = field(default_factory=list)
    achievements: list[AchievementRow] = field(default_factory=list)
    transferees: list[TransfereeRow] = field(default_factory=list)
    transformations: list[TransformationRow] = field(default_factory=list)

    def digest(self) -> str:
        """A fingerprint of the plan; ``services.demo_digest()`` computes the same from the database."""
        return digest_rows(
            units=[(u.code, u.name, u.type, u.region) for u in self.units],
            achievements=[
                (
                    self.units[a.unit].code,
                    a.ref,
                    a.title,
                    a.ip_type,
                    a.patent_no,
                    a.trl,
                    a.convertible,
                    a.registered_on.isoformat(),
                    a.withdrawn_on.isoformat() if a.withdrawn_on else "",
                )
                for a in self.achievements
            ],
            transferees=[(t.code, t.name, t.region) for t in self.transferees],
            transformations=[
                (
                    self.units[c.unit].code,
                    c.ref,
                    self.achievements[c.achievement].ref,
                    self.transferees[c.transferee].code,
                    c.mode,
                    c.signed_on.isoformat(),
                    str(c.amount),
                    "" if c.received is None else str(c.received),
                    c.status,
                )
                for c in self.transformations
            ],
        )


def digest_rows(**tables) -> str:
    sha = hashlib.sha256()
    for name in sorted(tables):
        sha.update(name.encode())
        for row in sorted("|".join(str(v) for v in row) for row in tables[name]):
            sha.update(row.encode())
            sha.update(b"\n")
    return sha.hexdigest()


# --- small helpers -------------------------------------------------------------------------------


def _random_date(rng: random.Random, year: int, earliest: datetime.date | None = None) -> datetime.date:
    """A date in ``year`` (months weighted), not before ``earliest``."""
    start = datetime.date(year, 1, 1)
    if earliest and earliest > start:
        start = earliest
    month = rng.choices(_MONTHS, cum_weights=_MONTH_CUM)[0]
    day = rng.randint(1, calendar.monthrange(year, month)[1])
    candidate = datetime.date(year, month, day)
    if candidate < start:
        candidate = start + datetime.timedelta(
            days=rng.randint(0, (datetime.date(year, 12, 31) - start).days)
        )
    return candidate


def _split(rng: random.Random, total: int, weights: list[float], minimum: int = 1) -> list[int]:
    """Split ``total`` into len(weights) parts of at least ``minimum``, the rest by weight."""
    parts = [minimum] * len(weights)
    rest = total - minimum * len(weights)
    for i in rng.choices(range(len(weights)), weights=weights, k=rest):
        parts[i] += 1
    return parts


def _nice_yuan(value: float) -> int:
    """Round an amount the way contract prices are written: whole thousands or tens of thousands."""
    step = (
        1000 if value < 100_000 else 5000 if value < 1_000_000 else 10_000 if value < 10_000_000 else 100_000
    )
    return max(1000, int(round(value / step)) * step)


# --- stages --------------------------------------------------------------------------------------


def _build_units(plan: Plan) -> None:
    rng = random.Random(f"{plan.seed}:units")
    codes: set[str] = set()
    for unit_type, rows in ((T.UNIVERSITY, UNIVERSITIES), (T.INSTITUTE, INSTITUTES)):
        for name, region, size, clusters in rows:
            while True:
                code = credit_code("12", region[:4] + "00", random_org_body(rng, modern=False))
                if code not in codes:
                    break
            codes.add(code)
            plan.units.append(UnitRow(code, name, unit_type, region, size, clusters))


IP_WEIGHTS = {
    "invention_patent": 58,
    "utility_model": 17,
    "design": 2,
    "software": 12,
    "plant_variety": 0,
    "ic_layout": 0,
    "know_how": 6,
    "other": 2,
}
IP_ADJUST = {
    "D01": {"plant_variety": 10},
    "D03": {"design": 8},
    "E01": {"ic_layout": 10},
    "A05": {"ic_layout": 2},
    "E04": {"software": 45, "invention_patent": 35},
    "E02": {"know_how": 12},
}
PATENT_TYPE = {
    "invention_patent": ("1", "8", 0.04),
    "utility_model": ("2", "9", 0.01),
    "design": ("3", "3", 0.0),
}
GRANT_DELAY = {"invention_patent": (540, 1300), "utility_model": (150, 400), "design": (120, 300)}


def _ip_details(rng, ip_type, registered_on, used_patent_nos):
    """(patent_no, ip_granted_on) consistent with the type and the registration date."""
    if ip_type in PATENT_TYPE:
        lead = rng.randint(30, 1400 if ip_type == "invention_patent" else 500)
        filed = registered_on - datetime.timedelta(days=lead)
        digit, pct_digit, pct_share = PATENT_TYPE[ip_type]
        type_digit = pct_digit if rng.random() < pct_share else digit
        while True:
            number = patent_no(filed.year, type_digit, rng.randint(1, 1_999_999))
            if number not in used_patent_nos:
                used_patent_nos.add(number)
                break
        lo, hi = GRANT_DELAY[ip_type]
        granted = filed + datetime.timedelta(days=rng.randint(lo, hi))
        return number, (granted if granted <= END else None)
    if ip_type in ("software", "plant_variety", "ic_layout"):
        return "", registered_on - datetime.timedelta(days=rng.randint(20, 700))
    return "", None


def _build_achievements(plan: Plan) -> None:
    rng = random.Random(f"{plan.seed}:achievements")
    seen_titles: set[str] = set()
    unit_titles: dict[int, set[str]] = {}
    used_patent_nos: set[str] = set()
    ip_types = list(IP_WEIGHTS)
    ip_cum = {
        code: list(itertools.accumulate(dict(IP_WEIGHTS, **IP_ADJUST.get(code, {}))[t] for t in ip_types))
        for code in CLUSTER_CODES
    }
    for year in T.REGISTRATION_YEARS:
        for scope in T.SCOPES:
            unit_ids = [i for i, u in enumerate(plan.units) if u.type == scope]
            counts = _split(rng, T.REGISTRATIONS[scope][year], [plan.units[i].size for i in unit_ids])
            for unit_id, count in zip(unit_ids, counts, strict=True):
                unit = plan.units[unit_id]
                dates = sorted(_random_date(rng, year) for _ in range(count))
                for serial, registered_on in enumerate(dates, start=1):
                    roll = rng.random()
                    if roll < 0.72:
                        cluster = rng.choice(unit.clusters)
                    elif roll < 0.96:
                        cluster = rng.choice(CLUSTER_CODES)
                    else:
                        cluster = None
                    vocabulary = cluster or rng.choice(unit.clusters)
                    ip_type = rng.choices(ip_types, cum_weights=ip_cum[vocabulary])[0]
                    title, used = make_unique_title(
                        rng, vocabulary, ip_type, seen_titles, unit_titles.setdefault(unit_id, set())
                    )
                    number, granted = _ip_details(rng, ip_type, registered_on, used_patent_nos)
                    withdrawn_on = None
                    if rng.random() < T.WITHDRAWN_SHARE and (END - registered_on).days > 30:
                        withdrawn_on = min(
                            END, registered_on + datetime.timedelta(days=rng.randint(30, 1500))
                        )
                    plan.achievements.append(
                        AchievementRow(
                            unit=unit_id,
                            ref=f"CG{year}{serial:04d}",
                            title=title,
                            keywords=make_keywords(rng, vocabulary, used),
                            ip_type=ip_type,
                            patent_no=number,
                            cluster=cluster,
                            funded=rng.random() < (0.86 if scope == T.UNIVERSITY else 0.8),
                            registered_on=registered_on,
                            ip_granted_on=granted,
                            withdrawn_on=withdrawn_on,
                        )
                    )


def _stock(plan: Plan, scope: str, year: int) -> int:
    end = datetime.date(year, 12, 31)
    return sum(
        1
        for a in plan.achievements
        if plan.units[a.unit].type == scope
        and a.registered_on <= end
        and not (a.withdrawn_on and a.withdrawn_on <= end)
    )


def _transforming_units(rng, plan, scope, count):
    """``count`` units of the type: the largest ones always, the others drawn by size."""
    ids = sorted((i for i, u in enumerate(plan.units) if u.type == scope), key=lambda i: -plan.units[i].size)
    core = ids[: count - 6]
    others = ids[count - 6 :]
    chosen = list(core)
    while len(chosen) < count:
        pick = rng.choices(others, weights=[plan.units[i].size for i in others])[0]
        others.remove(pick)
        chosen.append(pick)
    return set(chosen)


def _by_unit(plan: Plan, indexes: list[int]) -> dict[int, list[int]]:
    groups: dict[int, list[int]] = {}
    for i in indexes:
        groups.setdefault(plan.achievements[i].unit, []).append(i)
    return groups


def _choose_transformed(plan: Plan) -> dict[tuple[str, int], list[int]]:
    """For each (unit type, year): the achievements transformed that year (exact distinct counts)."""
    rng = random.Random(f"{plan.seed}:transformed")
    chosen: dict[tuple[str, int], list[int]] = {}
    for scope in T.SCOPES:
        members = [i for i, a in enumerate(plan.achievements) if plan.units[a.unit].type == scope]
        # Withdrawn achievements never carry an effective contract.
        eligible = [i for i in members if plan.achievements[i].withdrawn_on is None]
        transformed_before: list[int] = []
        done: set[int] = set()
        for year in T.ACTIVITY_YEARS:
            end = datetime.date(year, 12, 31)
            total = T.TRANSFORMED[scope][year]
            share = T.REPEAT_SHARE[scope][year]
            if share is None:
                # Conversion rate target: distinct achievements transformed up to the year's end
                # over the year's stock.
                stock = _stock(plan, scope, year)
                wanted = int((T.CONVERSION_RATE * stock).to_integral_value(ROUND_HALF_UP))
                firsts = wanted - len(done)
            else:
                firsts = total - round(total * share)
            repeats = total - firsts
            assert 0 <= repeats <= len(transformed_before), (scope, year, firsts, repeats)
            units = _transforming_units(rng, plan, scope, T.TRANSFORMING_UNITS[scope][year])
            fresh = [
                i
                for i in eligible
                if i not in done
                and plan.achievements[i].registered_on <= end
                and plan.achievements[i].unit in units
            ]
            again = [i for i in transformed_before if plan.achievements[i].unit in units]
            picked: list[int] = []
            picked_set: set[int] = set()
            # Every transforming unit gets at least one achievement.
            fresh_by_unit = _by_unit(plan, fresh)
            again_by_unit = _by_unit(plan, again)
            for unit_id in sorted(units):
                own_fresh = fresh_by_unit.get(unit_id, [])
                own_again = again_by_unit.get(unit_id, [])
                if own_fresh and firsts > sum(1 for i in picked if i not in done):
                    pick = rng.choice(own_fresh)
                elif own_again:
                    pick = rng.choice(own_again)
                else:
                    raise AssertionError(
                        f"unit {plan.units[unit_id].name} has nothing to transform in {year}"
                    )
                picked.append(pick)
                picked_set.add(pick)
            n_fresh = sum(1 for i in picked if i not in done)
            n_again = len(picked) - n_fresh
            fresh_left = [i for i in fresh if i not in picked_set]
            again_left = [i for i in again if i not in picked_set]
            assert firsts - n_fresh <= len(fresh_left) and repeats - n_again <= len(again_left), (scope, year)
            picked += rng.sample(fresh_left, firsts - n_fresh)
            picked += rng.sample(again_left, repeats - n_again)
            assert len(picked) == total == len(set(picked))
            for i in picked:
                if i not in done:
                    done.add(i)
                    transformed_before.append(i)
            chosen[(scope, year)] = sorted(picked)
    return chosen


def _raw_amount(rng: random.Random, mode: str) -> float:
    for name, _weight, median, sigma in T.MODES:
        if name == mode:
            return min(T.MAX_RAW_AMOUNT, rng.lognormvariate(math.log(median), sigma))
    raise KeyError(mode)


def _build_contracts(plan: Plan, chosen: dict[tuple[str, int], list[int]]) -> None:
    rng = random.Random(f"{plan.seed}:contracts")
    modes = [m[0] for m in T.MODES]
    mode_weights = [m[1] for m in T.MODES]
    per_achievement = [n for n, _ in T.CONTRACTS_PER_ACHIEVEMENT]
    per_weights = [w for _, w in T.CONTRACTS_PER_ACHIEVEMENT]
    for year in T.ACTIVITY_YEARS:
        local_p = float(T.LOCAL_SHARE[year])
        cells: dict[tuple[str, bool], list[TransformationRow]] = {}
        raw: dict[int, float] = {}
        for scope in T.SCOPES:
            for index in chosen[(scope, year)]:
                achievement = plan.achievements[index]
                for _ in range(rng.choices(per_achievement, weights=per_weights)[0]):
                    row = TransformationRow(
                        unit=achievement.unit,
                        achievement=index,
                        mode=rng.choices(modes, weights=mode_weights)[0],
                        signed_on=_random_date(rng, year, earliest=achievement.registered_on),
                        local=rng.random() < local_p,
                    )
                    raw[id(row)] = _raw_amount(rng, row.mode)
                    cells.setdefault((scope, row.local), []).append(row)
        # Exact sums per (unit type, locality): the year's local amount split between the types in
        # proportion to their amounts, rounded to thousands of yuan.
        total = sum(T.AMOUNT[s][year] for s in T.SCOPES)
        local_total = int((T.LOCAL_SHARE[year] * total / 1000).to_integral_value(ROUND_HALF_UP)) * 1000
        uni_local = round(local_total * T.AMOUNT[T.UNIVERSITY][year] / total / 1000) * 1000
        cell_targets = {
            (T.UNIVERSITY, True): uni_local,
            (T.UNIVERSITY, False): T.AMOUNT[T.UNIVERSITY][year] - uni_local,
            (T.INSTITUTE, True): local_total - uni_local,
            (T.INSTITUTE, False): T.AMOUNT[T.INSTITUTE][year] - (local_total - uni_local),
        }
        for key, target in cell_targets.items():
            rows = cells.get(key)
            assert rows, (year, key)
            factor = target / sum(raw[id(r)] for r in rows)
            amounts = [_nice_yuan(raw[id(r)] * factor) for r in rows]
            largest = max(range(len(rows)), key=lambda i: amounts[i])
            amounts[largest] += target - sum(amounts)
            assert amounts[largest] > 0
            for row, yuan in zip(rows, amounts, strict=True):
                row.amount = Decimal(yuan).quantize(Decimal("0.01"))
                row.received = _received(rng, row.amount, year)
                plan.transformations.append(row)


def _received(rng: random.Random, amount: Decimal, year: int) -> Decimal | None:
    """Money received so far: older contracts mostly paid in full, recent ones in part."""
    roll = rng.random()
    if roll < 0.04:
        return None
    full_share = {2023: 0.45, 2024: 0.3, 2025: 0.15}.get(year, 0.7)
    if roll < 0.04 + full_share:
        return amount
    fraction = Decimal(rng.randint(0, 95)) / 100
    return ((amount * fraction / 100).quantize(Decimal("1"), rounding=ROUND_DOWN) * 100).quantize(
        Decimal("0.01")
    )


def _build_cancelled(plan: Plan) -> None:
    """Cancelled contracts on top of the effective ones: they count nowhere."""
    rng = random.Random(f"{plan.seed}:cancelled")
    modes = [m[0] for m in T.MODES]
    mode_weights = [m[1] for m in T.MODES]
    candidates = [
        i
        for i, a in enumerate(plan.achievements)
        if a.withdrawn_on is None and a.registered_on.year <= T.LAST_YEAR - 1
    ]
    count = int(len(plan.transformations) * T.CANCELLED_SHARE)
    for index in rng.sample(candidates, count):
        achievement = plan.achievements[index]
        year = rng.randint(max(T.FIRST_ACTIVITY_YEAR, achievement.registered_on.year), T.LAST_YEAR)
        mode = rng.choices(modes, weights=mode_weights)[0]
        amount = Decimal(_nice_yuan(_raw_amount(rng, mode))).quantize(Decimal("0.01"))
        plan.transformations.append(
            TransformationRow(
                unit=achievement.unit,
                achievement=index,
                mode=mode,
                signed_on=_random_date(rng, year, earliest=achievement.registered_on),
                local=rng.random() < float(T.LOCAL_SHARE[year]),
                amount=amount,
                received=rng.choice([None, Decimal("0.00"), (amount / 10).quantize(Decimal("0.01"))]),
                status="cancelled",
            )
        )


def _build_transferees(plan: Plan) -> None:
    """Enterprises that take up achievements; returning customers are reused per cluster."""
    rng = random.Random(f"{plan.seed}:transferees")
    pools: dict[tuple[str, bool], list[int]] = {}
    names: set[str] = set()
    codes: set[str] = set()
    local_cities = list(LOCAL_CITY_WEIGHTS)
    local_weights = [LOCAL_CITY_WEIGHTS[c] for c in local_cities]
    other_weights = [w for _, _, w in OTHER_REGIONS]
    for row in sorted(plan.transformations, key=lambda r: (r.signed_on, r.unit, r.achievement)):
        achievement = plan.achievements[row.achievement]
        cluster = achievement.cluster or plan.units[achievement.unit].clusters[0]
        pool = pools.setdefault((cluster, row.local), [])
        if pool and rng.random() < 0.45:
            row.transferee = rng.choice(pool)
            continue
        if row.local:
            city = rng.choices(local_cities, weights=local_weights)[0]
            region = rng.choice(LIAONING_DISTRICTS[city])
            city_name = CITY_NAMES[city[:4]]
        else:
            region, city_name, _ = rng.choices(OTHER_REGIONS, weights=other_weights)[0]
        while True:
            industry = rng.choice(INDUSTRY_WORDS[cluster])
            suffixes = [
                s for s in COMPANY_SUFFIXES if not (industry.endswith("科技") and s.startswith("科技"))
            ]
            name = (
                city_name
                + rng.choice(BRAND_FIRST)
                + rng.choice(BRAND_SECOND)
                + industry
                + rng.choice(suffixes)
            )
            if name not in names:
                break
        names.add(name)
        while True:
            code = credit_code("91", region, random_org_body(rng, modern=rng.random() < 0.6))
            if code not in codes:
                break
        codes.add(code)
        plan.transferees.append(TransfereeRow(code, name, region))
        row.transferee = len(plan.transferees) - 1
        pool.append(row.transferee)


def _assign_refs(plan: Plan) -> None:
    rng = random.Random(f"{plan.seed}:refs")
    serial: dict[tuple[int, int], int] = {}
    registered: dict[tuple[int, str], int] = {}
    plan.transformations.sort(key=lambda r: (r.unit, r.signed_on, r.achievement, r.status, r.amount))
    for row in plan.transformations:
        year = row.signed_on.year
        n = serial[(row.unit, year)] = serial.get((row.unit, year), 0) + 1
        row.ref = f"HT{year}{n:04d}"
        if rng.random() < 0.7:
            city = plan.units[row.unit].region[:4] + "00"
            m = registered[(year, city)] = registered.get((year, city), 0) + 1
            row.registration_no = f"{year}{city}{m:06d}"


def _assign_maturity_and_convertible(plan: Plan) -> None:
    """Technology readiness (transformed achievements are more mature) and the convertible list."""
    rng = random.Random(f"{plan.seed}:maturity")
    transformed = {r.achievement for r in plan.transformations if r.status == "effective"}
    mature = (5, 6, 7, 8, 9), (8, 24, 32, 22, 14)
    young = (3, 4, 5, 6, 7, 8, 9), (14, 22, 25, 21, 12, 4, 2)
    for i, a in enumerate(plan.achievements):
        levels, weights = mature if i in transformed else young
        a.trl = rng.choices(levels, weights=weights)[0]
    # Exactly CONVERTIBLE_TOTAL achievements registered by the end of the convertible year and never
    # withdrawn, so the convertible stock stays the same in later years; at least one per unit.
    cutoff = datetime.date(T.CONVERTIBLE_YEAR, 12, 31)
    candidates = [
        i for i, a in enumerate(plan.achievements) if a.withdrawn_on is None and a.registered_on <= cutoff
    ]
    picked: set[int] = set()
    by_unit = _by_unit(plan, candidates)
    for unit_id in range(len(plan.units)):
        own = by_unit[unit_id]
        best = max(plan.achievements[i].trl for i in own)
        picked.add(rng.choice([i for i in own if plan.achievements[i].trl == best]))
    high = [i for i in candidates if plan.achievements[i].trl >= 6 and i not in picked]
    picked.update(rng.sample(high, T.CONVERTIBLE_TOTAL - len(picked)))
    for i in picked:
        plan.achievements[i].convertible = True


def build_plan(seed: int = DEFAULT_SEED) -> Plan:
    plan = Plan(seed=seed)
    _build_units(plan)
    _build_achievements(plan)
    chosen = _choose_transformed(plan)
    _build_contracts(plan, chosen)
    _build_cancelled(plan)
    _build_transferees(plan)
    _assign_refs(plan)
    _assign_maturity_and_convertible(plan)
    return plan


def unit_codes(seed: int = DEFAULT_SEED) -> list[str]:
    """The unit codes of a seed's plan, cheaply (to recognise data already seeded)."""
    plan = Plan(seed=seed)
    _build_units(plan)
    return [u.code for u in plan.units]

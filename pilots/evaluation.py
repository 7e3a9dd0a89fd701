"""The evaluation arithmetic: figures of a base's year → points per indicator (range tables) →
score → rank and grade. Pure functions on plain values (no database, no ``eval``): the rubric is
data (``Rubric``, ``RubricIndicator``, ``RubricBand``), loaded into ``RubricSpec`` by the
selectors and written by ``services.evaluate_year``.

Rules (docs/pilots.md, "Evaluation"):

- an indicator reads one figure (``Source``); its range table is a list of (lower bound, points):
  the value earns the points of the row with the highest lower bound not above it, 0 below the
  first row or when the figure is missing (a rating not given, per-staff figures with no staff);
- the score is the sum of the points (2 decimal places);
- rank: by score, highest first; equal scores share a rank (1, 2, 2, 4);
- grade: 优秀 when the score reaches the excellent line *and* the rank is within the top share
  (rank ≤ share × bases evaluated); otherwise 良好 from the good line (a score above the excellent
  line outside the top share is 良好), 合格 from the pass line, 不合格 below it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from .choices import Grade, Source

TWO = Decimal("0.01")
FOUR = Decimal("0.0001")


@dataclass(frozen=True)
class IndicatorSpec:
    code: str
    name: str
    group: str
    source: str
    weight: Decimal
    bands: tuple[tuple[Decimal, Decimal], ...]  # (lower, points), ascending by lower


@dataclass(frozen=True)
class RubricSpec:
    year: int
    indicators: tuple[IndicatorSpec, ...]
    top_share: Decimal = Decimal("0.300")
    excellent_min: Decimal = Decimal(90)
    good_min: Decimal = Decimal(70)
    pass_min: Decimal = Decimal(60)


@dataclass
class Scored:
    score: Decimal
    lines: list[dict] = field(default_factory=list)


def _dec(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _per(numerator, denominator) -> Decimal | None:
    if numerator is None or not denominator:
        return None
    return (Decimal(str(numerator)) / Decimal(str(denominator))).quantize(FOUR, ROUND_HALF_UP)


def figures(*, base: dict, report: dict, rating: dict | None) -> dict[str, Decimal | None]:
    """Every figure an indicator may read, from the base's register entry, its year's report
    and the department's rating (plain dicts of the model fields)."""
    served = report.get("enterprises_served")
    revenue_10k = _per(report.get("revenue"), 10_000)
    staff = report.get("staff_year_end")
    rating = rating or {}
    return {
        Source.SITE_AREA: _dec(base.get("site_area_m2")),
        Source.EQUIPMENT: _dec(base.get("equipment_count")),
        Source.STAFF: _dec(base.get("staff_count")),
        Source.PILOT_TESTS: _dec(report.get("pilot_tests")),
        Source.ACHIEVEMENTS_TESTED: _dec(report.get("achievements_tested")),
        Source.ENTERPRISES: _dec(served),
        Source.LOCAL_SHARE: _per(Decimal(100) * report.get("enterprises_local", 0), served)
        if served
        else None,
        Source.REVENUE: revenue_10k,
        Source.UTILISATION: _dec(report.get("equipment_utilisation")),
        Source.TESTS_PER_STAFF: _per(report.get("pilot_tests"), staff),
        Source.ENTERPRISES_PER_STAFF: _per(served, staff),
        Source.REVENUE_PER_STAFF: _per(revenue_10k, staff),
        Source.MANAGEMENT: _dec(rating.get("management")),
        Source.REPUTATION: _dec(rating.get("reputation")),
    }


def band_points(bands, value: Decimal | None) -> tuple[Decimal, Decimal | None]:
    """(points, lower bound of the row that gave them, or None)."""
    if value is None:
        return Decimal(0), None
    chosen = None
    for lower, points in bands:
        if value >= lower:
            chosen = (Decimal(points), lower)
    return chosen if chosen else (Decimal(0), None)


def score(rubric: RubricSpec, values: dict[str, Decimal | None]) -> Scored:
    """The score and one line per indicator: group, indicator, figure read, value, the range row
    that applied, points and the maximum."""
    total = Decimal(0)
    lines = []
    for indicator in rubric.indicators:
        value = values.get(indicator.source)
        points, lower = band_points(indicator.bands, value)
        points = min(points, indicator.weight)
        total += points
        lines.append(
            {
                "group": indicator.group,
                "code": indicator.code,
                "name": indicator.name,
                "source": indicator.source,
                "value": None if value is None else str(value),
                "band": None if lower is None else str(lower),
                "points": str(points.quantize(TWO)),
                "weight": str(Decimal(indicator.weight).quantize(TWO)),
            }
        )
    return Scored(total.quantize(TWO, ROUND_HALF_UP), lines)


def ranks(scores: dict) -> dict:
    """Competition ranking (1, 2, 2, 4) by score, highest first."""
    ordered = sorted(scores.values(), reverse=True)
    return {key: ordered.index(value) + 1 for key, value in scores.items()}


def grade(rubric: RubricSpec, score_: Decimal, rank: int, evaluated: int) -> str:
    if score_ >= rubric.excellent_min and Decimal(rank) <= rubric.top_share * evaluated:
        return Grade.EXCELLENT
    if score_ >= rubric.good_min:
        return Grade.GOOD
    if score_ >= rubric.pass_min:
        return Grade.PASS
    return Grade.FAIL


def grade_all(rubric: RubricSpec, scores: dict) -> dict:
    """{key: (rank, grade)} for every scored base."""
    ranked = ranks(scores)
    return {
        key: (ranked[key], grade(rubric, value, ranked[key], len(scores))) for key, value in scores.items()
    }

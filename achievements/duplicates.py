"""Likely duplicates of an achievement, for the merge page (docs/registry-pages.md, "Duplicates").

Staff merge duplicates of one unit (``services.achievement_merge``); the merge page lists the
active records of the same unit that look like the one kept:

- the same patent number (which the registry refuses for new records of a unit, but older or
  withdrawn-and-restored data may still hold), or
- a very similar title: equal once normalised (letter case, spaces and punctuation removed), or a
  ``difflib`` similarity ratio of at least ``TITLE_RATIO``.

Cheap on both databases. Two titles whose normalised lengths differ by more than ``LENGTH_SPREAD``
(about 1.35×) cannot reach the ratio, so: one query for the id and title of the unit's active
records whose stored title is at least the kept title's normalised length / ``LENGTH_SPREAD`` long
(normalising removes characters, so a shorter stored title cannot qualify — except through rare
compatibility characters that grow, such as ``ﬁ`` or ``ß``); then, on the
normalised titles, the exact length window (a longer title can only be told once its punctuation is
removed) and ``difflib``'s character-count bound (``quick_ratio``) before the exact ratio, so most
candidates cost a few microseconds; the records found are loaded at the end.
"""

from __future__ import annotations

import difflib
import math
import re
import unicodedata
from dataclasses import dataclass

from django.db.models.functions import Length

from .choices import AchievementStatus
from .models import Achievement

TITLE_RATIO = 0.85
# ratio = 2·matches / (len a + len b) ≤ 2·min / (min + max): below TITLE_RATIO once
# max > min · (2 − r) / r, i.e. about 1.35 × for r = 0.85. The bound between two normalised titles.
LENGTH_SPREAD = (2 - TITLE_RATIO) / TITLE_RATIO
LIMIT = 20

_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)


def normalise_title(title: str) -> str:
    """Letter case, full-width forms, spaces and punctuation do not make two titles different."""
    return _NOT_WORD.sub("", unicodedata.normalize("NFKC", title or "").casefold())


@dataclass(frozen=True)
class Candidate:
    achievement: Achievement
    same_patent: bool
    similarity: float  # 0..1, title similarity (1.0: equal once normalised)

    @property
    def similar_title(self) -> bool:
        """The title is one of the reasons the record is listed (``TITLE_RATIO`` or more)."""
        return self.similarity >= TITLE_RATIO


def likely_duplicates(keep: Achievement, *, limit: int = LIMIT) -> list[Candidate]:
    """The active records of ``keep``'s unit that are likely duplicates of it, the most likely first
    (same patent number, then by title similarity). Three queries at most: the same patent number,
    the titles in the length window (id and title only), the records found."""
    title = normalise_title(keep.title)
    shortest, longest = length_window(len(title))
    base = Achievement.objects.filter(unit_id=keep.unit_id, status=AchievementStatus.ACTIVE).exclude(
        pk=keep.pk
    )
    scores: dict[int, tuple[bool, float]] = {}  # pk -> (same patent number, title similarity)
    if keep.patent_no:
        for pk, other in base.filter(patent_no=keep.patent_no).values_list("pk", "title"):
            scores[pk] = (True, _ratio(title, normalise_title(other)))
    if title:
        # The stored title is the normalised one plus what normalising removes: never shorter.
        window = base.annotate(title_length=Length("title")).filter(title_length__gte=shortest)
        matcher = difflib.SequenceMatcher(autojunk=False)
        matcher.set_seq2(title)  # difflib caches details of the second sequence
        for pk, other in window.values_list("pk", "title"):
            if pk in scores:
                continue
            other = normalise_title(other)
            if other == title:
                scores[pk] = (False, 1.0)
                continue
            if not shortest <= len(other) <= longest:
                continue
            matcher.set_seq1(other)
            if matcher.quick_ratio() >= TITLE_RATIO and matcher.ratio() >= TITLE_RATIO:
                scores[pk] = (False, matcher.ratio())
    ranked = sorted(scores.items(), key=lambda item: (not item[1][0], -item[1][1], item[0]))[:limit]
    records = Achievement.objects.in_bulk([pk for pk, _score in ranked])
    return [Candidate(records[pk], same, similarity) for pk, (same, similarity) in ranked if pk in records]


def length_window(length: int) -> tuple[int, int]:
    """The normalised title lengths that can reach ``TITLE_RATIO`` with a normalised title of
    ``length`` characters: from length / ``LENGTH_SPREAD`` to length × ``LENGTH_SPREAD``, whole
    characters (the same bound as ``difflib``'s ``real_quick_ratio``)."""
    return math.ceil(length / LENGTH_SPREAD - 1e-9), math.floor(length * LENGTH_SPREAD + 1e-9)


def _ratio(a: str, b: str) -> float:
    if a == b:
        return 1.0
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()

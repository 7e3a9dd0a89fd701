"""The duplicate-patent rule in the import (docs/exchange.md, "Duplicate patent numbers").

The rule is the registry's (``achievements.models.patent_clashes``): an active achievement may not
carry a patent number another active achievement of its unit already has; other units may (co-owned
patents). The validator hands each chunk of valid achievement rows to ``PatentCheck.chunk``, which
asks the registry for the holders of the chunk's numbers in one query and compares the rows with
them and with the rows of the file seen before:

- the same unit (in the registry, or an earlier row of the file) → a problem on the row's patent
  number, naming the record (the registry's message, ``duplicate_patent_error``: its number, page
  and the hint to merge there) or the earlier row; the file is refused as for any other problem;
- other units only → a warning in the preview (how many rows; staff see which records): the rows
  are imported.

A confirmed import writes each chunk as soon as it is checked, so the registry it asks already holds
what the file's earlier rows wrote: the records they created are left out of the holders (they are
the rows of the file ``seen`` before), those they updated are taken as they were before the import
(``PatentCheck.updated``), and the check gives what the preview gave.

The rule is asked of a row as of a record (``achievements.models.patent_rule_applies``): when it
adds a record, or changes its record's patent number, status or unit. A row whose record (same unit
and ref) already holds the number as an active record changes none of them: it is not checked, so
an unchanged export holding a pair from before the rule imports again, and an edit of another column
of such a record is allowed (the pair stays on the merge page). Nor is it warned about again: the
warning is for a number new to the record, as on the page and in the API.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from achievements.choices import AchievementStatus
from achievements.models import (
    PatentHolder,
    duplicate_patent_error,
    patent_clashes,
    patent_holders,
    patent_rule_applies,
)

from . import format as fmt

A = fmt.ACHIEVEMENTS.index
MAX_LISTED = 20  # warnings listed in the preview (the count is always complete)


class PatentCheck:
    def __init__(self, *, detailed: bool):
        self.detailed = detailed  # staff imports may name other units' records; a unit's may not
        self.seen: dict[tuple[str, str], tuple[int, str]] = {}  # (unit code, number) -> (row, ref)
        self.warnings: list[dict] = []
        self.warning_count = 0
        # A confirmed import writes each chunk as it goes, and the rule must see the registry as the
        # preview saw it: the records it has written are left out of the holders (those it created
        # are the file's earlier rows, compared as rows: ``seen``), and those it updated are put
        # back as they were before (``before``: number -> holders).
        self.written: set[int] = set()
        self.before: dict[str, list[PatentHolder]] = {}

    def chunk(self, rows: dict, unit_ids: dict[str, int]) -> list[tuple[tuple, int, tuple, str]]:
        """``rows``: {(unit code, ref): (row number, values)} of valid rows; ``unit_ids``: the
        registry's units by code. Returns (key, row number, values, message) for each refused row."""
        numbers = [v[A["patent_no"]] for _row, v in rows.values() if v[A["patent_no"]]]
        if not numbers:
            return []
        holders = patent_holders(numbers)
        if self.written:
            holders = {n: [h for h in found if h.pk not in self.written] for n, found in holders.items()}
            for number in set(numbers) & self.before.keys():
                holders[number] = sorted([*holders.get(number, ()), *self.before[number]], key=lambda h: h.pk)
        refused = []
        for key, (row_no, v) in sorted(rows.items(), key=lambda item: item[1][0]):
            unit_code, ref = key
            number = v[A["patent_no"]]
            if not number or v[A["status"]] != AchievementStatus.ACTIVE:
                continue
            unit_id = unit_ids.get(unit_code)
            # The row's own record (same unit and ref) holding the number as an active record: the
            # row changes none of the rule's fields. Otherwise the record is new, or its number or
            # status changes (the rule applies, as to a new record).
            holds = any(h.unit_id == unit_id and h.ref == ref for h in holders.get(number, ()))
            stored = {"patent_no": number, "status": AchievementStatus.ACTIVE, "unit_id": unit_id}
            new = {"patent_no": number, "status": v[A["status"]], "unit_id": unit_id}
            if not patent_rule_applies(old=stored if holds else None, new=new):
                continue
            earlier = self.seen.get((unit_code, number))
            if earlier is not None and earlier[1] != ref:
                refused.append(
                    (
                        key,
                        row_no,
                        v,
                        _(
                            "文件中同一单位的第 %(row)d 行（成果编号 %(ref)s）已使用该专利号，同一单位不能重复登记。"
                        )
                        % {"row": earlier[0], "ref": earlier[1]},
                    )
                )
                continue
            self.seen.setdefault((unit_code, number), (row_no, ref))
            same, others = patent_clashes(
                pk=None,  # (the row's record does not hold the number: it is none of the holders)
                unit_id=unit_id,
                patent_no=number,
                status=v[A["status"]],
                holders=holders,
            )
            if same:
                # The registry's own message (with its hint to merge on the record's page).
                refused.append((key, row_no, v, duplicate_patent_error(same[0]).messages[0]))
            elif others:
                self._warn(row_no, ref, number, others)
        return refused

    def updated(self, pk: int, unit_id: int, ref: str, *, patent_no, status, title) -> None:
        """A confirmed import is about to update record ``pk``, whose stored number, status and
        title were these: for the rest of the file, it holds what it held before."""
        self.written.add(pk)
        if patent_no and status == AchievementStatus.ACTIVE:
            self.before.setdefault(patent_no, []).append(PatentHolder(pk, unit_id, ref, title))

    def _warn(self, row_no: int, ref: str, number: str, others) -> None:
        self.warning_count += 1
        if len(self.warnings) >= MAX_LISTED:
            return
        if self.detailed:
            records = "；".join(f"{h.ref}“{h.title}”" for h in others[:3])
            message = _("专利号 %(number)s 已由其他单位登记（%(records)s）；作为共有专利导入。") % {
                "number": number,
                "records": records,
            }
        else:
            message = _("专利号 %(number)s 已由其他单位登记（%(n)d 条）；作为共有专利导入。") % {
                "number": number,
                "n": len(others),
            }
        self.warnings.append(
            {"sheet": fmt.ACHIEVEMENTS.name, "row": row_no, "key": ref, "message": str(message)}
        )

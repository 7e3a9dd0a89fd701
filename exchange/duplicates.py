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

A row that updates the record holding the number (same unit and ref) is that record, not a clash.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from achievements.choices import AchievementStatus
from achievements.models import duplicate_patent_error, patent_clashes, patent_holders

from . import format as fmt

A = fmt.ACHIEVEMENTS.index
MAX_LISTED = 20  # warnings listed in the preview (the count is always complete)


class PatentCheck:
    def __init__(self, *, detailed: bool):
        self.detailed = detailed  # staff imports may name other units' records; a unit's may not
        self.seen: dict[tuple[str, str], tuple[int, str]] = {}  # (unit code, number) -> (row, ref)
        self.warnings: list[dict] = []
        self.warning_count = 0

    def chunk(self, rows: dict, unit_ids: dict[str, int]) -> list[tuple[tuple, int, tuple, str]]:
        """``rows``: {(unit code, ref): (row number, values)} of valid rows; ``unit_ids``: the
        registry's units by code. Returns (key, row number, values, message) for each refused row."""
        numbers = [v[A["patent_no"]] for _row, v in rows.values() if v[A["patent_no"]]]
        if not numbers:
            return []
        holders = patent_holders(numbers)
        refused = []
        for key, (row_no, v) in sorted(rows.items(), key=lambda item: item[1][0]):
            unit_code, ref = key
            number = v[A["patent_no"]]
            if not number or v[A["status"]] != AchievementStatus.ACTIVE:
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
            unit_id = unit_ids.get(unit_code)
            # The row's own record (same unit and ref) is not a clash with itself.
            own = [h for h in holders.get(number, ()) if h.unit_id == unit_id and h.ref == ref]
            same, others = patent_clashes(
                pk=own[0].pk if own else None,
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

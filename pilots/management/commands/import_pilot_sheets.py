"""Import the pilot sheets (``pilot_bases``, ``pilot_funds``) of an exchange workbook or CSV zip.

The registry's import (``import_registry``, the import page) reads these sheets too, with the
registry's; this command reads only them (a file without the registry's sheets) and writes through
``pilots.services`` as the system, all rows of a sheet or none. ``--dry-run`` checks without
writing. The sheets may be named ``pilot_bases`` or ``中试基地`` (``pilot_funds`` or ``中试基地资金``)."""

import csv
import io
import zipfile
from pathlib import Path

import openpyxl
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import translation

from core.registry import exchange_sheets
from core.spreadsheets import unneutralise


def read_sheets(path: Path, names: dict[str, str]) -> dict[str, list[list]]:
    """{sheet name: rows (header first)} of the wanted sheets found in the file (``names``: the
    name or Chinese title -> the sheet's name)."""
    found = {}
    if path.suffix.lower() == ".zip":
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                stem = Path(info.filename).stem
                if stem in names:
                    text = archive.read(info).decode("utf-8-sig")
                    found[names[stem]] = list(csv.reader(io.StringIO(text)))
        return found
    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    for name in set(names) & set(workbook.sheetnames):
        found[names[name]] = [list(row) for row in workbook[name].iter_rows(values_only=True)]
    return found


def records(sheet, rows: list[list]) -> list[tuple[int, dict]]:
    """Rows as (row number, dict by column key); the header may hold keys or the Chinese labels."""
    if not rows:
        return []
    by_header = {**{k: k for k, _label in sheet.columns}, **{str(label): k for k, label in sheet.columns}}
    header = [by_header.get(str(h or "").strip()) for h in rows[0]]
    unknown = [str(h) for h, key in zip(rows[0], header, strict=True) if key is None and h not in (None, "")]
    if unknown:
        raise CommandError(f"{sheet.name}: unknown columns {', '.join(unknown)}")
    result = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell not in (None, "") for cell in row):
            continue
        values = {
            key: unneutralise(v) if isinstance(v, str) else v
            for key, v in zip(header, row, strict=False)
            if key
        }
        result.append((number, values))
    return result


class Command(BaseCommand):
    help = "Import the pilot sheets (pilot_bases, pilot_funds) of an exchange workbook (.xlsx) or CSV zip."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args, path, dry_run, **options):
        sheets = {s.name: s for s in exchange_sheets()}
        names = {}
        with translation.override("zh-hans"):
            for name, sheet in sheets.items():
                names[name] = names[str(sheet.title)] = name
        found = read_sheets(path, names)
        problems = []
        with transaction.atomic():  # one transaction: the funds see the bases added above them
            for name, sheet in sheets.items():  # in order: bases before funds
                if name not in found:
                    continue
                rows = records(sheet, found[name])
                labels = {key: str(label) for key, label in sheet.columns}
                outcome = sheet.load(rows, None, dry_run=False)
                problems += [
                    f"{name} 第{p['row']}行 {labels.get(p['column'], p['column'])}：{p['message']}"
                    for p in outcome.problems
                ]
                counts = outcome.counts
                self.stdout.write(
                    f"{name}: {len(rows)} (add {counts['add']}, update {counts['update']}, "
                    f"unchanged {counts['unchanged']})"
                )
            if problems or dry_run:
                transaction.set_rollback(True)
        if problems:
            raise CommandError("\n".join(problems))

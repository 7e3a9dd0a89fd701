"""Import the pilot sheets (``pilot_bases``, ``pilot_funds``) of an exchange workbook or CSV zip.

The registry's import (``import_registry``, the import page) reads the registry's three sheets and
ignores these; this command reads them and writes through ``pilots.services`` as the system, all
rows of a sheet or none. ``--dry-run`` checks without writing."""

import csv
import io
import zipfile
from pathlib import Path

import openpyxl
from django.core.management.base import BaseCommand, CommandError

from core.registry import exchange_sheets
from core.spreadsheets import unneutralise


def read_sheets(path: Path, names: set[str]) -> dict[str, list[list]]:
    """{sheet name: rows (header first)} of the wanted sheets found in the file."""
    found = {}
    if path.suffix.lower() == ".zip":
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                stem = Path(info.filename).stem
                if stem in names:
                    text = archive.read(info).decode("utf-8-sig")
                    found[stem] = list(csv.reader(io.StringIO(text)))
        return found
    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    for name in names & set(workbook.sheetnames):
        found[name] = [list(row) for row in workbook[name].iter_rows(values_only=True)]
    return found


def records(sheet, rows: list[list]) -> list[dict]:
    """Rows as dicts by column key; the header may hold keys or the Chinese labels."""
    if not rows:
        return []
    by_header = {**{k: k for k, _label in sheet.columns}, **{str(label): k for k, label in sheet.columns}}
    header = [by_header.get(str(h or "").strip()) for h in rows[0]]
    unknown = [str(h) for h, key in zip(rows[0], header, strict=True) if key is None and h not in (None, "")]
    if unknown:
        raise CommandError(f"{sheet.name}: unknown columns {', '.join(unknown)}")
    result = []
    for row in rows[1:]:
        if not any(cell not in (None, "") for cell in row):
            continue
        result.append(
            {
                key: unneutralise(v) if isinstance(v, str) else v
                for key, v in zip(header, row, strict=False)
                if key
            }
        )
    return result


class Command(BaseCommand):
    help = "Import the pilot sheets (pilot_bases, pilot_funds) of an exchange workbook (.xlsx) or CSV zip."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args, path, dry_run, **options):
        sheets = {s.name: s for s in exchange_sheets()}
        found = read_sheets(path, set(sheets))
        problems = []
        for name, sheet in sheets.items():  # in order: bases before funds
            if name not in found:
                continue
            rows = records(sheet, found[name])
            problems += [f"{name} {p}" for p in sheet.load(rows, None, dry_run=dry_run)]
            if not problems:
                self.stdout.write(f"{name}: {len(rows)}")
        if problems:
            raise CommandError("\n".join(problems))

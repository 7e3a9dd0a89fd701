"""python manage.py import_registry PATH [--unit CODE] [--dry-run]

Imports an exchange-format file (.xlsx, .zip of CSV files, or a folder of CSV files) with the same
validation as the import page. Exit code 0 on success, 1 with the problem list on invalid input,
1 with one message (no traceback) when the file cannot be read at all.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from achievements.models import Unit
from core.validators import normalize_credit_code
from exchange.presentation import problem_rows
from exchange.services import registry_import


class Command(BaseCommand):
    help = "Import an exchange format v1 file (.xlsx, .zip of CSV files, or a folder of CSV files)."

    def add_arguments(self, parser):
        parser.add_argument("path", help="the .xlsx file, the .zip file or the folder")
        parser.add_argument("--unit", help="credit code of a unit: import as a user of that unit would")
        parser.add_argument(
            "--dry-run", action="store_true", help="validate and show the changes, write nothing"
        )
        parser.add_argument("--language", default="zh-hans", help="language of the messages (zh-hans or en)")

    def handle(self, *args, path, unit=None, dry_run=False, language="zh-hans", **options):
        with translation.override(language):
            restrict = None
            if unit:
                restrict = Unit.objects.filter(code=normalize_credit_code(unit).upper()).first()
                if restrict is None:
                    raise CommandError(f"unit {unit} is not in the registry")
            if not Path(path).exists():
                raise CommandError(f"{path}: no such file or folder")
            result = registry_import(source=path, unit=restrict, dry_run=dry_run)
            if result.file_problem:
                self.stderr.write(result.file_problem)
                self.stderr.write("the file cannot be read; nothing was written.")
                raise SystemExit(1)
            if not result.valid:
                # Sheets and columns in the language of --language (exchange.presentation).
                for p in problem_rows(result.problems):
                    row = p["row"] if p["row"] is not None else "-"
                    self.stderr.write(
                        f"{p['sheet_label'] or '-'}\t{row}\t{p['column_label']}\t{p['value']}\t{p['message']}"
                    )
                if result.problem_count > len(result.problems):
                    self.stderr.write(f"... {result.problem_count - len(result.problems)} more")
                self.stderr.write(f"{result.problem_count} problem(s); nothing was written.")
                raise SystemExit(1)
            for sheet, counts in result.counts.items():
                self.stdout.write(
                    f"{sheet}: {counts['add']} to add, {counts['update']} to update, {counts['unchanged']} unchanged"
                )
            # Accepted rows worth a look (exchange.duplicates: a patent number other units hold).
            for w in result.warnings:
                self.stdout.write(f"warning\t{w['sheet']}\t{w['row']}\t{w['key']}\t{w['message']}")
            if result.warning_count > len(result.warnings):
                self.stdout.write(f"... {result.warning_count - len(result.warnings)} more warning(s)")
            self.stdout.write(
                f"{result.rows} rows validated; " + ("dry run, nothing written." if dry_run else "written.")
            )

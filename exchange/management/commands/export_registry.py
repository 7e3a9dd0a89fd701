"""python manage.py export_registry PATH [--headers zh|en] [--unit CODE]

Exports the registry (or one unit) in exchange format v1. The format comes from PATH: ``.xlsx``,
``.zip`` (CSV files), or an existing folder (the same CSV files written into it): the registry's
sheets and the added sheets (``exchange.export.csv_sheets``).
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from achievements.models import Achievement
from core.validators import normalize_credit_code
from exchange import export


class Command(BaseCommand):
    help = "Export achievements, their units and contracts in exchange format v1 (.xlsx, .zip or a folder)."

    def add_arguments(self, parser):
        parser.add_argument("path", help="target .xlsx or .zip file, or an existing folder")
        parser.add_argument("--headers", choices=[export.ZH, export.EN], default=export.ZH)
        parser.add_argument("--unit", help="credit code: export only this unit's records")

    def handle(self, *args, path, headers=export.ZH, unit=None, **options):
        target = Path(path)
        achievements = Achievement.objects.all()
        if unit:
            achievements = achievements.filter(unit__code=normalize_credit_code(unit).upper())
        if target.is_dir():
            export.write_folder(target, achievements, headers)
        elif target.suffix.lower() == ".xlsx":
            export.write_xlsx(target, achievements, headers)
        elif target.suffix.lower() == ".zip":
            export.write_csv_zip(target, achievements, headers)
        else:
            raise CommandError("PATH must end in .xlsx or .zip, or be an existing folder")
        self.stdout.write(f"exported {achievements.count()} achievements to {target}")

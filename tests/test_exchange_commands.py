"""The import_registry / export_registry commands and the import benchmark (tiny sizes)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from achievements.models import Achievement

from .factories import AchievementFactory, TransformationFactory
from .test_exchange_import import achievement_row, contract_row, workbook

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent


def test_import_command_writes_a_valid_file_and_exits_0(tmp_path, unit, capsys):
    path = workbook(tmp_path, achievements=[achievement_row(unit.code)], contracts=[contract_row(unit.code)])
    call_command("import_registry", str(path))
    assert Achievement.objects.filter(ref="CG-1").exists()
    assert "achievements: 1 to add" in capsys.readouterr().out


def test_import_command_dry_run_writes_nothing(tmp_path, unit):
    path = workbook(tmp_path, achievements=[achievement_row(unit.code)])
    call_command("import_registry", str(path), "--dry-run")
    assert not Achievement.objects.exists()


def test_import_command_exits_1_and_prints_every_problem(tmp_path, unit, capsys):
    path = workbook(tmp_path, achievements=[achievement_row(unit.code, registered_on="2023/13/01", trl=12)])
    with pytest.raises(SystemExit) as exit_info:
        call_command("import_registry", str(path))
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert "科技成果\t2\t登记日期\t2023/13/01\t" in err and "科技成果\t2\t技术成熟度\t12\t" in err
    assert "2 problem(s); nothing was written." in err
    with pytest.raises(SystemExit):
        call_command("import_registry", str(path), language="en")
    err = capsys.readouterr().err  # in English: the format's sheet names and column keys
    assert "achievements\t2\tregistered_on\t2023/13/01\t" in err and "achievements\t2\ttrl\t12\t" in err
    assert not Achievement.objects.exists()


def test_import_command_unit_option_restricts_like_a_unit_user(tmp_path, unit, other_unit, capsys):
    path = workbook(tmp_path, achievements=[achievement_row(other_unit.code)])
    with pytest.raises(SystemExit) as exit_info:
        call_command("import_registry", str(path), "--unit", unit.code)
    assert exit_info.value.code == 1
    assert "无权导入其他单位" in capsys.readouterr().err
    with pytest.raises(CommandError):
        call_command("import_registry", str(path), "--unit", "91210100MA0000000X")


def test_the_commands_exit_codes_in_a_real_process(tmp_path):
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"garbage")
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "CELERY_BROKER_URL": ""}
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    result = subprocess.run(
        [*manage, "import_registry", str(bad)], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 1 and "文件已损坏" in result.stderr
    out = tmp_path / "empty.xlsx"
    result = subprocess.run(
        [*manage, "export_registry", str(out)], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    result = subprocess.run(
        [*manage, "import_registry", str(out)], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("target", ["registry.xlsx", "registry.zip", "folder"])
def test_export_command_output_reimports_to_no_change(tmp_path, unit, target, capsys):
    for achievement in AchievementFactory.create_batch(3, unit=unit):
        TransformationFactory(achievement=achievement)
    path = tmp_path / target
    if target == "folder":
        path.mkdir()
    call_command("export_registry", str(path))
    assert "exported 3 achievements" in capsys.readouterr().out
    call_command("import_registry", str(path), "--dry-run")
    out = capsys.readouterr().out
    assert "achievements: 0 to add, 0 to update, 3 unchanged" in out
    assert "transformations: 0 to add, 0 to update, 3 unchanged" in out


def test_export_command_refuses_an_unknown_format(tmp_path):
    with pytest.raises(CommandError):
        call_command("export_registry", str(tmp_path / "x.txt"))


def test_the_import_benchmark_runs_at_tiny_sizes(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "BENCH_DATABASE_URL")}
    env["CELERY_BROKER_URL"] = ""
    result = subprocess.run(
        [
            sys.executable,
            "benchmarks/import_bench.py",
            "--achievements",
            "60",
            "--contracts",
            "90",
            "--units",
            "4",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "engine: SQLite" in result.stdout
    assert "validate:" in result.stdout and "rows/s" in result.stdout and "peak memory" in result.stdout


@pytest.mark.parametrize("target", ["roundtrip.xlsx", "roundtrip.zip"])
def test_every_kind_of_value_survives_import_export_import(tmp_path, target, capsys):
    """Withdrawn achievements, empty optional cells, clusters, cancelled contracts, typed dates."""
    from exchange.samples import write_sample_workbook

    source = write_sample_workbook(tmp_path / "sample.xlsx", units=4, achievements=120, contracts=150)
    call_command("import_registry", str(source))
    assert Achievement.objects.filter(status="withdrawn").exists()
    exported = tmp_path / target
    call_command("export_registry", str(exported), "--headers", "en")
    capsys.readouterr()
    call_command("import_registry", str(exported), "--dry-run")
    out = capsys.readouterr().out
    assert "units: 0 to add, 0 to update, 4 unchanged" in out
    assert "achievements: 0 to add, 0 to update, 120 unchanged" in out
    assert "transformations: 0 to add, 0 to update, 150 unchanged" in out

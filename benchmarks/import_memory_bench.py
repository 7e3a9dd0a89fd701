"""Import memory benchmark: peak resident memory above the idle worker while a 500,000-row CSV
upload is validated (the preview), as the Celery worker runs it.

    python benchmarks/import_memory_bench.py              # 104 units, 200,000 achievements, 299,896 contracts
    python benchmarks/import_memory_bench.py --small      # 2,000 rows (CI smoke)
    python benchmarks/import_memory_bench.py --rows 100000 [--apply] [--sqlite]

The file is a ``.zip`` of three UTF-8 CSV files (``exchange.samples.write_sample_csv_zip``). A fresh
process plays the worker: it sets up Django, opens the database and imports the import code, and its
resident size then is the idle size. It stores the upload as an ``ImportJob`` and runs
``import_job_validate`` (the body of ``import_validate_task``), then reports the peak resident size
(``ru_maxrss``) above idle and the validation rate (rows/s, wall-clock and process CPU). The budget is
200 MB above idle for 500,000 rows; the exit code is 1 when a full-size run exceeds it. ``--apply``
also confirms and writes the import in a second fresh process and reports its peak (the write keeps
the rows it creates, so it is not bounded by the budget).

Scratch database as in ``import_bench.py``: ``<name>_bench_<pid>`` next to a PostgreSQL
``BENCH_DATABASE_URL`` / ``DATABASE_URL`` (dropped at the end), otherwise a temporary SQLite file.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BUDGET_MB = 200
FULL_ROWS = 500_000
UNITS = 104


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--rows", type=int, default=FULL_ROWS, help="rows in all (units + achievements + contracts)"
    )
    parser.add_argument("--small", action="store_true", help="2,000 rows (CI smoke)")
    parser.add_argument("--apply", action="store_true", help="also confirm and write the import")
    parser.add_argument(
        "--sqlite", action="store_true", help="use a temporary SQLite file even if PostgreSQL is set"
    )
    parser.add_argument("--worker", nargs=2, metavar=("STEP", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.small:
        args.rows = 2_000
    return args


def _setup_env(url: str, workdir: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["DEBUG"] = "0"  # as in production: Django keeps no SQL log
    os.environ.setdefault("SECRET_KEY", f"benchmark-only-{os.getpid()}-not-a-secret")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liaoning_tt.settings")
    os.environ["CELERY_BROKER_URL"] = ""
    os.environ["MEDIA_ROOT"] = os.path.join(workdir, "media")


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def _peak_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def worker(step: str, path: str) -> int:
    """The worker process: idle size, then one import step; prints a JSON line with the figures."""
    import gc

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.files import File

    from exchange import services, tasks  # noqa: F401 - what a worker has imported
    from exchange.models import ImportJob, ImportStatus

    user, _ = get_user_model().objects.get_or_create(username="bench-staff", defaults={"is_staff": True})
    job = ImportJob.objects.filter(user=user).order_by("-pk").first()
    if step == "validate":
        with open(path, "rb") as handle:
            job = ImportJob(user=user, original_name=Path(path).name, run_async=True)
            job.file.save(Path(path).name, File(handle), save=True)
    gc.collect()
    idle = _rss_mb()
    started, cpu = time.perf_counter(), time.process_time()
    if step == "validate":
        services.import_job_validate(job_id=job.pk)
    else:
        services.import_job_confirm(job=job)
        services.import_job_apply(job_id=job.pk)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    job.refresh_from_db()
    print(
        json.dumps(
            {
                "idle_mb": idle,
                "peak_mb": _peak_mb(),
                "wall_s": wall,
                "cpu_s": cpu,
                "status": job.status,
                "rows": job.rows,
                "counted": sum(
                    c.get("add", 0) + c.get("update", 0) + c.get("unchanged", 0)
                    for k, c in job.counts.items()
                    if k != "transferees"
                ),
                "ok": job.status == (ImportStatus.PREVIEW_READY if step == "validate" else ImportStatus.DONE),
                "message": job.message,
            }
        )
    )
    return 0


def run_step(step: str, path: Path, env: dict) -> dict:
    argv = [sys.executable, __file__, "--worker", step, str(path)]
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"the {step} step failed")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.worker:
        return worker(*args.worker)
    from benchmarks.import_bench import _postgres_scratch

    url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL", "")
    workdir = tempfile.mkdtemp(prefix="import-memory-bench-")
    drop = None
    if url.startswith(("postgres://", "postgresql://")) and not args.sqlite:
        scratch, drop = _postgres_scratch(url)
        engine = "PostgreSQL"
    else:
        scratch = f"sqlite:///{workdir}/bench.sqlite3"
        engine = "SQLite"
    _setup_env(scratch, workdir)
    units = min(UNITS, max(args.rows // 100, 1))
    achievements = (args.rows - units) * 2 // 5
    contracts = args.rows - units - achievements
    try:
        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=os.environ, check=True)
        from exchange.samples import write_sample_csv_zip  # needs no database

        path = Path(workdir) / "registry.zip"
        started = time.perf_counter()
        write_sample_csv_zip(path, units=units, achievements=achievements, contracts=contracts)
        print(
            f"engine: {engine}; CSV zip of {args.rows:,} rows ({units} units, {achievements:,} achievements, "
            f"{contracts:,} contracts), {path.stat().st_size / 1e6:.1f} MB, generated in {time.perf_counter() - started:.1f} s",
            flush=True,
        )
        figures = run_step("validate", path, dict(os.environ))
        above = figures["peak_mb"] - figures["idle_mb"]
        assert figures["ok"], figures
        assert figures["counted"] == args.rows, figures
        print(
            f"validate (the worker's import_validate_task): idle worker {figures['idle_mb']:.0f} MB, "
            f"peak {figures['peak_mb']:.0f} MB: peak RSS above idle {above:.0f} MB (budget {BUDGET_MB} MB); "
            f"{args.rows / figures['wall_s']:,.0f} rows/s wall, {args.rows / figures['cpu_s']:,.0f} rows/s CPU",
            flush=True,
        )
        if args.apply:
            applied = run_step("apply", path, dict(os.environ))
            assert applied["ok"], applied
            print(
                f"apply (confirmed import, re-validation + write): peak RSS above idle "
                f"{applied['peak_mb'] - applied['idle_mb']:.0f} MB; {args.rows / applied['wall_s']:,.0f} rows/s wall",
                flush=True,
            )
    finally:
        if drop is not None:
            drop()
    if args.rows >= FULL_ROWS and above > BUDGET_MB:
        print(f"over budget: {above:.0f} MB > {BUDGET_MB} MB above idle")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Import benchmark: generate a valid exchange workbook, validate it, then import it.

    python benchmarks/import_bench.py                      # 100,000 achievements + 150,000 contracts
    python benchmarks/import_bench.py --small              # a few hundred rows (CI smoke)
    python benchmarks/import_bench.py --achievements 20000 --contracts 30000

It never touches the development database. With a PostgreSQL ``DATABASE_URL`` (or
``BENCH_DATABASE_URL``) it creates a scratch database ``<name>_bench_<pid>`` on the same server,
migrates it, and drops it at the end; otherwise it uses a temporary SQLite file. The statistics
receivers of ``records_changed`` are not run (the benchmark measures the import); it checks that
the event was sent exactly once.

Prints rows/s for validation (read + check + diff, the preview) and for the confirmed import (one
pass inside the transaction: each chunk checked, then written with its history), in
wall-clock time and in CPU time: this process's, and on a local PostgreSQL also the CPU of the
database backend serving it (read from ``/proc``), since on a shared machine the wall clock mostly
measures the other jobs. Also the peak resident memory of the process (ru_maxrss).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from unittest import mock
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--achievements", type=int, default=100_000)
    parser.add_argument("--contracts", type=int, default=150_000)
    parser.add_argument("--units", type=int, default=104)
    parser.add_argument(
        "--small", action="store_true", help="tiny sizes for CI (200 achievements, 300 contracts)"
    )
    parser.add_argument(
        "--sqlite", action="store_true", help="use a temporary SQLite file even if PostgreSQL is set"
    )
    args = parser.parse_args(argv)
    if args.small:
        args.achievements, args.contracts, args.units = 200, 300, 10
    return args


def _postgres_scratch(url: str):
    """Create a scratch database next to the one in ``url``; return its URL and a drop function."""
    import psycopg2

    parsed = urlparse(url)
    name = f"{parsed.path.lstrip('/') or 'postgres'}_bench_{os.getpid()}"
    admin = psycopg2.connect(urlunparse(parsed._replace(path="/postgres")))
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8'")

    def drop():
        from django.db import connections

        connections.close_all()
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.close()

    return urlunparse(parsed._replace(path=f"/{name}")), drop


def backend_cpu() -> float | None:
    """CPU seconds used so far by the PostgreSQL backend of Django's connection, when it runs on
    this machine (``/proc/<pid>/stat``); None otherwise."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def cpu_line(rows: int, cpu: float, backend: float | None) -> str:
    if backend is None:
        return ""
    both = cpu + backend
    return f"; with the database backend's {backend:.2f} s CPU: {both:.2f} s, {rows / both:,.0f} rows/s"


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def main(argv=None) -> int:
    args = parse_args(argv)
    url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL", "")
    workdir = tempfile.mkdtemp(prefix="import-bench-")
    drop = None
    if url.startswith(("postgres://", "postgresql://")) and not args.sqlite:
        scratch, drop = _postgres_scratch(url)
        engine = "PostgreSQL"
    else:
        scratch = f"sqlite:///{workdir}/bench.sqlite3"
        engine = "SQLite"
    os.environ["DATABASE_URL"] = scratch
    # As in production: DEBUG off, so Django does not keep every SQL statement in memory.
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("SECRET_KEY", f"benchmark-only-{os.getpid()}-not-a-secret")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liaoning_tt.settings")
    os.environ.setdefault("CELERY_BROKER_URL", "")

    import django

    django.setup()
    from django.core.management import call_command

    from achievements.models import Achievement, Transformation
    from achievements.signals import records_changed
    from exchange.samples import write_sample_workbook
    from exchange.services import registry_import

    try:
        call_command("migrate", verbosity=0)
        path = Path(workdir) / "bench.xlsx"
        started = time.perf_counter()
        write_sample_workbook(
            path, units=args.units, achievements=args.achievements, contracts=args.contracts
        )
        generated = time.perf_counter() - started
        rows = args.units + args.achievements + args.contracts
        print(
            f"engine: {engine}; rows: {rows:,} ({args.units} units, {args.achievements:,} achievements, "
            f"{args.contracts:,} contracts); workbook {path.stat().st_size / 1e6:.1f} MB generated in {generated:.1f} s"
        )

        with mock.patch.object(records_changed, "send") as send:
            db = backend_cpu()
            started, cpu = time.perf_counter(), time.process_time()
            preview = registry_import(source=path, dry_run=True)
            validate_s, validate_cpu = time.perf_counter() - started, time.process_time() - cpu
            db = backend_cpu() - db if db is not None else None
            if not preview.valid:
                print("the generated workbook is invalid:", preview.problems[:10])
                return 1
            print(
                f"validate: {validate_s:.2f} s wall, {rows / validate_s:,.0f} rows/s; {validate_cpu:.2f} s CPU of this "
                f"process, {rows / validate_cpu:,.0f} rows/s{cpu_line(rows, validate_cpu, db)}  "
                f"(peak RSS so far {peak_mb():.0f} MB)"
            )

            del preview  # the job flow validates and writes in separate steps: one plan in memory at a time
            db = backend_cpu()
            started, cpu = time.perf_counter(), time.process_time()
            result = registry_import(source=path)
            apply_s, apply_cpu = time.perf_counter() - started, time.process_time() - cpu
            db = backend_cpu() - db if db is not None else None
            write_s = max(apply_s - validate_s, 1e-9)
            write_cpu = max(apply_cpu - validate_cpu, 1e-9)
            print(
                f"import:   {apply_s:.2f} s wall in all (check and write), {rows / apply_s:,.0f} rows/s; "
                f"{apply_cpu:.2f} s CPU of this process, {rows / apply_cpu:,.0f} rows/s{cpu_line(rows, apply_cpu, db)}; "
                f"write part (import - validate) ~{write_s:.2f} s wall, {rows / write_s:,.0f} rows/s, "
                f"~{write_cpu:.2f} s CPU, {rows / write_cpu:,.0f} rows/s"
            )
            assert result.valid and send.call_count == 1, "records_changed must be sent once"
            del result

            started, cpu = time.perf_counter(), time.process_time()
            again = registry_import(source=path, dry_run=True)
            again_s, again_cpu = time.perf_counter() - started, time.process_time() - cpu
            print(
                f"re-validate against the imported data (0 changes): {again_s:.2f} s wall, {rows / again_s:,.0f} rows/s; "
                f"{again_cpu:.2f} s CPU, {rows / again_cpu:,.0f} rows/s"
            )
        assert again.change_count == 0, "re-importing the same file must change nothing"
        assert Achievement.objects.count() == args.achievements
        assert Transformation.objects.count() == args.contracts
        print(f"peak memory (ru_maxrss): {peak_mb():.0f} MB")
    finally:
        if drop is not None:
            drop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

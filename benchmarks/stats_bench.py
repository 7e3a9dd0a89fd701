"""Statistics benchmark: full and incremental recompute, the SQL floor, API latency and throughput.

    python benchmarks/stats_bench.py            # 1,000,000 achievements, 3,000,000 contracts, 1,000 units, 10 years
    python benchmarks/stats_bench.py --small    # 10,000 / 30,000 / 50 units (CI smoke)

PostgreSQL only (the data are generated in SQL with generate_series). It creates a scratch database
``<name>_stats_bench_<pid>`` next to ``BENCH_DATABASE_URL`` / ``DATABASE_URL`` (default
``postgres://postgres@127.0.0.1:5432/postgres``), migrates it, and drops it at the end.

Prints:
- full recompute time, and the time of one hand-written SQL query that scans the same tables once
  for the province-wide figures of every year (the floor), and their ratio (target <= 3);
- incremental recompute time after one new contract (target < 1 s);
- summary endpoint latency p50/p99 over 1,000 requests through the Django test client (target p99 < 50 ms);
- requests/s of the summary endpoint under concurrent load beside a bare Django view that returns
  the same JSON from memory, both served by one gunicorn on a loopback port (ratio target >= 0.7);
- the dashboard page's server time, if the dashboard exists.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

YEARS = 10


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--achievements", type=int, default=1_000_000)
    parser.add_argument("--contracts", type=int, default=3_000_000)
    parser.add_argument("--units", type=int, default=1_000)
    parser.add_argument(
        "--requests", type=int, default=1_000, help="summary requests for the latency figures"
    )
    parser.add_argument("--load-requests", type=int, default=4_000, help="requests per throughput run")
    parser.add_argument("--threads", type=int, default=8, help="gunicorn threads and client threads")
    parser.add_argument("--small", action="store_true", help="tiny sizes for CI")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args(argv)
    if args.small:
        args.achievements, args.contracts, args.units = 10_000, 30_000, 50
        args.requests, args.load_requests, args.threads = 200, 400, 4
    return args


def _postgres_scratch(url: str):
    import psycopg2

    parsed = urlparse(url)
    name = f"{parsed.path.lstrip('/') or 'postgres'}_stats_bench_{os.getpid()}"
    admin = psycopg2.connect(urlunparse(parsed._replace(path="/postgres")))
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8'")

    def drop():
        from django.db import connections

        connections.close_all()
        with admin.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                [name],
            )
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.close()

    return urlunparse(parsed._replace(path=f"/{name}")), drop


_LOADED_TABLES = (
    "achievements_unit",
    "achievements_transferee",
    "achievements_achievement",
    "achievements_transformation",
)


def _bulk_load(cursor):
    """Load like a restore: the secondary indexes of the loaded tables are dropped and built once
    at the end (one sort each, instead of millions of B-tree and trigram GIN insertions), and the
    foreign-key triggers are off while loading (``session_replication_role``; the generated rows
    refer only to rows generated before them). Without this, 1,000,000 / 3,000,000 rows took well
    over a quarter of an hour on a loaded 2-core machine: every contract queued three deferred
    foreign-key checks and updated seven indexes, three of them trigram ones."""
    cursor.execute(
        """
        SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
        FROM pg_index i
        WHERE i.indrelid::regclass::text = ANY(%s) AND NOT i.indisprimary
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
        """,
        [list(_LOADED_TABLES)],
    )
    indexes = cursor.fetchall()
    for name, _definition in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    try:
        cursor.execute("SET session_replication_role = replica")
        replica = True
    except Exception:  # not a superuser: the triggers stay on (slower, same data)
        replica = False

    def finish():
        if replica:
            cursor.execute("SET session_replication_role = DEFAULT")
        cursor.execute("SET maintenance_work_mem = '256MB'")
        for _name, definition in indexes:
            cursor.execute(definition)
        cursor.execute("RESET maintenance_work_mem")

    return finish


def generate(cursor, *, units: int, achievements: int, contracts: int, first_year: int) -> None:
    """Units, transferees, achievements and contracts, generated by the database in a few statements
    (the indexes built once at the end, see ``_bulk_load``)."""
    days = YEARS * 365
    finish = _bulk_load(cursor)
    cursor.execute(
        """
        INSERT INTO achievements_unit (created_at, updated_at, synthetic, code, name, type, region)
        SELECT now(), now(), true, '12' || lpad(i::text, 16, '0'), '单位' || i,
               (ARRAY['university','institute','university','other'])[1 + i %% 4],
               (ARRAY['210100','210102','210200','210211','210300','211000','211400','110000'])[1 + i %% 8]
        FROM generate_series(1, %s) i
        """,
        [units],
    )
    cursor.execute(
        """
        INSERT INTO achievements_transferee (created_at, updated_at, synthetic, code, name, region)
        SELECT now(), now(), true, '91' || lpad(i::text, 16, '0'), '企业' || i,
               CASE WHEN i % 5 < 3 THEN '210200' ELSE '110108' END
        FROM generate_series(1, 5000) i
        """
    )
    cursor.execute("SELECT min(id) FROM achievements_unit")
    unit0 = cursor.fetchone()[0]
    cursor.execute("SELECT array_agg(id ORDER BY id) FROM achievements_cluster")
    clusters = cursor.fetchone()[0]
    cursor.execute("SELECT min(id) FROM achievements_transferee")
    transferee0 = cursor.fetchone()[0]
    cursor.execute(
        """
        INSERT INTO achievements_achievement (created_at, updated_at, synthetic, version, ref, title, keywords,
            ip_type, patent_no, trl, funded, convertible, registered_on, status, withdrawn_on, cluster_id, unit_id)
        SELECT now(), now(), true, 1, 'CG' || i, '成果' || i, '',
               (ARRAY['invention_patent','utility_model','software','know_how','other'])[1 + i %% 5],
               'P' || i, 1 + (i * 7) %% 9, i %% 3 = 0, i %% 4 = 0, reg,
               CASE WHEN i %% 20 = 0 THEN 'withdrawn' ELSE 'active' END,
               CASE WHEN i %% 20 = 0 THEN reg + (i %% 900) %% (current_date - reg + 1) END,
               -- each unit works in three clusters; one achievement in ten has none
               CASE WHEN i %% 10 = 0 THEN NULL
                    ELSE (%(clusters)s::bigint[])[1 + ((i %% %(units)s) * 3 + i %% 3) %% cardinality(%(clusters)s::bigint[])] END,
               %(unit0)s + (i %% %(units)s)
        FROM (SELECT i, make_date(%(first)s, 1, 1)
                        + (hashint4(i) & 2147483647) %% least(%(days)s, current_date - make_date(%(first)s, 1, 1) + 1) AS reg
              FROM generate_series(1, %(n)s) i) g
        """,
        {
            "clusters": clusters,
            "unit0": unit0,
            "units": units,
            "first": first_year,
            "days": days,
            "n": achievements,
        },
    )
    cursor.execute("SELECT min(id), max(id) FROM achievements_achievement")
    a0, a1 = cursor.fetchone()
    cursor.execute(
        """
        INSERT INTO achievements_transformation (created_at, updated_at, synthetic, version, ref, mode, signed_on,
            amount, received, status, registration_no, achievement_id, transferee_id, unit_id)
        SELECT now(), now(), true, 1, 'HT' || j, (ARRAY['transfer','license','transfer','license','equity',
               'cooperation','self','other'])[1 + j %% 8],
               -- 1200 days from 200 days before registration, folded into the days up to today (dates
               -- after today are refused; clamping them to today put 12 %% of the contracts on one day)
               base + (hashint4(j) & 2147483647) %% least(1200, current_date - base + 1),
               amt, CASE WHEN j %% 3 = 0 THEN NULL ELSE round(amt * 0.6, 2) END,
               CASE WHEN j %% 25 = 0 THEN 'cancelled' ELSE 'effective' END, '',
               a.id, %(t0)s + (j %% 5000), a.unit_id
        FROM (SELECT j, %(a0)s + (hashint4(j + 7) & 2147483647) %% (%(a1)s - %(a0)s + 1) AS aid,
                     round(((hashint4(j + 11) & 2147483647) %% 5000000)::numeric / 10, 2) AS amt
              FROM generate_series(1, %(n)s) j) g
        JOIN achievements_achievement a ON a.id = g.aid
        CROSS JOIN LATERAL (SELECT greatest(a.registered_on - 200, make_date(%(first)s, 1, 1)) AS base) b
        """,
        {"first": first_year, "t0": transferee0, "a0": a0, "a1": a1, "n": contracts},
    )
    # Dates stop at today: records dated in the future are refused (a constraint of every date).
    finish()
    cursor.execute("ANALYZE")


FLOOR_SQL = """
WITH first_signed AS (
    SELECT achievement_id, min(signed_on) AS first_on FROM achievements_transformation
    WHERE status = 'effective' GROUP BY achievement_id
), stock AS (
    SELECT {stock_columns} FROM achievements_achievement a LEFT JOIN first_signed f ON f.achievement_id = a.id
), per_achievement_year AS (
    SELECT t.achievement_id, extract(year FROM t.signed_on)::int AS y, count(*) AS n, sum(t.amount) AS amount,
           sum(coalesce(t.received, 0)) AS received, count(*) FILTER (WHERE tr.is_local) AS n_local,
           coalesce(sum(t.amount) FILTER (WHERE tr.is_local), 0) AS local_amount
    FROM achievements_transformation t JOIN achievements_transferee tr ON tr.id = t.transferee_id
    WHERE t.status = 'effective' GROUP BY 1, 2
), contracts AS (
    SELECT y, count(*) AS transformed, sum(n) AS contracts, sum(amount) AS amount, sum(received) AS received,
           sum(n_local) AS n_local, sum(local_amount) AS local_amount
    FROM per_achievement_year GROUP BY y
)
SELECT * FROM stock, contracts ORDER BY contracts.y
"""


def floor_sql(years):
    columns = []
    for y in years:
        end = f"DATE '{y}-12-31'"
        stock = f"a.registered_on <= {end} AND (a.withdrawn_on IS NULL OR a.withdrawn_on > {end})"
        columns += [
            f"count(*) FILTER (WHERE {stock}) AS a_{y}",
            f"count(*) FILTER (WHERE {stock} AND a.convertible) AS c_{y}",
            f"count(*) FILTER (WHERE {stock} AND f.first_on <= {end}) AS t_{y}",
            f"count(DISTINCT a.unit_id) FILTER (WHERE {stock}) AS u_{y}",
        ]
    return FLOOR_SQL.format(stock_columns=", ".join(columns))


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load(port: int, path: str, headers: dict, total: int, threads: int) -> float:
    """requests/s for ``total`` GETs of ``path`` from ``threads`` keep-alive clients."""
    import http.client

    per_thread = total // threads
    errors = []

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for _ in range(per_thread):
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                errors.append(response.status)
        conn.close()

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    start = time.perf_counter()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise RuntimeError(f"{len(errors)} failed requests, e.g. {errors[:3]}")
    return per_thread * threads / elapsed


def main(argv=None) -> int:
    args = parse_args(argv)
    url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        url = "postgres://postgres@127.0.0.1:5432/postgres"
    try:
        scratch, drop = _postgres_scratch(url)
    except Exception as exc:  # no PostgreSQL here: nothing to measure
        print(f"stats_bench skipped: PostgreSQL is not reachable at {urlparse(url).hostname} ({exc})")
        return 0
    os.environ["DATABASE_URL"] = scratch
    os.environ.pop("CELERY_BROKER_URL", None)  # tasks in-process
    os.environ["STATS_API_THROTTLE_RATE"] = ""  # measure the endpoint, not the throttle (off)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liaoning_tt.settings")
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    gunicorn = None
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection
        from django.test import Client
        from django.urls import NoReverseMatch, reverse

        from accounts.services import user_create_staff
        from dashboards import engine
        from dashboards.selectors import Scope, stats_summary

        call_command("migrate", verbosity=0)
        this_year = engine.current_year()
        first_year = this_year - YEARS + 1
        print(
            f"data: {args.achievements:,} achievements, {args.contracts:,} contracts, {args.units:,} units, "
            f"{first_year}–{this_year}, PostgreSQL {connection.pg_version // 10000}"
        )
        with connection.cursor() as cursor:
            seconds, _ = timed(
                lambda: generate(
                    cursor,
                    units=args.units,
                    achievements=args.achievements,
                    contracts=args.contracts,
                    first_year=first_year,
                )
            )
        print(f"generate: {seconds:.1f} s")

        full, result = timed(engine.recompute_full)
        cells = engine.StatCell.objects.filter(version=result["version"]).count()
        print(f"full recompute: {full:.2f} s ({cells:,} cells)")
        with connection.cursor() as cursor:
            floor, rows = timed(
                lambda: (cursor.execute(floor_sql(range(first_year, this_year + 1))), cursor.fetchall())
            )
        print(f"floor (one SQL pass, province-wide, every year): {floor:.2f} s")
        print(f"ratio full / floor: {full / floor:.2f} (target <= 3)")
        again, _ = timed(engine.recompute_full)
        print(f"second full recompute (new version + cleanup of the old): {again:.2f} s")

        from achievements.models import Achievement, Transferee, Transformation

        achievement = Achievement.objects.order_by("id").first()
        Transformation.objects.create(
            unit_id=achievement.unit_id,
            achievement=achievement,
            ref="BENCH-NEW",
            mode="transfer",
            transferee=Transferee.objects.first(),
            signed_on=engine.timezone.localdate().replace(month=1, day=2),
            amount=123456,
        )
        engine.mark_dirty(unit_ids=[achievement.unit_id], years=[this_year])
        incremental, _ = timed(engine.recompute_incremental)
        print(f"incremental recompute after one new contract: {incremental * 1000:.0f} ms (target < 1000 ms)")
        engine.mark_dirty(unit_ids=[achievement.unit_id], years=[first_year + 2])
        incremental_old, _ = timed(engine.recompute_incremental)
        print(f"incremental recompute, change {YEARS - 2} years back: {incremental_old * 1000:.0f} ms")

        staff = user_create_staff(username="bench-staff", password="bench-pass-123456")
        client = Client()
        client.force_login(staff)
        scopes = [
            "",
            "&unit_type=university",
            "&region=210100",
            "&cluster=A01",
            "&unit_type=institute&region=210200",
            "&unit=" + achievement.unit.code,
        ]
        latencies = []
        for i in range(args.requests):
            path = f"/api/v1/stats/summary/?year={this_year - 1 - i % 5}{scopes[i % len(scopes)]}"
            start = time.perf_counter()
            response = client.get(path)
            latencies.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, response.content
        print(
            f"summary latency over {args.requests} requests: p50 {percentile(latencies, 50):.1f} ms, "
            f"p99 {percentile(latencies, 99):.1f} ms (target p99 < 50 ms)"
        )
        # Cold: every answer computed from the cells (the per-revision answer cache emptied first).
        from django.core.cache import cache

        cold = []
        for i in range(min(args.requests, 100)):
            cache.clear()
            path = f"/api/v1/stats/summary/?year={this_year - 1 - i % 5}{scopes[i % len(scopes)]}"
            start = time.perf_counter()
            client.get(path)
            cold.append((time.perf_counter() - start) * 1000)
        print(
            f"summary latency, uncached (aggregate over the cells each time), {len(cold)} requests: "
            f"p50 {percentile(cold, 50):.1f} ms, p99 {percentile(cold, 99):.1f} ms"
        )

        try:
            dashboard = reverse("dashboards:dashboard")
        except NoReverseMatch:
            dashboard = None
        if dashboard:
            client.get(dashboard)
            times = []
            for _ in range(10):
                start = time.perf_counter()
                response = client.get(dashboard)
                times.append((time.perf_counter() - start) * 1000)
            print(
                f"dashboard page server time: median {statistics.median(times):.0f} ms (status {response.status_code})"
            )

        # Throughput: one gunicorn, the real endpoint and a bare view with the same JSON from memory.
        summary_json = json.loads(client.get(f"/api/v1/stats/summary/?year={this_year - 1}").content)
        Path(os.environ.get("TMPDIR", "/tmp"), f"stats_bench_{os.getpid()}.json").write_text(
            json.dumps(summary_json)
        )
        port = free_port()
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "benchmarks.stats_bench_settings",
            "STATS_BENCH_JSON": str(
                Path(os.environ.get("TMPDIR", "/tmp"), f"stats_bench_{os.getpid()}.json")
            ),
            "PYTHONPATH": str(ROOT),
            "CONN_MAX_AGE": "600",
        }
        gunicorn = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "liaoning_tt.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "--threads",
                str(args.threads),
                "--worker-class",
                "gthread",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
            start_new_session=True,
        )
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        session = client.cookies["sessionid"].value
        headers = {"Cookie": f"sessionid={session}"}
        path = f"/api/v1/stats/summary/?year={this_year - 1}"
        load(port, path, headers, args.threads * 10, args.threads)  # warm up
        load(port, "/bench/bare-summary/", headers, args.threads * 10, args.threads)
        endpoint_rps = load(port, path, headers, args.load_requests, args.threads)
        bare_rps = load(port, "/bench/bare-summary/", headers, args.load_requests, args.threads)
        print(
            f"throughput ({args.threads} client threads, gunicorn 1 worker x {args.threads} threads): "
            f"summary {endpoint_rps:.0f} req/s, bare view {bare_rps:.0f} req/s, "
            f"ratio {endpoint_rps / bare_rps:.2f} (target >= 0.7)"
        )
        assert stats_summary(year=this_year - 1, scope=Scope())["contracts"] > 0
    finally:
        if gunicorn is not None:
            os.killpg(gunicorn.pid, signal.SIGTERM)
            gunicorn.wait(timeout=30)
        if not args.keep:
            drop()
        else:
            print(f"kept scratch database: {scratch}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

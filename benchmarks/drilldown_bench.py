"""Drill-down benchmark: every link the dashboard renders, and every list filter, timed per link.

    python benchmarks/drilldown_bench.py                 # demo data, SQLite and (if reachable) PostgreSQL
    python benchmarks/drilldown_bench.py --small         # a sample of the links, one repetition (CI smoke)
    python benchmarks/drilldown_bench.py --database sqlite|postgres
    python benchmarks/drilldown_bench.py --database postgres --achievements 1000000 --contracts 3000000

Data: the demo data (``seed_demo``: 104 units, 45,130 achievements, 54,302 contracts) by default;
with ``--achievements``/``--contracts`` (PostgreSQL only) the statistics benchmark's SQL generator
(``stats_bench.generate``). Never the development database: a temporary SQLite file, or a scratch
PostgreSQL database ``<name>_drilldown_bench_<pid>`` next to ``BENCH_DATABASE_URL`` /
``DATABASE_URL`` (default ``postgres://postgres@127.0.0.1:5432/postgres``), dropped at the end.

After computing the statistics it renders ``/dashboard/`` for the province (staff), for one city
(``?region=``) and for one unit user, collects every drill-down link (table cells and tiles from the
HTML, chart bars from the embedded chart data), adds one URL per value of every list filter of
``/achievements/`` and ``/contracts/`` (and every sort), and times each distinct URL with the Django
test client (``--repeat`` times after one warm-up request). It prints p50/p95 per link for the
slowest ones and over all links, and whether the slowest link's p95 is under the target
(``--target``, 300 ms). A request slower than ``--timeout`` is interrupted and reported.
"""

from __future__ import annotations

import argparse
import html
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument(
        "--achievements", type=int, help="generated data instead of the demo data (PostgreSQL only)"
    )
    parser.add_argument("--contracts", type=int, help="generated contracts (with --achievements)")
    parser.add_argument("--units", type=int, default=1_000, help="generated units (with --achievements)")
    parser.add_argument("--repeat", type=int, default=5, help="timed requests per link (after a warm-up)")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds before a request is interrupted")
    parser.add_argument("--target", type=float, default=300.0, help="p95 target per link, in ms")
    parser.add_argument("--worst", type=int, default=15, help="how many of the slowest links to print")
    parser.add_argument(
        "--sample", type=int, default=0, help="time at most this many links per page (0: all)"
    )
    parser.add_argument("--small", action="store_true", help="a sample of 25 links per page, one repetition")
    parser.add_argument("--no-sorts", action="store_true", help="skip the column sorts of the whole lists")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--build-only", action="store_true", help="build the data (with --database-url), time nothing")
    parser.add_argument(
        "--database-url",
        help="use this database instead of a scratch one (built once when empty, never dropped): "
        "e.g. a 1M/3M PostgreSQL database kept between runs",
    )
    args = parser.parse_args(argv)
    if args.small:
        args.repeat, args.sample = 1, 25
    if args.achievements and not args.contracts:
        args.contracts = args.achievements * 3
    return args


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


# --- the scratch database -------------------------------------------------------------------


def _postgres_url() -> str:
    url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL", "")
    return url if url.startswith("postgres") else "postgres://postgres@127.0.0.1:5432/postgres"


def _postgres_scratch(url: str):
    import psycopg2

    parsed = urlparse(url)
    name = f"{parsed.path.lstrip('/') or 'postgres'}_drilldown_bench_{os.getpid()}"
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


# --- the links ------------------------------------------------------------------------------

_DATA_RE = re.compile(r'<script id="dashboard-data" type="application/json">(.*?)</script>', re.S)
_HREF_RE = re.compile(r'href="([^"]+)"')


def _urls_in(value):
    """Every ``url`` value in the chart data (nested dicts and lists)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "url" and isinstance(item, str) and item:
                yield item
            else:
                yield from _urls_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from _urls_in(item)


def dashboard_links(page: str, list_paths: tuple[str, ...]) -> list[str]:
    """The drill-down links of a rendered dashboard: hrefs (tiles, tables) and chart bar URLs."""
    links = [html.unescape(href) for href in _HREF_RE.findall(page)]
    match = _DATA_RE.search(page)
    if match:
        links += list(_urls_in(json.loads(match.group(1))))
    seen, result = set(), []
    for link in links:
        if urlparse(link).path in list_paths and "?" in link and link not in seen:
            seen.add(link)
            result.append(link)
    return result


def filter_links(path: str, filterset_class, values: dict[str, list]) -> list[str]:
    """One URL per value of every filter of a list (choices: every choice)."""
    import django_filters

    urls = [path]
    for name, flt in filterset_class.base_filters.items():
        if name in values:
            candidates = values[name]
        elif isinstance(flt, django_filters.BooleanFilter):
            candidates = ["true", "false"]
        elif isinstance(flt, django_filters.ChoiceFilter):
            candidates = [str(value) for value, _label in flt.extra["choices"] if value != ""]
        else:
            print(f"  (no sample value for filter {name!r} of {path})")
            continue
        urls += [f"{path}?{urlencode({name: value})}" for value in candidates]
    return urls


def sort_links(path: str, sorts) -> list[str]:
    return [f"{path}?sort={order}{key}" for key in sorts for order in ("", "-")]


def sample(links: list[str], limit: int) -> list[str]:
    if not limit or len(links) <= limit:
        return links
    step = len(links) / limit
    return [links[int(i * step)] for i in range(limit)]


# --- timing ---------------------------------------------------------------------------------


class Timeout(Exception):
    pass


def _interrupter(seconds: float):
    """A timer that stops the running query after ``seconds`` (SQLite: interrupt(); PostgreSQL:
    statement_timeout set once per connection instead), and a function to cancel it."""
    from django.db import connection

    if connection.vendor != "sqlite":
        return lambda: None
    connection.ensure_connection()
    timer = threading.Timer(seconds, connection.connection.interrupt)
    timer.start()
    return timer.cancel


_backend = {}  # id of the DB-API connection -> PostgreSQL backend pid


def backend_cpu() -> float:
    """CPU seconds used so far by the PostgreSQL backend serving Django's connection (read from
    ``/proc/<pid>/stat``, so only for a server on this machine); 0 on SQLite (in-process)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return 0.0
    connection.ensure_connection()
    key = id(connection.connection)
    if key not in _backend:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            _backend.clear()
            _backend[key] = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{_backend[key]}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def time_link(client, url: str, repeat: int, timeout: float) -> list[float] | None:
    """Milliseconds of ``repeat`` requests after a warm-up one; ``None`` when a request times out.
    The CPU of each request (this process's, and the database backend's) is added to ``CPU``."""
    from django.db import OperationalError
    from django.db.utils import DatabaseError

    times = []
    for i in range(repeat + 1):
        cancel = _interrupter(timeout)
        db = backend_cpu()
        cpu = time.process_time()
        start = time.perf_counter()
        try:
            response = client.get(url)
        except (OperationalError, DatabaseError) as exc:
            if "interrupted" in str(exc) or "statement timeout" in str(exc) or "canceling" in str(exc):
                return None
            raise
        finally:
            cancel()
        elapsed = (time.perf_counter() - start) * 1000
        process = (time.process_time() - cpu) * 1000
        database = (backend_cpu() - db) * 1000
        if response.status_code != 200:
            raise RuntimeError(f"{url}: status {response.status_code}")
        if i:
            times.append(elapsed)
            CPU.append((url, process, database))
    return times


CPU: list[tuple[str, float, float]] = []  # (url, process ms, database backend ms) per timed request


def cpu_summary(requests) -> str:
    """p50/p95 of the CPU per request: the process's, and with the database backend's."""
    if not requests:
        return ""
    process = [p for _u, p, _d in requests]
    both = [p + d for _u, p, d in requests]
    line = f"CPU p50 {percentile(process, 50):.0f} ms, p95 {percentile(process, 95):.0f} ms"
    if any(d for _u, _p, d in requests):
        line += f"; with the database backend p50 {percentile(both, 50):.0f} ms, p95 {percentile(both, 95):.0f} ms"
    return line


def _label(url: str) -> str:
    parsed = urlparse(url)
    return parsed.path + (
        "?" + "&".join(f"{k}={v}" for k, v in parse_qsl(parsed.query)) if parsed.query else ""
    )


# --- one database ---------------------------------------------------------------------------


def run(args) -> int:
    workdir = tempfile.mkdtemp(prefix="drilldown-bench-")
    drop = None
    if args.database_url:
        scratch = args.database_url
    elif args.database == "postgres":
        try:
            scratch, drop = _postgres_scratch(_postgres_url())
        except Exception as exc:  # no PostgreSQL here: nothing to measure
            print(f"drilldown_bench (PostgreSQL) skipped: not reachable ({exc})")
            return 0
    else:
        if args.achievements:
            print("generated data need PostgreSQL (--database postgres)")
            return 2
        scratch = f"sqlite:///{workdir}/bench.sqlite3"
    os.environ["DATABASE_URL"] = scratch
    # As in production: DEBUG off (Django keeps no list of queries); plain static files (no manifest
    # needed); tasks in-process; a cache of this process only.
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("SECRET_KEY", f"benchmark-only-{os.getpid()}-not-a-secret")
    os.environ["STATICFILES_STORAGE"] = "django.contrib.staticfiles.storage.StaticFilesStorage"
    os.environ["CELERY_BROKER_URL"] = ""
    os.environ["CACHE_URL"] = "locmemcache://"
    os.environ["LOG_LEVEL"] = "CRITICAL"  # an interrupted request is reported here, not as a traceback
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liaoning_tt.settings")
    try:
        return _measure(args)
    finally:
        if drop is not None and not args.keep:
            drop()
        elif drop is not None:
            print(f"kept scratch database: {scratch}")


def _measure(args) -> int:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.urls import reverse

    from accounts.services import user_create_staff, user_create_unit_user
    from achievements import views as registry_views
    from achievements.filtersets import AchievementFilterSet, TransformationFilterSet
    from achievements.models import Achievement, Cluster, Transformation, Unit
    from dashboards import engine

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    reused = bool(args.database_url) and Achievement.objects.exists()
    if reused:
        data = "existing"
    elif args.achievements:
        from benchmarks import stats_bench

        first_year = engine.current_year() - stats_bench.YEARS + 1
        with connection.cursor() as cursor:
            stats_bench.generate(
                cursor,
                units=args.units,
                achievements=args.achievements,
                contracts=args.contracts,
                first_year=first_year,
            )
        engine.recompute_full()
        data = "generated"
    else:
        call_command("seed_demo", no_logins=True, stdout=io.StringIO())
        engine.recompute_full()
        data = "demo"
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # The steady state of a table that autovacuum has visited: statistics, and the visibility
            # map that lets counts read an index alone (index-only scans).
            cursor.execute("ANALYZE" if reused else "VACUUM ANALYZE")
            cursor.execute(f"SET statement_timeout = {int(args.timeout * 1000)}")
    vendor = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}[connection.vendor]
    if args.build_only:
        print(f"built in {time.perf_counter() - started:.0f} s")
        return 0
    print(
        f"{vendor}, {data} data: {Achievement.objects.count():,} achievements, "
        f"{Transformation.objects.count():,} contracts, {Unit.objects.count():,} units "
        f"(built and recomputed in {time.perf_counter() - started:.0f} s); load average "
        + " ".join(f"{x:.1f}" for x in os.getloadavg()),
        flush=True,
    )

    achievement_path = reverse("achievements:achievement_list")
    contract_path = reverse("achievements:transformation_list")
    dashboard_path = reverse("dashboards:dashboard")
    list_paths = (achievement_path, contract_path)

    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    busiest = Unit.objects.annotate(n=Count("achievements")).order_by("-n", "pk").first()
    staff = users.filter(username="bench-staff").first() or user_create_staff(
        username="bench-staff", password="bench-pass-123456"
    )
    unit_user = users.filter(username="bench-unit").first() or user_create_unit_user(
        username="bench-unit", password="bench-pass-123456", unit=busiest
    )
    city = "210200" if Unit.objects.filter(region__startswith="2102").exists() else busiest.region[:4] + "00"

    staff_client, unit_client = Client(), Client()
    staff_client.force_login(staff)
    unit_client.force_login(unit_user)

    pages = []  # (name, client, links)
    for name, client, query in (
        ("province (staff)", staff_client, ""),
        (f"city {city} (staff)", staff_client, f"?region={city}"),
        (f"unit user ({busiest.name})", unit_client, ""),
    ):
        start = time.perf_counter()
        response = client.get(dashboard_path + query)
        assert response.status_code == 200, response.status_code
        links = dashboard_links(response.content.decode(), list_paths)
        print(
            f"dashboard {name}: {len(links)} distinct drill-down links "
            f"(page {(time.perf_counter() - start) * 1000:.0f} ms)"
        )
        pages.append((f"dashboard {name}", client, links))

    year = engine.current_year() - 1
    unit = busiest.code
    cluster = Cluster.objects.filter(achievements__isnull=False).values_list("code", flat=True).first()
    patent = Achievement.objects.exclude(patent_no="").values_list("patent_no", flat=True).first() or ""
    title = Achievement.objects.values_list("title", flat=True).first() or "成果"
    contract = Transformation.objects.values_list("achievement_id", flat=True).first()
    common = {
        "q": [title[:2], title[:4], patent[2:12]],
        "unit": [unit],
        "region": [city, "210000", busiest.region],
        "cluster": [cluster],
        "trl": [str(level) for level in range(1, 10)],
        "trl_min": ["7"],
        "trl_max": ["3"],
        "stock_year": [str(year)],
        "transformed_in": [str(year)],
        "transformed_by": [str(year)],
        "registered_from": [f"{year}-01-01"],
        "registered_to": [f"{year - 5}-12-31"],
        "signed_year": [str(year)],
        "signed_from": [f"{year}-01-01"],
        "signed_to": [f"{year - 5}-12-31"],
        "amount_min": ["1000000"],
        "amount_max": ["10000"],
        "achievement": [str(contract)],
        "transferee_region": ["210000", "110000", city],
    }
    lists = filter_links(achievement_path, AchievementFilterSet, common)
    lists += filter_links(contract_path, TransformationFilterSet, common)
    lists += [f"{achievement_path}?page=last", f"{contract_path}?page=last"]
    pages.append(("list filters (staff)", staff_client, lists))
    unit_lists = [u for u in lists if "unit=" not in u and "region=" not in u and "unit_type=" not in u]
    pages.append(("list filters (unit user)", unit_client, unit_lists))
    if not args.no_sorts:
        sorts = sort_links(achievement_path, registry_views.ACHIEVEMENT_SORTS)
        sorts += sort_links(contract_path, registry_views.TRANSFORMATION_SORTS)
        pages.append(("list sorts (staff, whole list)", staff_client, sorts))

    results = []  # (page, url, times or None)
    for name, client, links in pages:
        chosen = sample(links, args.sample)
        start = time.perf_counter()
        page_results = []
        first_cpu = len(CPU)
        for url in chosen:
            page_results.append((name, url, time_link(client, url, args.repeat, args.timeout)))
        results += page_results
        timed = [t for _n, _u, t in page_results if t is not None]
        all_times = [x for t in timed for x in t]
        summary = (
            f"p50 {percentile(all_times, 50):.0f} ms, p95 {percentile(all_times, 95):.0f} ms, "
            f"max {max(all_times):.0f} ms"
            if all_times
            else "no request finished"
        )
        timeouts = len(page_results) - len(timed)
        print(
            f"{name}: {len(chosen)} links x {args.repeat}: {summary}"
            + (f"; {timeouts} timed out (> {args.timeout:.0f} s)" if timeouts else "")
            + f"  [{time.perf_counter() - start:.0f} s]"
            + f"\n    {cpu_summary(CPU[first_cpu:])}; load average "
            + " ".join(f"{x:.1f}" for x in os.getloadavg()),
            flush=True,
        )

    def key(result):
        times = result[2]
        return float("inf") if times is None else percentile(times, 95)

    print(f"\nslowest {args.worst} links (p50 / p95 over {args.repeat} requests):")
    for name, url, times in sorted(results, key=key, reverse=True)[: args.worst]:
        figures = (
            "timed out"
            if times is None
            else f"{percentile(times, 50):7.0f} / {percentile(times, 95):5.0f} ms"
        )
        print(f"  {figures:>18}  {name}: {_label(url)}")
    all_times = [x for _n, _u, t in results if t for x in t]
    worst = max(key(r) for r in results)
    print(
        f"\nall {len(results)} links ({vendor}): p50 {percentile(all_times, 50):.0f} ms, "
        f"p95 {percentile(all_times, 95):.0f} ms; slowest link p95 "
        + ("timed out" if worst == float("inf") else f"{worst:.0f} ms")
        + f" (target < {args.target:.0f} ms: {'met' if worst < args.target else 'NOT met'}); "
        + f"{sum(key(r) >= args.target for r in results)} links at or over it; load average "
        + " ".join(f"{x:.1f}" for x in os.getloadavg())
    )
    print(f"all requests: {cpu_summary(CPU)}")
    per_link = {}
    for url, process, database in CPU:
        per_link.setdefault(url, []).append(process + database)
    slowest = sorted(per_link.items(), key=lambda item: percentile(item[1], 95), reverse=True)
    print(f"slowest {min(args.worst, len(slowest))} links by CPU (process + database backend), p95:")
    for url, values in slowest[: args.worst]:
        print(f"  {percentile(values, 95):7.0f} ms  {_label(url)}")
    if slowest:
        worst_cpu = percentile(slowest[0][1], 95)
        over = sum(percentile(values, 95) >= args.target for _url, values in slowest)
        print(
            f"slowest link CPU p95 {worst_cpu:.0f} ms (target < {args.target:.0f} ms: "
            f"{'met' if worst_cpu < args.target else 'NOT met'}); {over} links at or over it by CPU"
        )
    return 0


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.database != "both" or args.database_url:
        return run(args)
    # Django is set up once per process: one child process per database.
    argv = list(sys.argv[1:] if argv is None else argv)
    codes = []
    for database in ("sqlite", "postgres"):
        print(f"--- {database}", flush=True)
        codes.append(subprocess.call([sys.executable, __file__, *argv, "--database", database], cwd=ROOT))
    return max(codes)


if __name__ == "__main__":
    sys.exit(main())

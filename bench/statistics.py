"""The statistics at scale: the public statistics page (cache cold), an agency's dashboard and
a year's figures, at 10,000 and at 1,000,000 dossiers, measured in one run.

The dossiers are the back-office bench's (bench/backoffice.py: 50 agencies, skewed sizes,
2024-01-01 .. 2026-11-28, each with a whole life generated in SQL), in databases of their own
(dvc_bench_stats and dvc_bench_stats_small). After each load the per-day counts
(stats.DailyCount) are rebuilt from the dossiers, as the nightly task does, and the time that
takes is recorded. Then, each sample on both sizes back to back with the same parameters:
- the public page `/thong-ke/` for a month drawn from the 35, the whole portal or one agency
  (half each), with the page cache emptied before each request (cache cold);
- the dashboard `/office/statistics/` of a drawn agency's logged-in officer, for a drawn month;
- a year's figures: the scorecard of a drawn agency for a whole year (stats.indicators);
- a year's report (Biểu số 06/VPCP/KSTT, stats.reports) of a drawn agency, 2024 or 2025.

    python bench/statistics.py      (make bench runs it through bench/run.py)

BENCH_STATS_ROWS (default 1000000), BENCH_STATS_SMALL (default 10000), BENCH_STATS_SAMPLES
(default 200). Its databases: STATS_BENCH_DATABASE_URL, else dvc_bench_stats on the server of
DATABASE_URL.

Goal (issue 19): each page's p99 at 1,000,000 dossiers under 100 ms and within 2× its time at
10,000; a year's figures and a year's report under 10 s.
"""

import datetime as dt
import gc
import os
import platform
import random
import sys
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _database_url() -> str:
    explicit = os.environ.get("STATS_BENCH_DATABASE_URL")
    if explicit:
        return explicit
    base = urlparse(os.environ.get("DATABASE_URL", ""))
    if base.scheme.startswith("postgres"):
        return urlunparse(base._replace(path="/dvc_bench_stats"))
    return "postgres://postgres@127.0.0.1:5432/dvc_bench_stats"


# The back-office bench builds the world and loads the dossiers: point it at our databases.
os.environ["BACKOFFICE_BENCH_DATABASE_URL"] = _database_url()
os.environ["BENCH_BACKOFFICE_ROWS"] = os.environ.get("BENCH_STATS_ROWS", "1000000")
os.environ["BENCH_BACKOFFICE_SMALL"] = os.environ.get("BENCH_STATS_SMALL", "10000")
# The page cache is Redis, as in production (a database of its own: it is emptied per sample).
os.environ.setdefault("CACHE_URL", "redis://127.0.0.1:6379/11")

from django.conf import settings  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from bench import backoffice as world_bench  # noqa: E402 - sets Django up
from bench.bench_http import write_section  # noqa: E402
from stats import aggregates, reports  # noqa: E402
from stats.indicators import Period, Scope, scorecard  # noqa: E402
from stats.models import DailyCount  # noqa: E402
from submissions.models import Dossier  # noqa: E402

settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]  # the test client's host
SAMPLES = int(os.environ.get("BENCH_STATS_SAMPLES", "200"))
WARMUP = max(10, SAMPLES // 10)
SIZES = world_bench.SIZES
OPERATIONS = {
    # The machine's floor in the same run: a page with a template and no statistics.
    "home": "baseline: the home page / (a template, no statistics)",
    "public": "public page /thong-ke/, one month (cache cold)",
    "dashboard": "agency dashboard /office/statistics/, one month",
    "year": "a year's figures (scorecard of an agency)",
    "report": "a year's report, Biểu 06 (an agency, stats.reports)",
}
GOAL_RATIO, GOAL_P99_MS, GOAL_YEAR_S = 2.0, 100.0, 10.0
# One visitor's client for the anonymous pages: a test Client builds its middleware chain when
# made (~15 ms), which is no part of a request. It keeps no cookie: these pages set none.
ANONYMOUS = Client()


def rebuild_counts() -> float:
    started = time.perf_counter()
    aggregates.rebuild(first=world_bench.FIRST_DAY, last=world_bench.LAST_DAY)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE stats_dailycount")
    return time.perf_counter() - started


def _month(rng: random.Random) -> Period:
    months = world_bench._months()
    first, _last = rng.choice(months)
    return Period.month_of(first)


def _tasks(world: list[dict], rng: random.Random) -> list[tuple[str, dict]]:
    tasks = []
    for _ in range(SAMPLES):
        w = rng.choice(world)
        month = _month(rng)
        year = rng.choice([2024, 2025, 2026])
        tasks.append(("home", {}))
        tasks.append(("public", {"agency": w["agency"].code if rng.random() < 0.5 else None,
                                 "period": month}))  # fmt: skip
        tasks.append(("dashboard", {"world": w, "period": month}))
        tasks.append(("year", {"world": w, "period": Period.year_of(dt.date(year, 1, 1))}))
        tasks.append(("report", {"world": w, "year": rng.choice([2024, 2025])}))
    rng.shuffle(tasks)
    return tasks


def _query(period: Period) -> str:
    return f"period=custom&start={period.first:%d/%m/%Y}&end={period.last:%d/%m/%Y}"


def _run(op: str, p: dict, clients: dict) -> float:
    started = time.perf_counter()
    if op == "home":
        response = ANONYMOUS.get("/")
        assert response.status_code == 200, response.status_code
    elif op == "public":
        cache.clear()
        agency = f"agency={p['agency']}&" if p["agency"] else ""
        response = ANONYMOUS.get(f"/thong-ke/?{agency}{_query(p['period'])}")
        assert response.status_code == 200, response.status_code
    elif op == "dashboard":
        client = clients[p["world"]["officer"].pk]
        response = client.get(f"/office/statistics/?{_query(p['period'])}")
        assert response.status_code == 200, response.status_code
    elif op == "year":
        scorecard(Scope.agency(p["world"]["agency"]), p["period"])
    else:
        period = reports.ReportPeriod.of(reports.ReportKind.YEAR, p["year"])
        reports.figures_for(p["world"]["agency"], period)
    return (time.perf_counter() - started) * 1000


def _clients(world: list[dict]) -> dict:
    from tests.factories import StaffClient

    clients = {}
    for w in world:
        client = StaffClient()
        client.force_login(w["officer"])
        clients[w["officer"].pk] = client
    return clients


def measure(world: list[dict], *, seed: int) -> dict:
    rng = random.Random(seed)
    result = {alias: {op: [] for op in OPERATIONS} for alias in SIZES}
    clients = {}
    for alias in SIZES:
        world_bench.CURRENT["alias"] = alias
        clients[alias] = _clients(world)
    for n, (op, p) in enumerate(_tasks(world, rng)):
        for alias in SIZES:
            world_bench.CURRENT["alias"] = alias
            elapsed = _run(op, p, clients[alias])
            if n >= WARMUP * len(OPERATIONS):
                result[alias][op].append(elapsed)
        if n == WARMUP * len(OPERATIONS):
            gc.collect()
            gc.freeze()
    world_bench.CURRENT["alias"] = "default"
    return result


def q(values: list[float], p: float) -> float:
    return world_bench._quantile(values, p)


def write_results(outcome: dict) -> str:
    r = outcome["result"]
    small, big = world_bench._label(world_bench.SMALL), world_bench._label(world_bench.ROWS)
    lines = [
        f"Run {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on {platform.node()} "
        f"({os.cpu_count()} cores, load average {outcome['load'][0]:.2f} at the start, "
        f"{outcome['load'][1]:.2f} at the end), PostgreSQL {outcome['server']}. The back-office "
        f"bench's dossiers ({world_bench.AGENCIES} agencies, 2024-01-01 .. 2026-11-28), "
        f"{outcome['rows']['small']:,} and {outcome['rows']['default']:,}; per-day counts "
        f"rebuilt from them in {outcome['rebuild'][0]:.1f} s and {outcome['rebuild'][1]:.1f} s "
        f"({outcome['counts']['small']:,} and {outcome['counts']['default']:,} rows). "
        f"{SAMPLES - WARMUP} samples per operation and size after {WARMUP} warm-up rounds, "
        "both sizes of each sample back to back; pages through the in-process Django test "
        "client (the dashboard as the agency's logged-in officer).",
        "",
        f"| operation | p50 @{small} | p99 @{small} | p50 @{big} | p99 @{big} | ratio p99 |",
        "|---|---|---|---|---|---|",
    ]
    failing = []
    for op, label in OPERATIONS.items():
        a, z = r["small"][op], r["default"][op]
        ratio = q(z, 0.99) / q(a, 0.99)
        lines.append(
            f"| {label} | {q(a, 0.5):.1f} ms | {q(a, 0.99):.1f} ms | {q(z, 0.5):.1f} ms | "
            f"{q(z, 0.99):.1f} ms | {ratio:.2f} |"
        )
        if op == "home":
            continue
        if op in ("year", "report"):
            if q(z, 0.99) > GOAL_YEAR_S * 1000:
                failing.append(label)
        elif ratio > GOAL_RATIO or q(z, 0.99) > GOAL_P99_MS:
            failing.append(label)
    lines += [
        "",
        f"Goal (pages: p99 at {big} under {GOAL_P99_MS:.0f} ms and within {GOAL_RATIO:.0f}× "
        f"their p99 at {small}; a year's figures and report under {GOAL_YEAR_S:.0f} s): "
        + ("**met**." if not failing else f"**not met** by: {', '.join(failing)}."),
        "",
    ]
    return write_section("Statistics (bench/statistics.py)", lines)


def run() -> dict:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    world = world_bench.setup_world()
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0].split()[0]
    world_bench.empty()
    DailyCount.objects.all().delete()
    world_bench.load(world, world_bench.SMALL, seed=0.11)
    rebuild_small = rebuild_counts()
    world_bench.copy_small()
    world_bench.load(world, world_bench.ROWS - world_bench.SMALL, seed=0.37)
    rebuild_big = rebuild_counts()
    rows, counts = {}, {}
    for alias in SIZES:
        world_bench.CURRENT["alias"] = alias
        rows[alias] = Dossier.objects.count()
        counts[alias] = DailyCount.objects.count()
    world_bench.CURRENT["alias"] = "default"
    print(f"counts rebuilt in {rebuild_small:.1f} s and {rebuild_big:.1f} s", flush=True)
    start_load = os.getloadavg()[0]
    result = measure(world, seed=3)
    for alias in SIZES:
        for op in OPERATIONS:
            values = result[alias][op]
            print(
                f"  {alias:<7} {op:<9} p50 {q(values, 0.5):7.1f} ms  p99 {q(values, 0.99):7.1f} ms"
            )
    return {
        "result": result,
        "server": server,
        "rows": rows,
        "counts": counts,
        "rebuild": (rebuild_small, rebuild_big),
        "load": (start_load, os.getloadavg()[0]),
    }


if __name__ == "__main__":
    print(write_results(run()))

"""How much a statutory deadline costs compared with naive weekday arithmetic.

For n = 1, 5, 15, 40 working days, over the same random start instants (2025-2027, any time of day,
weekends and holidays included), it times in one process:

- baseline: `start + timedelta(days=1)` repeated, skipping Saturdays and Sundays, in plain Python
  (no holidays, no office hours);
- warm: `WorkCalendar().add_working_days(start, n)` with one calendar reused for every call, so
  its per-year CalendarDay cache is filled after the first call of each year;
- fresh: a new `WorkCalendar()` per call, as a request or task makes one: one database query per
  year the deadline touches, and one for which years have a reviewed calendar file.

The `holidays` package's years are lru_cached at module level, so after the warm-up both variants
measure lookups, not the package's computation; the cost of that is reported once as
`statutory_year_ms`.

    cd /work/main && .venv/bin/python manage.py migrate -v0
    .venv/bin/python bench/bench_workdays.py

It only reads: a guard installed on the connection refuses any statement but SELECT.
"""

import datetime as dt
import os
import random
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import DatabaseError, connection  # noqa: E402

from portal import workdays  # noqa: E402
from portal.models import CalendarDay  # noqa: E402

DAYS = (1, 5, 15, 40)
SEED = 20260217
STARTS = 2000  # start instants per n for the baseline and the warm calendar
FRESH_STARTS = 1000  # fewer for a fresh calendar per call: each call queries the database
REPEATS = 5  # the best of REPEATS timings is kept, to damp scheduler noise


def naive_add_weekdays(start: dt.datetime, days: int) -> dt.datetime:
    """`days` weekdays after `start`, skipping Saturdays and Sundays only."""
    current = start
    left = days
    while left > 0:
        current += dt.timedelta(days=1)
        if current.weekday() < 5:
            left -= 1
    return current


def random_starts(count: int, seed: int) -> list[dt.datetime]:
    rng = random.Random(seed)
    tz = ZoneInfo(settings.TIME_ZONE)
    first = dt.datetime(2025, 1, 1, tzinfo=tz)
    span = int((dt.datetime(2028, 1, 1, tzinfo=tz) - first).total_seconds())
    return [first + dt.timedelta(seconds=rng.randrange(span)) for _ in range(count)]


def _best_per_call_us(func, starts, n) -> float:
    best = float("inf")
    for _ in range(REPEATS):
        began = time.perf_counter()
        for start in starts:
            func(start, n)
        best = min(best, time.perf_counter() - began)
    return best / len(starts) * 1e6


def _read_only(execute, sql, params, many, context):
    if not sql.lstrip().upper().startswith("SELECT"):
        raise RuntimeError(f"bench_workdays must not write to the database: {sql[:80]}")
    return execute(sql, params, many, context)


def run(starts: int = STARTS, fresh_starts: int = FRESH_STARTS, seed: int = SEED) -> dict:
    """Time the three variants and return the figures.

    Returns {
        "database": the database engine's vendor ("sqlite", "postgresql"),
        "calendar_days": CalendarDay rows in the database,
        "starts": start instants per n (baseline, warm), "fresh_starts": (fresh),
        "statutory_year_ms": one cold `holidays` year (2031, outside the sample), milliseconds,
        "by_days": {n: {
            "baseline_us": naive weekday arithmetic, microseconds per call,
            "warm_us": one WorkCalendar reused, microseconds per call,
            "fresh_us": a new WorkCalendar per call, microseconds per call,
            "fresh_queries_per_call": database queries per call with a fresh calendar,
            "warm_ratio": warm_us / baseline_us, "fresh_ratio": fresh_us / baseline_us,
        }},
    }
    """
    with connection.execute_wrapper(_read_only):
        calendar_days = CalendarDay.objects.count()

        began = time.perf_counter()
        workdays._statutory(2031)
        statutory_year_ms = (time.perf_counter() - began) * 1e3

        sample = random_starts(starts, seed)
        fresh_sample = sample[:fresh_starts]
        warm_calendar = workdays.WorkCalendar()
        for start in sample:  # warm-up: every year's holidays and CalendarDay rows in cache
            warm_calendar.add_working_days(start, max(DAYS))

        def fresh(start, n):
            return workdays.WorkCalendar().add_working_days(start, n)

        by_days = {}
        for n in DAYS:
            baseline_us = _best_per_call_us(naive_add_weekdays, sample, n)
            warm_us = _best_per_call_us(warm_calendar.add_working_days, sample, n)
            fresh_us = _best_per_call_us(fresh, fresh_sample, n)

            queries = 0

            def count(execute, sql, params, many, context):
                nonlocal queries
                queries += 1
                return execute(sql, params, many, context)

            with connection.execute_wrapper(count):
                for start in fresh_sample:
                    fresh(start, n)

            by_days[n] = {
                "baseline_us": baseline_us,
                "warm_us": warm_us,
                "fresh_us": fresh_us,
                "fresh_queries_per_call": queries / len(fresh_sample),
                "warm_ratio": warm_us / baseline_us,
                "fresh_ratio": fresh_us / baseline_us,
            }

    return {
        "database": connection.vendor,
        "calendar_days": calendar_days,
        "starts": len(sample),
        "fresh_starts": len(fresh_sample),
        "statutory_year_ms": statutory_year_ms,
        "by_days": by_days,
    }


def main() -> None:
    try:
        figures = run()
    except DatabaseError as error:
        sys.exit(
            f"bench_workdays: cannot read the work calendar ({error}).\n"
            "Does the database exist, with migrations applied? Without DATABASE_URL the SQLite "
            "quickstart database is used: .venv/bin/python manage.py migrate -v0"
        )
    print(
        f"database={figures['database']}  CalendarDay rows={figures['calendar_days']}  "
        f"starts={figures['starts']} (fresh: {figures['fresh_starts']})  "
        f"one cold holidays year={figures['statutory_year_ms']:.2f} ms"
    )
    print(
        f"{'n':>3}  {'baseline µs':>11}  {'warm µs':>9}  {'x base':>7}  "
        f"{'fresh µs':>9}  {'x base':>7}  {'queries/call':>12}"
    )
    for n, row in figures["by_days"].items():
        print(
            f"{n:>3}  {row['baseline_us']:>11.2f}  {row['warm_us']:>9.2f}  "
            f"{row['warm_ratio']:>7.1f}  {row['fresh_us']:>9.2f}  {row['fresh_ratio']:>7.1f}  "
            f"{row['fresh_queries_per_call']:>12.2f}"
        )


if __name__ == "__main__":
    main()

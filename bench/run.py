"""Run every benchmark (`make bench`) and record the figures in bench/RESULTS.md.

bench_workdays.py and bench_http.py print tables, recorded here verbatim; catalogue.py,
documents.py, submissions.py, backoffice.py, statistics.py and register.py write their own
sections.

A quick run: BENCH_DOCUMENTS=5 (documents per figure, both the single-signature documents and
the result signed by the leader and the agency), BENCH_REGISTER_LINES=4000 (the register's size;
the full 100,000 lines take over half an hour on two cores), BENCH_BACKOFFICE_ROWS=100000,
BENCH_STATS_ROWS=100000.
"""

import datetime as dt
import platform
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

subprocess.run([sys.executable, str(HERE.parent / "manage.py"), "migrate", "-v0"], check=True)

for script in (
    "bench_workdays.py",
    "bench_http.py",
    "catalogue.py",
    "documents.py",
    "submissions.py",
    "backoffice.py",
    "statistics.py",
    "register.py",
):
    print(f"== {script}", flush=True)
    done = subprocess.run(
        [sys.executable, str(HERE / script)], check=True, capture_output=True, text=True
    )
    print(done.stdout, flush=True)
    if script in ("bench_workdays.py", "bench_http.py"):
        from bench.bench_http import write_section

        stamp = f"Run {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on {platform.node()}."
        write_section(f"{script}", [stamp, "", "```", done.stdout.strip(), "```", ""])

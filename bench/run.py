"""Run every benchmark (`make bench`) and record the figures in bench/RESULTS.md.

bench_workdays.py and bench_http.py print tables, recorded here verbatim; catalogue.py,
documents.py, submissions.py and backoffice.py write their own sections.
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

"""Run every benchmark and print its figures (`make bench`). Record results in bench/RESULTS.md."""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
subprocess.run([sys.executable, str(HERE.parent / "manage.py"), "migrate", "-v0"], check=True)

for script in ("bench_workdays.py", "bench_http.py", "catalogue.py"):
    print(f"== {script}", flush=True)
    subprocess.run([sys.executable, str(HERE / script)], check=True)

"""Requests per second of the portal's pages through gunicorn, as ratios to baselines measured
in the same session on the same machine (wrk -t2 -c50, gunicorn with 2 sync workers, as in
../shared/BASELINES.md).

Needs DATABASE_URL (PostgreSQL) and REDIS_URL, and wrk (Debian package `wrk`). The portal runs
migrated, with the demo data, in development mode with DEBUG off.
"""

import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DURATION = os.environ.get("BENCH_SECONDS", "10")


def _gunicorn(app: str, port: int, env: dict) -> subprocess.Popen:
    proc = subprocess.Popen(
        [str(BIN / "gunicorn"), app, "--workers", "2", "--bind", f"127.0.0.1:{port}",
         "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1)
            return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"{app} did not start")


def _wrk(url: str) -> dict:
    out = subprocess.run(
        ["wrk", "-t2", "-c50", f"-d{DURATION}s", "--latency", url],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = re.search(r"50%\s+([\d.]+\w+)", out).group(1)
    p99 = re.search(r"99%\s+([\d.]+\w+)", out).group(1)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50": p50, "p99": p99, "errors": int(non2xx.group(1)) if non2xx else 0}


def run() -> dict:
    env = {**os.environ, "PORTAL_ENV": "development", "DEBUG": "false"}
    subprocess.run(
        [str(BIN / "python"), "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True
    )
    subprocess.run(
        [str(BIN / "python"), "manage.py", "seed_demo"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    targets = [
        ("hello (plain WSGI)", "bench.baseline_site:hello", 8101, "/"),
        ("django small template", "bench.baseline_site:application", 8102, "/"),
        ("portal home page", "portal.wsgi:application", 8103, "/"),
        ("portal /healthz", "portal.wsgi:application", 8103, "/healthz"),
    ]
    results = measure(targets, env, baseline="django small template")
    for figures in results.values():
        figures["ratio_to_django_template"] = figures["ratio"]
    return results


def measure(targets: list[tuple[str, str, int, str]], env: dict, *, baseline: str) -> dict:
    """wrk each (name, WSGI app, port, path) in turn, one gunicorn per port, and give each
    result its ratio to the `baseline` target's requests/s."""
    servers, results = {}, {}
    try:
        for name, app, port, path in targets:
            if port not in servers:
                servers[port] = _gunicorn(app, port, env)
            results[name] = _wrk(f"http://127.0.0.1:{port}{path}")
    finally:
        for proc in servers.values():
            proc.terminate()
            proc.wait(timeout=20)
    base = results[baseline]["rps"]
    for figures in results.values():
        figures["ratio"] = round(figures["rps"] / base, 3)
    return results


def write_section(title: str, lines: list[str]) -> str:
    """Replace the `## {title}` section of bench/RESULTS.md with these lines."""
    import re

    section = "\n".join([f"## {title}", "", *lines])
    path = ROOT / "bench" / "RESULTS.md"
    text = path.read_text() if path.exists() else "# Benchmark results\n\n"
    text = re.sub(rf"## {re.escape(title)}.*?(?=\n## |\Z)", "", text, flags=re.S)
    path.write_text(text.rstrip() + "\n\n" + section)
    return section


if __name__ == "__main__":
    for name, figures in run().items():
        print(f"{name:<24} {figures['rps']:>9.1f} req/s  p50 {figures['p50']:>8}  "
              f"p99 {figures['p99']:>8}  x{figures['ratio_to_django_template']:.2f}  "
              f"non-2xx {figures['errors']}")  # fmt: skip

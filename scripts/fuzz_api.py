"""Fuzz the API against its own schema with schemathesis (issue 13): `make fuzz-api`.

schemathesis reads /api/schema/ from a live server and sends what the schema allows and what it
forbids, to every operation, as three callers in turn: anonymous, the demo citizen and the demo
desk officer. Every check runs (no server error, status codes, content types, headers and
bodies as declared, forbidden input refused, allowed input accepted, authentication honoured,
…), in all four phases: the schema's examples, its boundaries (coverage), random input
(fuzzing) and chains of calls along the schema's OpenAPI links (stateful: create a draft, add
a file, submit, …). Upload endpoints get real PDFs in their allowed cases
(scripts/fuzz_hooks.py). A fixed seed makes a run repeatable; any failure fails the run.

    scripts/fuzz_api.py --serve                 # create FUZZ_DATABASE_URL afresh (dropping
                                                # it), seed it, serve it with gunicorn, fuzz
    scripts/fuzz_api.py --url http://127.0.0.1:8000 --seeded "$(manage.py seed_fuzz)"

tests/api/test_contract.py runs the same `fuzz` with a few examples per operation in `make test`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
IDENTITIES = ("anonymous", "citizen", "desk")
PHASES = ("examples", "coverage", "fuzzing", "stateful")
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/dvc_fuzz"

# The served portal's own limits are raised so that the fuzzer meets the contract, not the
# throttles (tests/submissions/test_api_limits.py tests those), and keeps creating drafts.
SERVER_ENVIRONMENT = {
    "PORTAL_ENV": "development",
    "DEBUG": "False",
    "REDIS_URL": "",  # tasks run in the request: no worker to start
    "CACHE_URL": "",
    "API_AUTH_THROTTLE": "100000/min",
    "API_ANON_THROTTLE": "100000/min",
    "API_USER_READS_THROTTLE": "100000/min",
    "API_USER_WRITES_THROTTLE": "100000/min",
    "API_USER_UPLOADS_THROTTLE": "100000/min",
    "TRACKING_MAX_FAILURES": "100000",
    "DOSSIER_MAX_OPEN_DRAFTS": "100000",
}


def schemathesis_command(
    schema_url: str,
    *,
    token: str | None,
    examples: int,
    seed: int,
    phases: tuple[str, ...] = PHASES,
    report: Path | None = None,
    operations: tuple[str, ...] = (),
) -> list[str]:
    executable = Path(sys.executable).with_name("schemathesis")
    command = [
        str(executable) if executable.exists() else "schemathesis",
        *("run", schema_url, "--phases", ",".join(phases)),
        *("--max-examples", str(examples), "--seed", str(seed)),
        # Repeatable: no examples carried over from an earlier run.
        *("--generation-database", "none", "--no-color", "--workers", "1"),
        *("--request-timeout", "60"),
    ]
    if token is not None:
        # The caller's own token on every request: generating the security parameters too
        # would replace it with random ones and test only the 401 (the anonymous run does).
        command += ["-H", f"Authorization: Token {token}"]
        command += ["--generation-with-security-parameters", "false"]
    if report is not None:
        command += ["--report", "junit", "--report-junit-path", str(report)]
    for operation in operations:  # "GET /api/v1/fields/": only these (all when none)
        command += ["--include-name", operation]
    return command


def fuzz(
    base_url: str,
    seeded: dict,
    *,
    examples: int,
    seed: int,
    identities: tuple[str, ...] = IDENTITIES,
    phases: tuple[str, ...] = PHASES,
    report_dir: Path | None = None,
    operations: tuple[str, ...] = (),
    echo=print,
) -> dict[str, tuple[int, str]]:
    """Run schemathesis once per identity; return {identity: (exit code, its output)}.
    `seeded` is what demo.fuzz.seed returns: the tokens, and the stored values the hooks put
    into the cases meant to be valid."""
    results = {}
    environment = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": "scripts.fuzz_hooks",
        "FUZZ_PROCEDURES": ",".join(seeded.get("procedures", [])),
        "FUZZ_LOGIN": json.dumps(seeded.get("login", {})),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        "COLUMNS": "160",
        "NO_COLOR": "1",
    }
    for identity in identities:
        token = None if identity == "anonymous" else seeded["tokens"][identity]
        report = None if report_dir is None else report_dir / f"{identity}.xml"
        command = schemathesis_command(
            f"{base_url}/api/schema/",
            token=token,
            examples=examples,
            seed=seed,
            phases=phases,
            report=report,
            operations=operations,
        )
        echo(f"== fuzzing as {identity}: {examples} examples per operation, seed {seed}")
        started = time.monotonic()
        done = subprocess.run(  # noqa: S603 - our own command line
            command, cwd=ROOT, env=environment, capture_output=True, text=True, check=False
        )
        output = done.stdout + done.stderr
        echo(output)
        echo(f"== {identity}: exit {done.returncode} in {time.monotonic() - started:.1f} s")
        results[identity] = (done.returncode, output)
    return results


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _manage(*args: str, environment: dict) -> str:
    done = subprocess.run(  # noqa: S603 - manage.py with our own arguments
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def _recreate_database(url: str) -> None:
    sys.path.insert(0, str(ROOT / "scripts"))
    from ensure_database import admin_connection
    from psycopg2 import sql

    name = sql.Identifier(urlparse(url).path.lstrip("/"))
    connection = admin_connection(url)
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        cursor.execute(sql.SQL("CREATE DATABASE {}").format(name))
    connection.close()


@contextlib.contextmanager
def serve(database_url: str):
    """Create the database at `database_url` afresh (dropped first if it exists: a run is
    repeatable only from the same data), migrate and seed it, and serve it with gunicorn on a
    free port, its media in a temporary folder; yield (base URL, what demo.fuzz.seed gave)."""
    _recreate_database(database_url)
    media = Path(tempfile.mkdtemp(prefix="dvc-fuzz-media-"))
    port = _free_port()
    environment = {
        **os.environ,
        **SERVER_ENVIRONMENT,
        "DATABASE_URL": database_url,
        "MEDIA_ROOT": str(media),
        "SITE_URL": f"http://127.0.0.1:{port}",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
    }
    _manage("migrate", "--noinput", "-v0", environment=environment)
    seeded = json.loads(_manage("seed_fuzz", environment=environment).strip().splitlines()[-1])
    gunicorn = Path(sys.executable).with_name("gunicorn")
    log = open(media / "gunicorn.log", "w+")  # noqa: SIM115 - closed below
    server = subprocess.Popen(  # noqa: S603 - gunicorn from the venv
        [str(gunicorn), "-c", "gunicorn.conf.py", "portal.wsgi"],
        cwd=ROOT,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(f"{base_url}/healthz", timeout=2).close()  # noqa: S310
                break
            except OSError:
                if server.poll() is not None:
                    log.seek(0)
                    raise SystemExit(f"gunicorn stopped:\n{log.read()}") from None
                time.sleep(0.2)
        yield base_url, seeded
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.seek(0)
        errors = [line for line in log if '" 50' in line or "Traceback" in line]
        log.close()
        if errors:
            print("gunicorn logged server errors:", *errors[:20], sep="\n")
        shutil.rmtree(media, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--serve", action="store_true", help="seed and serve FUZZ_DATABASE_URL")
    where.add_argument("--url", help="a running portal's base URL (needs --seeded)")
    parser.add_argument("--seeded", default="{}", help="what `manage.py seed_fuzz` printed")
    parser.add_argument("--examples", type=int, default=int(os.environ.get("FUZZ_EXAMPLES", 50)))
    parser.add_argument("--seed", type=int, default=int(os.environ.get("FUZZ_SEED", 20261206)))
    parser.add_argument("--as", dest="identities", default=",".join(IDENTITIES))
    parser.add_argument("--phases", default=",".join(PHASES))
    parser.add_argument("--report-dir", type=Path, help="write a JUnit report per identity here")
    args = parser.parse_args()
    identities = tuple(args.identities.split(","))
    phases = tuple(args.phases.split(","))
    if args.report_dir:
        args.report_dir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    if args.serve:
        database_url = os.environ.get("FUZZ_DATABASE_URL", DEFAULT_DATABASE_URL)
        with serve(database_url) as (base_url, seeded):
            results = fuzz(
                base_url, seeded, examples=args.examples, seed=args.seed,
                identities=identities, phases=phases, report_dir=args.report_dir,
            )  # fmt: skip
    else:
        results = fuzz(
            args.url.rstrip("/"), json.loads(args.seeded), examples=args.examples,
            seed=args.seed, identities=identities, phases=phases, report_dir=args.report_dir,
        )  # fmt: skip
    failed = [identity for identity, (code, _output) in results.items() if code != 0]
    elapsed = time.monotonic() - started
    print(f"fuzz-api: {len(results) - len(failed)} of {len(results)} callers passed "
          f"in {elapsed:.1f} s{'; failed: ' + ', '.join(failed) if failed else ''}")  # fmt: skip
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""Dossier submissions under load: complete filings through the API (create a draft, upload two
200 KB PDFs, submit) against gunicorn (the compose `web` command: gunicorn.conf.py, sync workers)
on PostgreSQL with Redis, at rising concurrency. Each simulated citizen files one dossier at a
time, by itself, with its own API token. Afterwards every submission that was answered 200 with a
code is looked up in the database: submitted, its two files on disk with the right size and
SHA-256, codes distinct (none lost, none duplicated, none stored without an answer).

The baseline, measured in the same run by the same load generator at the same concurrency, is a
bare Django template view (bench/baseline_site.py) served by the same gunicorn configuration;
the portal's /healthz is measured too. Writes the "Submissions" section of bench/RESULTS.md.

    python bench/submissions.py      (make bench runs it through bench/run.py)

It uses its own database and Redis database, both emptied at the start of each run:
SUBMISSIONS_BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/dvc_bench_sub) and
SUBMISSIONS_BENCH_REDIS_URL (default redis://127.0.0.1:6379/13). Uploaded files go to a temporary
MEDIA_ROOT, removed at the end (the servers' logs stay beside it). BENCH_SECONDS (default 10) per
level, BENCH_LEVELS (default 1,4,8,16,32). No Celery worker runs unless BENCH_WORKER=1: the
notification tasks each submission enqueues on commit then stay queued in Redis (they are
counted). BENCH_PATCH=1 adds a PATCH of the answers to each filing.

Goal (issue 5): at least 100 dossiers/s on a 2-core machine, with none lost.
"""

import contextlib
import datetime as dt
import hashlib
import http.client
import json
import os
import platform
import resource
import shutil
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

DATABASE_URL = os.environ.get(
    "SUBMISSIONS_BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/dvc_bench_sub"
)
REDIS_URL = os.environ.get("SUBMISSIONS_BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
BENCH_DIR = Path(tempfile.mkdtemp(prefix="dvc-bench-sub-"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
BASELINE_SECONDS = max(3.0, SECONDS / 2)
LEVELS = [int(n) for n in os.environ.get("BENCH_LEVELS", "1,4,8,16,32").split(",")]
WITH_WORKER = os.environ.get("BENCH_WORKER") == "1"
WITH_PATCH = os.environ.get("BENCH_PATCH") == "1"
PDF_SIZE = 200 * 1024
GOAL = 100.0
# "steps": the interactive path (create, two uploads, submit: four requests); "one-call": the
# one-request filing API (POST /api/v1/dossiers/file/ with the answers and both files).
FLOWS = os.environ.get("BENCH_FLOWS", "steps,one-call").split(",")

os.environ.update(
    DJANGO_SETTINGS_MODULE="portal.settings",
    PORTAL_ENV="development",
    DEBUG="false",  # as in production: no query log
    DATABASE_URL=DATABASE_URL,
    REDIS_URL=REDIS_URL,
    CACHE_URL=REDIS_URL,
    MEDIA_ROOT=str(BENCH_DIR / "media"),
)


def fresh_database(url: str) -> None:
    """Drop and create the bench database, so that every run starts from the same tables."""
    from ensure_database import admin_connection
    from psycopg2 import sql

    parts = urlparse(url)
    name = parts.path.lstrip("/")
    if not name.startswith("dvc_bench"):
        raise SystemExit(f"refusing to drop {name!r}: the bench database's name starts dvc_bench")
    conn = admin_connection(url)
    with conn.cursor() as cursor:
        cursor.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    conn.close()


fresh_database(DATABASE_URL)

import django  # noqa: E402

django.setup()

import redis  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connections, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

from bench.bench_http import write_section  # noqa: E402
from portal.models import Agency, User  # noqa: E402
from procedures.models import Channel, Field, Procedure, ProcedureVersion, RequiredDocument  # noqa: E402
from submissions.models import Dossier, DossierEvent, DossierFile, State  # noqa: E402
from tests.integration import processes  # noqa: E402

# --- the files and the data ----------------------------------------------------------------------


def make_pdf(size: int, label: str) -> bytes:
    """A structurally valid one-page PDF of exactly `size` bytes: catalog, pages, page, and a
    content stream of comment lines as filler; a correct xref table; ends with %%EOF."""

    def build(filler_length: int) -> bytes:
        line = f"% filler {label} ".encode() + b"x" * 60 + b"\n"
        filler = (line * (filler_length // len(line) + 1))[: filler_length - 1] + b"\n"
        objects = [
            b"<</Type/Catalog/Pages 2 0 R>>",
            b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
            b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R/Resources<<>>>>",
            b"<</Length %d>>\nstream\n" % len(filler) + filler + b"\nendstream",
        ]
        out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for number, body in enumerate(objects, start=1):
            offsets.append(len(out))
            out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
        xref = len(out)
        out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
        out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
        out += b"trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (
            len(objects) + 1,
            xref,
        )
        return bytes(out)

    length = size
    for _ in range(5):
        pdf = build(length)
        if len(pdf) == size:
            return pdf
        length -= len(pdf) - size
    raise RuntimeError("could not size the PDF")


PDFS = [make_pdf(PDF_SIZE, "giay-to-1"), make_pdf(PDF_SIZE, "giay-to-2")]
PDF_SHA256 = {hashlib.sha256(pdf).hexdigest() for pdf in PDFS}


@dataclass
class Setup:
    service_code: str
    documents: list[int]
    tokens: list[str]
    schema_question: str


@transaction.atomic
def setup(citizens: int) -> Setup:
    call_command("migrate", verbosity=0)
    agency = Agency.objects.create(
        code="000.00.97.H97", name="Sở Giáo dục và Đào tạo (benchmark)",
        level=Agency.Level.PROVINCE,
    )  # fmt: skip
    field_ = Field.objects.create(code="bench-submissions", name="Văn bằng, chứng chỉ")
    procedure = Procedure.objects.create(code="9.900001", agency=agency)
    version = ProcedureVersion.objects.create(
        procedure=procedure, number=1, status=ProcedureVersion.Status.PUBLISHED,
        name="Cấp bản sao văn bằng, chứng chỉ từ sổ gốc (benchmark)", field=field_,
        implementing_level="province", service_level=3,
        effective_date=timezone.localdate() - dt.timedelta(days=30), published_at=timezone.now(),
        # One optional question: the profile's prefill makes the draft complete (BENCH_PATCH=1
        # answers it anyway).
        form_schema=[{"name": "purpose", "label": "Mục đích sử dụng", "type": "text",
                      "required": False}],
    )  # fmt: skip
    for order, kind in enumerate((Channel.Kind.IN_PERSON, Channel.Kind.ONLINE)):
        Channel.objects.create(version=version, kind=kind, time_amount=5, fee_vnd=0, order=order)
    documents = [
        RequiredDocument.objects.create(version=version, name=name, order=order)
        for order, name in enumerate(["Đơn đề nghị cấp bản sao", "Bản chụp căn cước công dân"])
    ]
    # One password hash for all: these accounts log in with their tokens only.
    password = make_password("bench-only-" + uuid.uuid4().hex)
    users = User.objects.bulk_create(
        User(
            email=f"citizen{i}@bench.example.vn", full_name=f"Nguyễn Văn Thử {i}",
            password=password, citizen_id=f"001090{i:06d}", phone=f"09{i:08d}",
            address="12 Phố Huế, Hà Nội", date_of_birth=dt.date(1990, 5, 17),
            gender=User.Gender.MALE,
        )
        for i in range(citizens)
    )  # fmt: skip
    tokens = [Token.objects.create(user=user).key for user in users]
    return Setup(procedure.service_code, [d.pk for d in documents], tokens, "purpose")


# --- the load generator -------------------------------------------------------------------------


def multipart(fields: list[tuple[str, str]], files: list[tuple[str, str, bytes]]) -> tuple:
    boundary = "----dvcbench" + uuid.uuid4().hex
    parts = []
    for name, value in fields:
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
        parts.append(f"{head}{value}\r\n".encode())
    for name, filename, data in files:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: application/pdf\r\n\r\n'.encode()
            + data + b"\r\n"
        )  # fmt: skip
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


class Client:
    """One keep-alive connection (gunicorn's sync workers close it after each answer; then
    http.client opens a new one for the next request)."""

    def __init__(self, port: int, token: str | None = None):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.auth = {"Authorization": f"Token {token}"} if token else {}

    def call(self, method: str, path: str, body: bytes | None = None, ctype: str | None = None):
        headers = dict(self.auth)
        if ctype:
            headers["Content-Type"] = ctype
        start = time.perf_counter()
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            data = response.read()
            status = response.status
        except (OSError, http.client.HTTPException) as exc:
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            return 0, type(exc).__name__.encode(), time.perf_counter() - start
        return status, data, time.perf_counter() - start


@dataclass
class Filing:
    ok: bool = False
    dossier: str = ""
    code: str = ""
    total: float = 0.0
    steps: dict = field(default_factory=dict)  # step -> seconds (the uploads: a list)
    error: str = ""


class Flow:
    """One complete filing by one citizen, with every request body built in advance."""

    def __init__(self, setup_: Setup):
        self.create = json.dumps({"procedure": setup_.service_code}).encode()
        self.patch = json.dumps(
            {"applicant": {}, "answers": {setup_.schema_question: "Nộp hồ sơ xin việc"}}
        ).encode()
        self.uploads = [
            multipart([("document", str(document))], [("files", f"giay-to-{n}.pdf", pdf)])
            for n, (document, pdf) in enumerate(zip(setup_.documents, PDFS, strict=True), 1)
        ]
        self.at_once = multipart(
            [("procedure", setup_.service_code),
             ("answers", json.dumps({setup_.schema_question: "Nộp hồ sơ xin việc"}))],
            [(f"document_{document}", f"giay-to-{n}.pdf", pdf)
             for n, (document, pdf) in enumerate(zip(setup_.documents, PDFS, strict=True), 1)],
        )  # fmt: skip

    def run_once(self, client: Client) -> Filing:
        """The whole filing in one request."""
        filing = Filing()
        body, ctype = self.at_once
        status, data, seconds = client.call("POST", "/api/v1/dossiers/file/", body, ctype)
        filing.steps["file"] = [seconds]
        if status != 201:
            filing.error = f"file: {status} {data[:160]!r}"
            return filing
        answer = json.loads(data)
        filing.dossier, filing.code = answer["id"], answer.get("code") or ""
        filing.ok = bool(filing.code)
        filing.total = seconds
        return filing

    def run(self, client: Client) -> Filing:
        filing = Filing()
        start = time.perf_counter()

        def step(name, status_ok, method, path, body=None, ctype=None):
            status, data, seconds = client.call(method, path, body, ctype)
            filing.steps.setdefault(name, []).append(seconds)
            if status != status_ok:
                filing.error = f"{name}: {status} {data[:160]!r}"
                return None
            return data

        data = step("create", 201, "POST", "/api/v1/dossiers/", self.create, "application/json")
        if data is None:
            return filing
        filing.dossier = json.loads(data)["id"]
        base = f"/api/v1/dossiers/{filing.dossier}/"
        if WITH_PATCH and step("patch", 200, "PATCH", base, self.patch, "application/json") is None:
            return filing
        for body, ctype in self.uploads:
            if step("upload", 201, "POST", base + "files/", body, ctype) is None:
                return filing
        data = step("submit", 200, "POST", base + "submit/")
        if data is None:
            return filing
        filing.code = json.loads(data).get("code") or ""
        filing.ok = bool(filing.code)
        if not filing.ok:
            filing.error = f"submit: 200 without a code {data[:160]!r}"
        filing.total = time.perf_counter() - start
        return filing


def drive(concurrency: int, seconds: float, make_client, once) -> tuple[list, float]:
    """`concurrency` threads, each with its own client, repeat `once(client)` until the
    deadline (the one in progress is finished). Returns the results and the elapsed time."""
    results: list = []
    lock = threading.Lock()
    ready = threading.Barrier(concurrency + 1)
    clients = [make_client(i) for i in range(concurrency)]
    deadline = [0.0]

    def loop(client):
        ready.wait()
        mine = []
        while time.perf_counter() < deadline[0]:
            mine.append(once(client))
        with lock:
            results.extend(mine)

    threads = [threading.Thread(target=loop, args=(c,), daemon=True) for c in clients]
    for thread in threads:
        thread.start()
    start = time.perf_counter()
    deadline[0] = start + seconds
    ready.wait()
    for thread in threads:
        thread.join()
    return results, time.perf_counter() - start


# --- CPU accounting from /proc ------------------------------------------------------------------

TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def tree_cpu(pid: int) -> float:
    """CPU seconds of a process, its reaped children (gunicorn's recycled workers) and its
    live children."""
    own = _stat(pid)
    if own is None:
        return 0.0
    total = sum(int(x) for x in own[11:15])
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat(int(entry.name))
            if fields and int(fields[1]) == pid:
                total += int(fields[11]) + int(fields[12])
    return total / TICK


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot."""
    values = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return (sum(values) - idle) / TICK, sum(values) / TICK


def self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def database_backends(name: str) -> dict[int, float]:
    """CPU seconds of the PostgreSQL backends connected to database `name` (their process
    titles read "postgres: … user database host(port) state")."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if title.startswith("postgres: ") and f" {name} " in title:
            fields = _stat(int(entry.name))
            if fields:
                found[int(entry.name)] = (int(fields[11]) + int(fields[12])) / TICK
    return found


class CpuMeter:
    """CPU used while the block runs: by gunicorn (master and workers), by this database's
    PostgreSQL backends (sampled, so that a backend that exits is still counted), by this
    process (the load generator), and by the whole machine."""

    def __init__(self, web_pid: int):
        self.web_pid = web_pid
        self.database = urlparse(DATABASE_URL).path.lstrip("/")
        self.stop = threading.Event()

    def _sample(self):
        while not self.stop.wait(0.25):
            self.backends.update(database_backends(self.database))

    def __enter__(self):
        self.first = database_backends(self.database)
        self.backends = dict(self.first)
        self.sampler = threading.Thread(target=self._sample, daemon=True)
        self.sampler.start()
        self.start = (tree_cpu(self.web_pid), self_cpu(), *machine_busy())
        return self

    def __exit__(self, *exc):
        end = (tree_cpu(self.web_pid), self_cpu(), *machine_busy())
        self.stop.set()
        self.sampler.join()
        self.backends.update(database_backends(self.database))
        web, client, busy, total = (b - a for a, b in zip(self.start, end, strict=True))
        self.web, self.client, self.busy = web, client, busy
        self.database_cpu = sum(
            cpu - self.first.get(pid, 0.0) for pid, cpu in self.backends.items()
        )
        # Redis, other PostgreSQL processes, the kernel, and anything else on the machine.
        self.other = max(busy - web - client - self.database_cpu, 0.0)
        self.cores_busy = busy / total * (os.cpu_count() or 1) if total else 0.0


# --- the measurements ---------------------------------------------------------------------------


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered) + 0.5) - 1))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f}" if seconds == seconds else "–"


def get_rps(port: int, path: str, concurrency: int, seconds: float) -> dict:
    def once(client):
        status, _data, _seconds = client.call("GET", path)
        return status

    statuses, elapsed = drive(concurrency, seconds, lambda i: Client(port), once)
    ok = sum(1 for s in statuses if s == 200)
    return {"rps": ok / elapsed, "errors": len(statuses) - ok}


def run() -> dict:
    redis.Redis.from_url(REDIS_URL).flushdb()  # this bench's own Redis database
    setup_ = setup(max(*LEVELS, 2))  # the warm-up files with two
    connections.close_all()
    flow = Flow(setup_)
    env = processes.base_env()
    web_port, base_port = processes.free_port(), processes.free_port()
    web_argv = processes.compose_command("web")
    base_argv = [web_argv[0], "bench.baseline_site:application", *web_argv[2:]]
    levels = []
    with contextlib.ExitStack() as stack:
        if WITH_WORKER:
            stack.enter_context(processes.running(
                processes.compose_command("worker"), env, BENCH_DIR / "worker.log"))  # fmt: skip
        web = stack.enter_context(processes.running(
            web_argv, {**env, "GUNICORN_BIND": f"127.0.0.1:{web_port}"},
            BENCH_DIR / "web.log"))  # fmt: skip
        base = stack.enter_context(processes.running(
            base_argv, {**env, "GUNICORN_BIND": f"127.0.0.1:{base_port}"},
            BENCH_DIR / "baseline.log"))  # fmt: skip
        processes.wait_for_http(f"http://127.0.0.1:{web_port}/healthz", web, BENCH_DIR / "web.log")
        processes.wait_for_http(f"http://127.0.0.1:{base_port}/", base, BENCH_DIR / "baseline.log")

        def filer(i: int) -> Client:
            return Client(web_port, setup_.tokens[i])

        # Warm up both (imports, connections, first queries); not counted but verified.
        warm, _ = drive(2, 2.0, filer, flow.run)
        warm_once, _ = drive(2, 1.0, filer, flow.run_once)
        warm += warm_once
        get_rps(base_port, "/", 2, 1.0)
        filings = list(warm)
        for concurrency in LEVELS:
            baseline = get_rps(base_port, "/", concurrency, BASELINE_SECONDS)
            health = get_rps(web_port, "/healthz", concurrency, BASELINE_SECONDS)
            for mode in FLOWS:
                once = flow.run if mode == "steps" else flow.run_once
                with CpuMeter(web.pid) as cpu:
                    results, elapsed = drive(concurrency, SECONDS, filer, once)
                filings += results
                done = [f for f in results if f.ok]
                steps = {name: [s for f in done for s in f.steps.get(name, [])]
                         for name in ("create", "patch", "upload", "submit", "file")}  # fmt: skip
                n = max(len(done), 1)
                levels.append({
                    "mode": mode,
                    "concurrency": concurrency, "dossiers": len(done),
                    "rate": len(done) / elapsed,
                    "requests_per_dossier": 4 + WITH_PATCH if mode == "steps" else 1,
                    "errors": len(results) - len(done),
                    "first_error": next((f.error for f in results if not f.ok), ""),
                    "p50": pct([f.total for f in done], 0.5),
                    "p99": pct([f.total for f in done], 0.99),
                    "steps": {k: (pct(v, 0.5), pct(v, 0.99)) for k, v in steps.items() if v},
                    "baseline_rps": baseline["rps"], "health_rps": health["rps"],
                    "baseline_errors": baseline["errors"] + health["errors"],
                    "cpu_web_ms": cpu.web / n * 1000, "cpu_client_ms": cpu.client / n * 1000,
                    "cpu_db_ms": cpu.database_cpu / n * 1000, "cpu_other_ms": cpu.other / n * 1000,
                    "cores_busy": cpu.cores_busy,
                })  # fmt: skip
                level = levels[-1]
                level["ratio"] = level["rate"] * level["requests_per_dossier"] / baseline["rps"]
                print(f"c={concurrency:>3} {mode} {level['rate']:7.1f} dossiers/s"
                      f"  p50 {ms(level['p50'])} ms  p99 {ms(level['p99'])} ms"
                      f"  errors {level['errors']}  baseline {baseline['rps']:.0f} req/s",
                      file=sys.stderr, flush=True)  # fmt: skip
        time.sleep(0.5)  # let on_commit enqueues of the last answers land
    check = verify(filings)
    queued = redis.Redis.from_url(REDIS_URL).llen("notifications")
    log = (BENCH_DIR / "web.log").read_text(errors="replace")
    server_errors = log.count("ERROR django.request")
    return {"levels": levels, "check": check, "queued": queued, "server_errors": server_errors}


def verify(filings: list[Filing]) -> dict:
    """Every acknowledged submission is in the database as submitted, with its two files on
    disk, its code its own; and nothing was submitted that was not acknowledged."""
    acked = [f for f in filings if f.ok]
    codes = [f.code for f in acked]
    rows = {
        str(d.public_id): d
        for d in Dossier.objects.filter(public_id__in=[f.dossier for f in acked])
    }
    files: dict[int, list[DossierFile]] = {}
    for record in DossierFile.objects.filter(
        dossier__in=[d.pk for d in rows.values()], removed_at__isnull=True
    ):
        files.setdefault(record.dossier_id, []).append(record)
    events = set(
        DossierEvent.objects.filter(action="submit", dossier__in=[d.pk for d in rows.values()])
        .values_list("dossier_id", flat=True)
    )  # fmt: skip
    lost, wrong = [], []
    for filing in acked:
        dossier = rows.get(filing.dossier)
        if dossier is None:
            lost.append(filing.code)
            continue
        problems = []
        if dossier.state != State.SUBMITTED or dossier.code != filing.code:
            problems.append(f"state {dossier.state} code {dossier.code}")
        if dossier.pk not in events:
            problems.append("no submit event")
        stored = files.get(dossier.pk, [])
        if len(stored) != 2:
            problems.append(f"{len(stored)} files")
        for record in stored:
            path = Path(record.file.path)
            if record.size != PDF_SIZE or record.sha256 not in PDF_SHA256:
                problems.append(f"file row {record.pk}: size {record.size}")
            elif not path.is_file() or path.stat().st_size != PDF_SIZE:
                problems.append(f"file {record.file.name} missing or wrong size on disk")
            elif hashlib.sha256(path.read_bytes()).hexdigest() != record.sha256:
                problems.append(f"file {record.file.name}: content differs")
        if problems:
            wrong.append((filing.code, problems))
    submitted = Dossier.objects.exclude(code=None).count()
    return {
        "acknowledged": len(acked),
        "lost": lost,
        "wrong": wrong,
        "duplicate_codes": len(codes) - len(set(codes)),
        "in_database": submitted,
        "unacknowledged": submitted - (len(acked) - len(lost)),
        "failed": len(filings) - len(acked),
    }


def write_results(outcome: dict) -> str:
    levels, check = outcome["levels"], outcome["check"]
    best = max(levels, key=lambda level: level["rate"])
    # A submission stored whose answer never arrived is not lost (submitting is idempotent:
    # the client sends it again); it is reported all the same.
    none_lost = not check["lost"] and not check["wrong"] and not check["duplicate_codes"]
    met = best["rate"] >= GOAL and none_lost
    workers = os.environ.get("WEB_CONCURRENCY", "2")
    lines = [
        f"Run {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on {platform.node()} "
        f"({os.cpu_count()} cores). gunicorn as the compose `web` command (gunicorn.conf.py: "
        f"{workers} sync workers, access log on) on PostgreSQL and Redis; "
        f"{'a Celery worker running' if WITH_WORKER else 'no Celery worker'}. "
        f"Flow `steps`: create a draft, {'PATCH the answers, ' if WITH_PATCH else ''}upload two "
        f"{PDF_SIZE // 1024} KB PDFs (one request each), submit; flow `one-call`: the same "
        "filing (answers and both PDFs) in one request to the one-call API "
        "(`POST /api/v1/dossiers/file/`); each citizen (own API token) "
        f"files one dossier at a time. {SECONDS:.0f} s per level; load generator: Python "
        "threads with http.client, bodies built in advance, in this process. Baseline: the same "
        "load generator at the same concurrency against a bare Django template view "
        "(bench/baseline_site.py) under the same gunicorn configuration; × baseline compares "
        "the filing's requests/s with it.",
        "",
        "| flow | concurrency | dossiers/s | filing p50 | filing p99 | requests/s | "
        "baseline req/s | × baseline | /healthz req/s | failed |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for level in levels:
        lines.append(
            f"| {level['mode']} | {level['concurrency']} | {level['rate']:.1f} | "
            f"{ms(level['p50'])} ms | "
            f"{ms(level['p99'])} ms | {level['rate'] * level['requests_per_dossier']:.0f} | "
            f"{level['baseline_rps']:.0f} | {level['ratio']:.2f} | {level['health_rps']:.0f} | "
            f"{level['errors']} |"
        )
    step_names = [name for name in ("create", "patch", "upload", "submit", "file")
                  if any(name in level["steps"] for level in levels)]  # fmt: skip
    lines += [
        "",
        "Per request (p50 / p99, ms) and CPU per dossier (ms; gunicorn = master and workers, "
        "PostgreSQL = this database's backends, client = the load generator, rest = everything "
        "else on the machine, other work included; cores busy = the machine's, of "
        f"{os.cpu_count()}):",
        "",
        "| flow | concurrency | " + " | ".join(step_names) + " | CPU gunicorn | CPU PostgreSQL | "
        "CPU client | CPU rest | cores busy |",
        "|---|---|" + "---|" * (len(step_names) + 5),
    ]
    for level in levels:
        cells = [
            f"{ms(level['steps'][n][0])} / {ms(level['steps'][n][1])}" if n in level["steps"]
            else "–"
            for n in step_names
        ]  # fmt: skip
        lines.append(
            f"| {level['mode']} | {level['concurrency']} | " + " | ".join(cells)
            + f" | {level['cpu_web_ms']:.1f} | {level['cpu_db_ms']:.1f} | "
            f"{level['cpu_client_ms']:.1f} | "
            f"{level['cpu_other_ms']:.1f} | {level['cores_busy']:.2f} |"
        )  # fmt: skip
    errors = [f"c={lv['concurrency']}: {lv['first_error']}" for lv in levels if lv["first_error"]]
    good = check["acknowledged"] - len(check["lost"]) - len(check["wrong"])
    lines += [
        "",
        f"Checked in the database afterwards: {check['acknowledged']} submissions answered 200 "
        f"with a code (warm-up included), of which {good} are there, submitted under that code, "
        "with a submit event and two files whose size and SHA-256 match on disk; lost "
        f"{len(check['lost'])}, wrong {len(check['wrong'])}, duplicate codes "
        f"{check['duplicate_codes']}; submitted but never answered {check['unacknowledged']}; "
        f"filings that failed (non-2xx or no answer): {check['failed']}.",
    ]
    if not WITH_WORKER:
        lines.append(f"Notification tasks left queued in Redis (no worker): {outcome['queued']}.")
    lines.append(
        f"Server errors logged by the portal (django.request): {outcome['server_errors']}; "
        f"baseline and /healthz requests not answered 200: "
        f"{sum(level['baseline_errors'] for level in levels)}."
    )
    if errors:
        lines.append("First error per level: " + "; ".join(errors))
    for code, problems in check["wrong"][:5]:
        lines.append(f"- {code}: {', '.join(problems)}")
    verdict = "met" if met else "NOT met"
    lines += [
        "",
        f"Goal (≥ {GOAL:.0f} dossiers/s with none lost): **{verdict}** "
        f"(best {best['rate']:.1f} dossiers/s, flow {best['mode']}, concurrency "
        f"{best['concurrency']}; best of the four-request flow "
        f"{max((lv['rate'] for lv in levels if lv['mode'] == 'steps'), default=0):.1f}; "
        f"{'none lost' if none_lost else 'SUBMISSIONS LOST OR WRONG'}).",
        "",
    ]
    return write_section("Submissions (bench/submissions.py)", lines)


if __name__ == "__main__":
    try:
        print(write_results(run()))
    finally:
        # The uploads go; the servers' logs stay for a look at any error.
        shutil.rmtree(BENCH_DIR / "media", ignore_errors=True)
        print(f"gunicorn logs: {BENCH_DIR}", file=sys.stderr)

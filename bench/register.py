"""The register of dossiers (Mẫu 06) at 100,000 lines: the signed PDF and the spreadsheet.

One agency's dossiers of one period (2025) are put in the database with bulk_create in batches
(long, realistic names, organisations and addresses; every date column filled), then:
- the register's PDF is asked for as the page does it (`office.register.pdf_request`, its task's
  message held back) and rendered and signed by the worker's own service in this process
  (`signing.services.document_render_and_sign`): total time, the time of each part
  (DOCUMENT_PART_LINES lines, timed around each WeasyPrint call), the joining and the signature,
  pages, size, the process's peak RSS during the render (VmHWM, reset before through
  /proc/self/clear_refs), time per 1,000 lines;
- one part (DOCUMENT_PART_LINES lines, the first of the register) rendered alone through the
  same `render_parts`, three times before and three times after the whole, as the baseline the
  whole is compared with (linear: whole ≈ parts × one part);
- the spreadsheet of the same rows (`office.register.xlsx_response`): time and peak RSS.
The signed PDF is checked with pyHanko's validator (`signing.verify.verify_pdf`) and with
`pdfsig` when installed, and its last page must end the numbering at the number of lines.

    python bench/register.py      (make bench runs it through bench/run.py)

Its own database: REGISTER_BENCH_DATABASE_URL, else the server of DATABASE_URL with the database
dvc_bench_register (created if missing, migrated; the bench agency's dossiers are kept between
runs when there are as many as asked). BENCH_REGISTER_LINES (default 100000) sets the size.
"""

import contextlib
import datetime as dt
import io
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from unittest import mock
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
BENCH_DIR = Path(tempfile.mkdtemp(prefix="dvc-bench-register-"))


def _database_url() -> str:
    explicit = os.environ.get("REGISTER_BENCH_DATABASE_URL")
    if explicit:
        return explicit
    base = urlparse(os.environ.get("DATABASE_URL", ""))
    if base.scheme.startswith("postgres"):
        return urlunparse(base._replace(path="/dvc_bench_register"))
    return "postgres://postgres@127.0.0.1:5432/dvc_bench_register"


os.environ.update(
    DJANGO_SETTINGS_MODULE="portal.settings",
    DATABASE_URL=_database_url(),
    MEDIA_ROOT=str(BENCH_DIR / "media"),
    SIGNING_DEMO_PKI_DIR=str(BENCH_DIR / "pki"),
    SIGNING_TRUST_ROOTS=str(BENCH_DIR / "pki" / "demo-root.pem"),
    DEBUG="false",  # as in production: no query log, no template debug
)
os.environ.setdefault("SIGNING_KEK", "Ym9uY2gtb25seS1iZW5jaC1vbmx5LWJlbmNoLW9ubHk=")

from ensure_database import main as ensure_database  # noqa: E402

ensure_database(os.environ["DATABASE_URL"])

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.bench_http import write_section  # noqa: E402
from office import register  # noqa: E402
from office.selectors import register_rows  # noqa: E402
from portal.models import Agency, StaffRole, User  # noqa: E402
from procedures.models import Field, Procedure, ProcedureVersion  # noqa: E402
from signing import render, services, verify  # noqa: E402
from signing import tasks as signing_tasks  # noqa: E402
from signing.models import Document  # noqa: E402
from submissions.models import Dossier, FilerRole, IntakeChannel, State  # noqa: E402

LINES = int(os.environ.get("BENCH_REGISTER_LINES", "100000"))
START, END = dt.date(2025, 1, 1), dt.date(2025, 12, 31)
AGENCY_CODE = "000.00.97.H97"
BATCH = 5000

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi",
          "Đỗ", "Hồ", "Ngô", "Dương", "Lý"]  # fmt: skip
MIDDLE = ["Văn", "Thị", "Hữu", "Minh", "Ngọc", "Thanh", "Quốc", "Thu", "Thị Thanh", "Văn Đức",
          "Thị Ngọc", "Hoàng Minh"]  # fmt: skip
GIVEN = ["An", "Bình", "Cường", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hoa", "Hùng", "Hương",
         "Khánh", "Lan", "Linh", "Long", "Mai", "Nam", "Nga", "Phong", "Phúc", "Quân", "Quỳnh",
         "Sơn", "Tâm", "Thảo", "Trang", "Trung", "Tuấn", "Việt", "Yến"]  # fmt: skip
STREETS = ["Nguyễn Văn Cừ", "Trần Hưng Đạo", "Cách Mạng Tháng Tám", "Hai Bà Trưng",
           "Lý Thường Kiệt", "Điện Biên Phủ", "Hoàng Quốc Việt", "Phan Đình Phùng"]  # fmt: skip
WARDS = ["phường Long Biên, thành phố Hà Nội", "phường Ba Đình, thành phố Hà Nội",
         "xã Bát Tràng, thành phố Hà Nội", "phường Cầu Giấy, thành phố Hà Nội",
         "phường Hoàng Mai, thành phố Hà Nội"]  # fmt: skip
SCHOOLS = ["Trường Trung học phổ thông Chuyên Nguyễn Huệ", "Trường Tiểu học Đoàn Thị Điểm",
           "Công ty Cổ phần Giáo dục và Đào tạo Quốc tế Thăng Long"]  # fmt: skip
PROCEDURE = ("Cấp bản sao văn bằng, chứng chỉ từ sổ gốc đối với văn bằng tốt nghiệp trung học "
             "phổ thông do Sở Giáo dục và Đào tạo cấp")  # fmt: skip


# --- memory ---------------------------------------------------------------------------------------


def reset_peak() -> None:
    """Start VmHWM (peak RSS) afresh from the current RSS (Linux 4.0+, writing 5 to clear_refs)."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def rss_mib(field: str = "VmHWM") -> float:
    """The process's peak (VmHWM) or current (VmRSS) resident set, MiB; ru_maxrss if no /proc."""
    try:
        for row in Path("/proc/self/status").read_text().splitlines():
            if row.startswith(field + ":"):
                return int(row.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- the data -------------------------------------------------------------------------------------


def setup_world():
    call_command("migrate", verbosity=0)
    agency, _ = Agency.objects.update_or_create(
        code=AGENCY_CODE,
        defaults={
            "name": "Sở Giáo dục và Đào tạo (benchmark sổ)",
            "level": Agency.Level.PROVINCE,
        },
    )
    Document.objects.filter(agency=agency).delete()
    agency.certificates.all().delete()
    call_command("make_demo_pki", "--dir", os.environ["SIGNING_DEMO_PKI_DIR"],
                 "--agency", agency.code, verbosity=0)  # fmt: skip
    field, _ = Field.objects.get_or_create(code="bench-register", defaults={"name": "Văn bằng"})
    procedure, _ = Procedure.objects.get_or_create(code="1.005092", agency=agency)
    version = procedure.versions.first()
    if version is None:
        version = ProcedureVersion.objects.create(
            procedure=procedure, number=1, status=ProcedureVersion.Status.PUBLISHED,
            name=PROCEDURE, field=field,
            implementing_level=ProcedureVersion.ImplementingLevel.PROVINCE, service_level=3,
            effective_date=dt.date(2024, 1, 1),
            published_at=dt.datetime(2023, 12, 15, tzinfo=dt.UTC),
        )  # fmt: skip
    officer = User.objects.filter(email="so-theo-doi@bench-register.vn").first()
    if officer is None:
        officer = User.objects.create_user(
            "so-theo-doi@bench-register.vn", None, full_name="Nguyễn Thị Thanh Hương",
            agency=agency,
        )  # fmt: skip
        StaffRole.objects.create(user=officer, role=StaffRole.Role.DESK)
    return agency, version, officer


def seed(agency, version) -> float:
    """LINES dossiers received in 2025, in time order; kept when already there. Seconds taken."""
    rows = register_rows(agency=agency, start=START, end=END)
    if rows.count() == LINES:
        return 0.0
    started = time.perf_counter()
    Dossier.objects.filter(agency=agency).delete()  # no events: nothing protects them
    rng = random.Random(16)
    zone = timezone.get_current_timezone()
    first = dt.datetime.combine(START, dt.time(7, 30), tzinfo=zone)
    step = (dt.datetime.combine(END, dt.time(17, 0), tzinfo=zone) - first) / LINES
    channels = list(IntakeChannel.values)
    for offset in range(0, LINES, BATCH):
        batch = []
        for n in range(offset, min(offset + BATCH, LINES)):
            received = first + step * n
            name = f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
            organisation = n % 10 == 0
            batch.append(
                Dossier(
                    public_id=uuid.uuid4(),
                    code=f"{AGENCY_CODE}-{received:%y%m%d}-{n:06d}",
                    version=version,
                    agency=agency,
                    state=State.RETURNED,
                    channel=channels[n % len(channels)],
                    filer_role=FilerRole.ORGANISATION if organisation else FilerRole.SELF,
                    org_name=rng.choice(SCHOOLS) if organisation else "",
                    org_tax_code="0101234567" if organisation else "",
                    applicant_name=name,
                    applicant_phone=f"09{rng.randrange(10**8):08d}",
                    applicant_citizen_id=f"001{rng.randrange(10**9):09d}",
                    applicant_address=(
                        f"Số {rng.randrange(1, 300)}, ngõ {rng.randrange(1, 200)} đường "
                        f"{rng.choice(STREETS)}, tổ dân phố {rng.randrange(1, 40)}, "
                        f"{rng.choice(WARDS)}"
                    ),
                    submitted_at=received - dt.timedelta(hours=3),
                    received_at=received,
                    due_at=received + dt.timedelta(days=7),
                    resolved_at=received + dt.timedelta(days=5),
                    returned_at=received + dt.timedelta(days=6),
                    closed_at=received + dt.timedelta(days=6),
                    post_service="Bưu điện Việt Nam (VNPost)" if n % 7 == 0 else "",
                    post_tracking=f"EA{n:09d}VN" if n % 7 == 0 else "",
                    result_content="Cấp bản sao bằng tốt nghiệp trung học phổ thông.",
                )
            )
        Dossier.objects.bulk_create(batch)
    return time.perf_counter() - started


# --- measurements ---------------------------------------------------------------------------------


class Timed:
    """Wraps a function and records how long each call took (seconds)."""

    def __init__(self, function):
        self.function, self.times = function, []

    def __call__(self, *args, **kwargs):
        started = time.perf_counter()
        try:
            return self.function(*args, **kwargs)
        finally:
            self.times.append(time.perf_counter() - started)


def _context(document: Document) -> dict:
    """What signing.services.render_document gives the template besides the lines."""
    now = timezone.localtime().replace(microsecond=0)
    url = services.verify_url(document)
    return {
        **document.context,
        "document": document,
        "agency": document.agency,
        "signer": document.agency.name,
        "signed_at": now,
        "signed_at_iso": now.isoformat(),
        "verify_url": url,
        "qr_src": "qr:" + url,
        "document_number": document.number,
    }


def one_part(document: Document) -> float:
    """Seconds to render one part alone (the register's first DOCUMENT_PART_LINES lines),
    through the same render_parts and the same context as the whole."""
    part = settings.DOCUMENT_PART_LINES
    lines = []
    for line in register.document_lines(document):
        lines.append(line)
        if len(lines) == part:
            break
    context = _context(document)
    started = time.perf_counter()
    render.render_parts(document.template, context, lines, part_lines=part)
    return time.perf_counter() - started


def render_register(agency, officer) -> dict:
    with mock.patch.object(signing_tasks.render_and_sign_task, "delay"), transaction.atomic():
        document = register.pdf_request(agency=agency, actor=officer, start=START, end=END)
    baseline = [one_part(document) for _ in range(3)]
    parts = Timed(render.render_pdf)
    joined = Timed(render.render_parts)
    from signing import pdfsign

    signed = Timed(pdfsign.sign_pdf)
    reset_peak()
    rss_before = rss_mib("VmRSS")
    cpu = time.process_time()
    started = time.perf_counter()
    with (
        mock.patch.object(render, "render_pdf", parts),
        mock.patch.object(render, "render_parts", joined),
        mock.patch.object(pdfsign, "sign_pdf", signed),
    ):
        services.document_render_and_sign(document_id=document.pk)
    total = time.perf_counter() - started
    cpu = time.process_time() - cpu
    peak = rss_mib()
    baseline += [one_part(document) for _ in range(3)]
    document.refresh_from_db()
    assert document.status == Document.Status.SIGNED, document.error
    with document.pdf.open("rb") as handle:
        pdf = handle.read()
    return {
        "document": document,
        "pdf": pdf,
        "total": total,
        "cpu": cpu,
        "parts": parts.times,
        "render": joined.times[0],
        "sign": signed.times[0],
        "rss_before": rss_before,
        "peak": peak,
        "baseline": baseline,
    }


def check_pdf(pdf: bytes) -> dict:
    """Pages, the validator's verdict, pdfsig's, and the last line number on the last page."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    pages = len(reader.pages)
    # The last line's number starts a word (text extraction may glue it to the code beside it).
    words = (reader.pages[-2].extract_text() + " " + reader.pages[-1].extract_text()).split()
    last = str(LINES)
    found = any(word.startswith(last) for word in words)
    beyond = [w for w in words if w.startswith(str(LINES + 1))]
    verdict = verify.verify_pdf(pdf)
    pdfsig = "not installed"
    if shutil.which("pdfsig"):
        path = BENCH_DIR / "register.pdf"
        path.write_bytes(pdf)
        out = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True).stdout
        pdfsig = "Signature is Valid" if "Signature is Valid" in out else out.strip()[-200:]
    return {
        "pages": pages,
        "verdict": verdict.code,
        "pdfsig": pdfsig,
        "last_line": LINES if found else 0,
        "beyond": beyond,
    }


def export_xlsx(agency) -> dict:
    rows = register_rows(agency=agency, start=START, end=END)
    reset_peak()
    rss_before = rss_mib("VmRSS")
    started = time.perf_counter()
    response = register.xlsx_response(rows, START, END)
    body = b"".join(response.streaming_content)
    seconds = time.perf_counter() - started
    peak = rss_mib()
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(body), read_only=True).active
    last = None
    for last in sheet.iter_rows(min_col=1, max_col=1, values_only=True):  # noqa: B007
        pass
    return {"seconds": seconds, "bytes": len(body), "rss_before": rss_before, "peak": peak,
            "last": last[0] if last else None}  # fmt: skip


def run() -> dict:
    agency, version, officer = setup_world()
    seeded = seed(agency, version)
    # Warm: fonts loaded, templates compiled, as in a worker that has rendered before.
    warm = Document(kind="bench", template="documents/register.html", agency=agency,
                    context=register.pdf_context(start=START, end=END, actor=officer))  # fmt: skip
    render.render_pdf(render.render_html(warm.template, {**_context(warm), "rows": []}))
    xlsx = export_xlsx(agency)  # first: after the render the process's RSS stays high
    result = render_register(agency, officer)
    checks = check_pdf(result["pdf"])
    return {"seeded": seeded, **result, **checks, "xlsx": xlsx}


def write_results(r: dict) -> str:
    part = settings.DOCUMENT_PART_LINES
    one = statistics.median(r["baseline"])
    parts_n = len(r["parts"])
    per_k = r["total"] / LINES * 1000
    expected = one * LINES / part
    seeded = (
        f"seeded in {r['seeded']:.0f} s (bulk_create, batches of {BATCH})"
        if r["seeded"]
        else "kept from an earlier run"
    )
    lines = [
        f"Run {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on {platform.node()} "
        f"({os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at the end), "
        f"PostgreSQL; {LINES:,} dossiers of one agency received in 2025 ({seeded}); "
        f"DOCUMENT_PART_LINES = {part}. The register PDF asked for with "
        "`office.register.pdf_request` and rendered and signed in this process by "
        "`signing.services.document_render_and_sign` (the worker's service; fonts warm). One "
        f"part = render_parts over the register's first {part} lines alone, median of 3 before "
        "and 3 after the whole. Peak RSS: the process's VmHWM, reset just before.",
        "",
        "| what | figure |",
        "|---|---|",
        f"| lines / pages / PDF size | {LINES:,} / {r['pages']:,} / "
        f"{len(r['pdf']) / 2**20:.1f} MiB |",
        f"| whole: request → signed PDF stored | {r['total']:.1f} s (CPU {r['cpu']:.1f} s) |",
        f"| of which render_parts (render + join) | {r['render']:.1f} s |",
        f"| of which WeasyPrint, {parts_n} parts | {sum(r['parts']):.1f} s (per part: median "
        f"{statistics.median(r['parts']):.2f} s, min {min(r['parts']):.2f}, max "
        f"{max(r['parts']):.2f}) |",
        f"| of which the signature (pyHanko) | {r['sign']:.2f} s |",
        f"| per 1,000 lines | {per_k:.2f} s |",
        f"| one part alone ({part} lines) | {one:.2f} s (runs: "
        + ", ".join(f"{s:.2f}" for s in r["baseline"])
        + ") |",
        f"| whole ÷ (one part × {LINES / part:g}) | {r['total'] / expected:.2f} |",
        f"| peak RSS during the render | {r['peak']:.0f} MiB (RSS before: "
        f"{r['rss_before']:.0f} MiB) |",
        f"| pyHanko validator / pdfsig | {r['verdict']} / {r['pdfsig']} |",
        f"| last line number on the last page | {r['last_line']:,}"
        + (f" (also: {r['beyond']})" if r["beyond"] else "")
        + " |",
        f"| XLSX export of the same rows | {r['xlsx']['seconds']:.1f} s, "
        f"{r['xlsx']['bytes'] / 2**20:.1f} MiB, peak RSS {r['xlsx']['peak']:.0f} MiB "
        f"(before: {r['xlsx']['rss_before']:.0f} MiB); last TT {r['xlsx']['last']} |",
        "",
    ]
    return write_section("Register, Mẫu 06 (bench/register.py)", lines)


if __name__ == "__main__":
    print(write_results(run()))

"""Signed documents: what rendering, signing and the whole Celery path cost, in one run.

For a one-page slip and a five-page result it measures, per document:
- render only: Django template + WeasyPrint in this process (warm: fonts loaded once);
- sign only: pyHanko PAdES of an already rendered PDF, key loaded once, with the demo ECDSA
  P-256 certificate and with an RSA-2048 one;
- the whole path: `document_request` → Redis → one Celery worker process (prefork,
  concurrency 1, warm) → render + sign + store, from the request to the signed PDF on disk, one
  document at a time interleaved with the renders; then a burst for documents/s.
Writes ms per document and documents/s to bench/RESULTS.md (the "Documents" section).
Goal (issue 4): the whole path costs at most 1.25 × rendering alone.

    DATABASE_URL=postgres://… REDIS_URL=redis://… python bench/documents.py
"""

import datetime as dt
import gc
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH_DIR = Path(tempfile.mkdtemp(prefix="dvc-bench-docs-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ["MEDIA_ROOT"] = str(BENCH_DIR / "media")
os.environ["SIGNING_DEMO_PKI_DIR"] = str(BENCH_DIR / "pki")
os.environ["SIGNING_TRUST_ROOTS"] = str(BENCH_DIR / "pki" / "demo-root.pem")
os.environ.setdefault("DEBUG", "false")  # as in production: no query log, no template debug
os.environ.setdefault("SIGNING_KEK", "Ym9uY2gtb25seS1iZW5jaC1vbmx5LWJlbmNoLW9ubHk=")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402

from bench.bench_http import write_section  # noqa: E402
from portal.celery import app as celery_app  # noqa: E402
from portal.models import Agency  # noqa: E402
from signing import certificates, pdfsign, pki, render, services  # noqa: E402
from signing.models import Document, SigningCertificate  # noqa: E402

COUNT = int(os.environ.get("BENCH_DOCUMENTS", "20"))
BIN = Path(sys.executable).parent


def slip_context(pages: int) -> dict:
    rows = [[i, f"Bản sao văn bằng tốt nghiệp trung học phổ thông số {1000 + i}", "01", "Bản sao"]
            for i in range(1, 8 if pages == 1 else 150)]  # fmt: skip
    return {
        "recipient": "Bà Trần Thị Bình, số 12 phố Điện Biên Phủ, phường Ba Đình, Hà Nội",
        "paragraphs": [
            "Bộ phận Tiếp nhận và Trả kết quả Sở Giáo dục và Đào tạo đã tiếp nhận hồ sơ "
            "đề nghị cấp bản sao văn bằng, chứng chỉ từ sổ gốc của bà Trần Thị Bình.",
            "Thời gian nhận hồ sơ: 09 giờ 15 phút, ngày 28/11/2026. Thời gian trả kết quả: "
            "16 giờ 00 phút, ngày 02/12/2026.",
        ],
        "headings": ["STT", "Tên giấy tờ", "Số lượng", "Loại"],
        "rows": rows,
        "closing": ["Vào Sổ theo dõi hồ sơ, Quyển số 03, Số thứ tự 975."],
    }


def _context(document: Document) -> dict:
    now = dt.datetime.now().astimezone().replace(microsecond=0)
    url = f"http://127.0.0.1:8000/verify/{document.verification_code}/"
    return {**document.context, "document": document, "agency": document.agency,
            "signer": "Sở Giáo dục và Đào tạo", "signed_at": now,
            "signed_at_iso": now.isoformat(), "verify_url": url, "qr_src": "qr:" + url}  # fmt: skip


def setup_agency() -> Agency:
    call_command("migrate", verbosity=0)
    agency, _ = Agency.objects.get_or_create(
        code="000.00.98.H98",
        defaults={"name": "Sở Giáo dục và Đào tạo (benchmark)", "level": Agency.Level.PROVINCE},
    )
    Document.objects.filter(agency=agency).delete()
    agency.certificates.all().delete()
    call_command("make_demo_pki", "--dir", os.environ["SIGNING_DEMO_PKI_DIR"],
                 "--agency", agency.code, verbosity=0)  # fmt: skip
    rsa_certificate(agency)
    return agency


def rsa_certificate(agency: Agency):
    """An RSA-2048 certificate (what Vietnamese CAs mostly issue; the demo PKI's are ECDSA),
    imported from PKCS#12 as an agency admin would, for the RSA sign-only figure."""
    root_key, root_cert, _ = pki.load_or_make_root(Path(os.environ["SIGNING_DEMO_PKI_DIR"]))
    key, cert = pki.issue_signing_certificate(
        root_key, root_cert, common_name=agency.name, organisation=agency.name,
        email="bench@example.vn", key_type="rsa",
    )  # fmt: skip
    passphrase = os.urandom(8).hex()
    data = pki.to_pkcs12(key, cert, [root_cert], passphrase)
    row = certificates.certificate_import(agency=agency, data=data, passphrase=passphrase)
    row.is_active = False  # never picked for the agency's documents
    row.save(update_fields=["is_active"])
    return row


def start_worker(log: Path) -> subprocess.Popen:
    celery_app.conf.task_always_eager = False
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    pool = os.environ.get("BENCH_POOL", "prefork")
    level = os.environ.get("BENCH_LOG", "info")
    argv = [str(BIN / "celery"), "-A", "portal", "worker", "-Q", "documents",
            "--concurrency", "1", "--pool", pool, "-l", level]  # fmt: skip
    with log.open("wb") as out:
        return subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)  # fmt: skip


def _request(agency: Agency, pages: int, revision: int, kind: str) -> Document:
    with transaction.atomic():
        return services.document_request(kind=kind, title="Giấy tiếp nhận hồ sơ",
                                         template="documents/notice.html",
                                         context=slip_context(pages), agency=agency,
                                         revision=revision)  # fmt: skip


def _path_ms(document_id: int) -> float:
    """From the request (created_at, before commit) to the signed PDF on disk (its mtime)."""
    document = Document.objects.get(pk=document_id)
    written = dt.datetime.fromtimestamp(os.path.getmtime(document.pdf.path), tz=dt.UTC)
    return (written - document.created_at).total_seconds() * 1000


def measure(agency: Agency, pages: int, revision: int) -> dict:
    """Interleaved, so that both sides see the same machine: render one document here, then
    send one through the worker and wait for it; repeat. Then a burst for throughput."""
    render_ms, sign_ms, rsa_ms, path_ms = [], [], [], []
    certificate = certificates.certificate_for_signing(agency)
    rsa = SigningCertificate.objects.get(agency=agency, is_active=False)
    probe = Document(kind="bench", title="Giấy tiếp nhận hồ sơ", template="documents/notice.html",
                     context=slip_context(pages), agency=agency)  # fmt: skip
    pdf = render.render_pdf(render.render_html(probe.template, _context(probe)))
    pdfsign.sign_pdf(pdf, certificate=certificate, reason="bench", location="bench")
    pdfsign.sign_pdf(pdf, certificate=rsa, reason="bench", location="bench")
    _wait([_request(agency, pages, revision, f"bench-warm-{pages}").pk], timeout=120)
    for i in range(1, COUNT + 1):
        # A document of its own each time, as the worker gets: its own code, URL and QR code.
        probe = Document(kind="bench", title="Giấy tiếp nhận hồ sơ",
                         template="documents/notice.html", context=slip_context(pages),
                         agency=agency)  # fmt: skip
        start = time.perf_counter()
        pdf = render.render_pdf(render.render_html(probe.template, _context(probe)))
        render_ms.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        pdfsign.sign_pdf(pdf, certificate=certificate, reason="bench", location="bench")
        sign_ms.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        pdfsign.sign_pdf(pdf, certificate=rsa, reason="bench", location="bench")
        rsa_ms.append((time.perf_counter() - start) * 1000)
        document = _request(agency, pages, revision + i, f"bench-{pages}")
        # Stay off the CPU while the worker renders: polling would compete with it.
        time.sleep(render_ms[-1] / 1000)
        _wait([document.pk], timeout=120, poll=0.005)
        path_ms.append(_path_ms(document.pk))
    start = time.perf_counter()
    ids = [_request(agency, pages, revision + 500 + i, f"bench-burst-{pages}").pk
           for i in range(COUNT)]  # fmt: skip
    _wait(ids, timeout=600)
    burst_ms = (time.perf_counter() - start) * 1000 / COUNT
    return {"render": render_ms, "sign": sign_ms, "rsa": rsa_ms, "path": path_ms,
            "burst_ms": burst_ms}  # fmt: skip


def _wait(ids: list[int], timeout: float, poll: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        states = set(Document.objects.filter(pk__in=ids).values_list("status", flat=True))
        if states == {"signed"}:
            return
        if "failed" in states:
            raise RuntimeError(Document.objects.filter(pk__in=ids, status="failed").first().error)
        time.sleep(poll)
    raise RuntimeError("documents were not signed in time")


def run() -> dict:
    agency = setup_agency()
    results = {}
    worker = start_worker(BENCH_DIR / "worker.log")
    # The worker freezes its start-up heap out of the garbage collector's reach
    # (portal/celery.py); render alone here under the same condition, so that the ratio is the
    # path's cost and not a difference between the two processes' heaps.
    gc.collect()
    gc.freeze()
    revision = int(time.time()) % 1_000_000 * 1000  # fits the revision column
    try:
        for label, pages in (("one-page slip", 1), ("five-page result", 5)):
            figures = measure(agency, pages, revision)  # kinds differ per size
            sample = Document.objects.filter(agency=agency, kind=f"bench-{pages}").first()
            from pyhanko.pdf_utils.reader import PdfFileReader

            with sample.pdf.open("rb") as handle:
                page_count = len(PdfFileReader(handle).root["/Pages"]["/Kids"])
            render_p50 = statistics.median(figures["render"])
            path_p50 = statistics.median(figures["path"])
            results[label] = {
                "pages": page_count,
                "render_ms": round(render_p50, 1),
                "sign_ms": round(statistics.median(figures["sign"]), 1),
                "rsa_ms": round(statistics.median(figures["rsa"]), 1),
                "path_ms": round(path_p50, 1),
                "path_docs_per_s": round(1000 / figures["burst_ms"], 2),
                "ratio": round(path_p50 / render_p50, 2),
            }
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=30)
    return results


def write_results(results: dict) -> str:
    lines = [
        f"Run {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on {platform.node()} "
        f"({os.cpu_count()} cores); {COUNT} documents per figure; ECDSA P-256 demo certificate "
        "(the RSA-2048 column signs the same PDF with an imported RSA certificate); one warm "
        "Celery worker (prefork, concurrency 1) on Redis and PostgreSQL. Medians; render and the "
        "whole path are measured interleaved (one document each in turn), the path from the "
        "request to the signed PDF on disk; docs/s from a burst of the same count. Both "
        "processes have frozen their start-up heap out of the garbage collector's reach.",
        "",
        "| document | pages | render only (ms) | sign only, ECDSA (ms) | sign only, RSA-2048 (ms) "
        "| whole path (ms/doc) | docs/s (burst) | × render |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for label, r in results.items():
        lines.append(f"| {label} | {r['pages']} | {r['render_ms']} | {r['sign_ms']} | "
                     f"{r['rsa_ms']} | {r['path_ms']} | {r['path_docs_per_s']} | "
                     f"{r['ratio']} |")  # fmt: skip
    worst = max(r["ratio"] for r in results.values())
    verdict = "met" if worst <= 1.25 else "NOT met"
    lines += ["", f"Goal (whole path ≤ 1.25 × render alone): **{verdict}** (worst {worst}).", ""]
    return write_section("Documents (bench/documents.py)", lines)


if __name__ == "__main__":
    print(write_results(run()))

"""Signed documents through a real Celery worker (the docker-compose command) against the test
database and Redis: signed end to end and checked by programs that are not ours; a worker killed
in the middle of a document."""

import contextlib
import hashlib
import io
import os
import signal
import types
from pathlib import Path

import pytest
import redis
from cryptography import x509
from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.management import call_command
from django.db import DatabaseError, transaction

from portal.celery import app as celery_app
from signing import certificates, keys, services, tasks, verify
from signing.models import Document, SigningCertificate
from tests.factories import AgencyFactory, UserFactory
from tests.integration import processes
from tests.signing.support import (
    flip_byte_in_signed_content,
    notice_context,
    nss_db,
    run,
    validate,
    wait_until,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

Status = Document.Status


def _clear_caches():
    certificates._signer.cache_clear()
    verify._trust_roots.cache_clear()


@pytest.fixture
def signing_env(settings, tmp_path):
    """The same MEDIA_ROOT, demo PKI, trust roots and KEK in this process and in the worker's
    environment, and a broker with no messages left over from an earlier run."""
    assert settings.REDIS_URL, "integration tests need REDIS_URL (run them with `make test`)"
    assert settings.DATABASES["default"]["ENGINE"].endswith("postgresql"), "needs PostgreSQL"
    media, pki_dir = tmp_path / "media", tmp_path / "pki"
    root = pki_dir / "demo-root.pem"
    kek = keys.new_kek_text()
    settings.MEDIA_ROOT = media
    settings.SIGNING_DEMO_PKI_DIR = pki_dir
    settings.SIGNING_TRUST_ROOTS = [str(root)]
    settings.SIGNING_KEK = kek
    settings.SIGNING_KEK_OLD = ""
    settings.SIGNING_TSA_URL = ""
    env = processes.base_env(
        DATABASE_URL=processes.test_database_url(),
        REDIS_URL=settings.REDIS_URL,
        MEDIA_ROOT=str(media),
        SIGNING_DEMO_PKI_DIR=str(pki_dir),
        SIGNING_TRUST_ROOTS=str(root),
        SIGNING_KEK=kek,
        SIGNING_KEK_OLD="",
        SIGNING_TSA_URL="",
    )
    # A message from an earlier run names a document id of an earlier test database. Workers
    # killed with SIGKILL leave theirs in kombu's "unacked" set (redelivered after an hour).
    celery_app.control.purge()
    redis.Redis.from_url(settings.REDIS_URL).delete("unacked", "unacked_index")
    _clear_caches()
    yield types.SimpleNamespace(env=env, media=media, pki_dir=pki_dir, root=root, tmp=tmp_path)
    _clear_caches()


def log_text(log: Path) -> str:
    return log.read_text(errors="replace") if log.exists() else ""


@contextlib.contextmanager
def worker(env: dict[str, str], log: Path):
    """The worker command of docker-compose.yml, running until it says it is ready."""
    with processes.running(processes.compose_command("worker"), env, log) as proc:
        wait_until(
            lambda: proc.poll() is not None or " ready." in log_text(log),
            timeout=60,
            what=f"the worker to start:\n{log_text(log)}",
        )
        assert proc.poll() is None, f"the worker exited:\n{log_text(log)}"
        yield proc


def status_of(document: Document) -> str:
    return Document.objects.values_list("status", flat=True).get(pk=document.pk)


def wait_done(document: Document, log: Path, timeout: float) -> Document:
    wait_until(
        lambda: status_of(document) != Status.PENDING,
        timeout=timeout,
        what=f"document {document.pk} to be signed; worker log:\n{log_text(log)}",
    )
    return Document.objects.get(pk=document.pk)


def row_locked(document: Document) -> bool:
    """Whether another transaction (the worker's task) holds the document's row lock."""
    try:
        with transaction.atomic():
            list(Document.objects.select_for_update(nowait=True).filter(pk=document.pk))
    except DatabaseError:
        return True
    return False


def request_notice(agency, **context) -> Document:
    """As a view would: inside a transaction, the task enqueued when it commits."""
    with transaction.atomic():
        document = services.document_request(
            kind="notice",
            title="Thông báo kết quả giải quyết hồ sơ",
            template="documents/notice.html",
            context=notice_context(**context),
            agency=agency,
        )
        assert status_of(document) == Status.PENDING
    return document


def test_a_vietnamese_document_is_signed_by_the_worker_and_checks_out_everywhere(signing_env):
    agency = AgencyFactory(code="000.00.12.H26", name="Sở Giáo dục và Đào tạo Hà Nội")
    call_command("make_demo_pki", "--dir", str(signing_env.pki_dir), stdout=io.StringIO())
    certificate = SigningCertificate.objects.get(agency=agency)
    log = signing_env.tmp / "worker.log"

    celery_app.conf.task_always_eager = False
    with worker(signing_env.env, log):
        document = request_notice(agency)
        document = wait_done(document, log, timeout=60)

    assert document.status == Status.SIGNED, document.error
    assert "render_and_sign_task" in log_text(log) and "succeeded" in log_text(log)
    path = Path(document.pdf.path)
    assert path.is_relative_to(signing_env.media)
    pdf = path.read_bytes()
    assert hashlib.sha256(pdf).hexdigest() == document.sha256
    assert document.certificate == certificate
    assert document.signer == agency.name

    text = run(["pdftotext", "-layout", str(path), "-"])
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    assert "Sở Giáo dục và Đào tạo thông báo kết quả giải quyết hồ sơ" in text
    assert document.verification_code in text

    # poppler's pdfsig: valid without our root, and trusted once the root is in an NSS database.
    report = run(["pdfsig", str(path)])
    assert "Signature is Valid" in report, report
    assert "Certificate is Trusted" not in report
    nssdir = nss_db(signing_env.tmp / "nss", signing_env.root)
    report = run(["pdfsig", "-nssdir", nssdir, str(path)])
    assert "Signature is Valid" in report, report
    assert "Certificate is Trusted" in report, report

    # pyHanko agrees, and so does the portal's own verdict.
    root_cert = x509.load_pem_x509_certificate(signing_env.root.read_bytes())
    status = validate(pdf, [root_cert])
    assert status.intact and status.valid and status.trusted
    verdict = verify.verify_pdf(pdf)
    assert verdict.code == verify.AUTHENTIC, verdict
    assert verdict.document == document

    # And a copy changed after signing is caught by both.
    changed = signing_env.tmp / "changed.pdf"
    changed.write_bytes(flip_byte_in_signed_content(pdf))
    assert "Signature is Valid" not in run(["pdfsig", "-nssdir", nssdir, str(changed)])
    assert verify.verify_pdf(changed.read_bytes()).code == verify.MODIFIED


def test_a_document_whose_worker_is_killed_mid_task_is_signed_after_the_sweep(signing_env):
    agency = AgencyFactory(code="000.00.12.H26", name="Sở Giáo dục và Đào tạo Hà Nội")
    call_command("make_demo_pki", "--dir", str(signing_env.pki_dir), stdout=io.StringIO())
    first_log, second_log = signing_env.tmp / "worker-1.log", signing_env.tmp / "worker-2.log"

    celery_app.conf.task_always_eager = False
    with worker(signing_env.env, first_log) as first:
        # 600 table rows take about 6 s to lay out (3,000 took 30 s): time enough to be killed.
        document = request_notice(agency, rows=600)
        wait_until(
            lambda: (
                "render_and_sign_task" in log_text(first_log) and "received" in log_text(first_log)
            ),
            timeout=30,
            what=f"the worker to receive the task:\n{log_text(first_log)}",
        )
        wait_until(lambda: row_locked(document), timeout=30, what="the task to lock the document")
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
    assert "succeeded" not in log_text(first_log)

    # The killed worker's transaction is rolled back once PostgreSQL notices: nothing was kept.
    wait_until(lambda: not row_locked(document), timeout=30, what="the lock to be released")
    document.refresh_from_db()
    assert document.status == Status.PENDING
    assert (document.attempts, document.pdf.name, document.sha256) == (0, "", "")
    assert not any(signing_env.media.rglob("*.pdf"))

    with worker(signing_env.env, second_log):
        swept = tasks.sweep_pending_documents_task.apply(kwargs={"older_than_minutes": 0}).get()
        assert swept == 1
        document = wait_done(document, second_log, timeout=120)

    assert document.status == Status.SIGNED, document.error
    assert document.attempts == 1
    assert "succeeded" in log_text(second_log)
    assert [p.name for p in signing_env.media.rglob("*.pdf")] == [Path(document.pdf.name).name]
    pdf = Path(document.pdf.path).read_bytes()
    assert hashlib.sha256(pdf).hexdigest() == document.sha256
    assert verify.verify_pdf(pdf).code == verify.AUTHENTIC
    assert settings.CELERY_TASK_ACKS_LATE and settings.CELERY_TASK_REJECT_ON_WORKER_LOST


def test_a_result_signed_by_the_leader_then_the_agency_through_the_worker(signing_env):
    """The acceptance path of issue 16 items 4–5 with a real worker: it prepares the result, the
    leader signs with the PIN of a SoftHSM2 token here (real PKCS#11), it adds the agency's
    signature; pdfsig and pyHanko find two valid, trusted signatures, the leader's first."""
    from signing import pdfsign

    agency = AgencyFactory(code="000.00.12.H26", name="Sở Giáo dục và Đào tạo Hà Nội")
    call_command("make_demo_pki", "--dir", str(signing_env.pki_dir), stdout=io.StringIO())
    leader = UserFactory(
        email="lanhdao-worker@example.vn", full_name="Phạm Thị Dung", agency=agency
    )
    call_command("make_leader_token", leader.email, "--pin", "135790", stdout=io.StringIO())
    personal = certificates.personal_certificate_for(leader)
    log = signing_env.tmp / "worker.log"

    celery_app.conf.task_always_eager = False
    with worker(signing_env.env, log):
        with transaction.atomic():
            document = services.document_request(
                kind="result",
                title="Quyết định công nhận kết quả",
                template="documents/notice.html",
                context=notice_context(),
                agency=agency,
                personal_certificate=personal,
            )
        document = wait_done(document, log, timeout=60)
        assert document.status == Status.AWAITING_SIGNATURE, document.error
        with pytest.raises(DjangoValidationError):
            services.document_sign_personal(document=document, actor=leader, pin="000000")
        services.document_sign_personal(document=document, actor=leader, pin="135790")
        wait_until(
            lambda: status_of(document) in (Status.SIGNED, Status.FAILED),
            timeout=60,
            what=f"the agency's signature; worker log:\n{log_text(log)}",
        )
    document = Document.objects.get(pk=document.pk)
    assert document.status == Status.SIGNED, document.error
    assert "finish_document_task" in log_text(log) and "135790" not in log_text(log)

    path = Path(document.pdf.path)
    nssdir = nss_db(signing_env.tmp / "nss", signing_env.root)
    report = run(["pdfsig", "-nssdir", nssdir, str(path)])
    assert report.count("Signature is Valid") == 2, report
    assert report.count("Certificate is Trusted") == 2, report
    first, second = report.split("Signature #2")
    assert pdfsign.PERSONAL_FIELD_NAME in first and "Phạm Thị Dung" in first
    assert pdfsign.FIELD_NAME in second and "Sở Giáo dục và Đào tạo Hà Nội" in second
    verdict = verify.verify_pdf(path.read_bytes())
    assert verdict.code == verify.AUTHENTIC, verdict
    assert [s.ok for s in verdict.signatures] == [True, True]

"""Request → render → sign → store: the service, the task run twice, the sweeper, failures."""

import datetime as dt
import hashlib
import io
from pathlib import Path
from unittest import mock

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from signing import certificates, pki, services, tasks, verify
from signing.models import Document, SigningCertificate
from tests.factories import UserFactory
from tests.signing.support import (
    P12_PASSPHRASE,
    TimestampAuthority,
    embedded_signature,
    notice_context,
    p12_for,
    run,
    validate,
)

pytestmark = pytest.mark.django_db

Status = Document.Status


def stored_pdfs(settings) -> list[Path]:
    return sorted(Path(settings.MEDIA_ROOT).rglob("*.pdf"))


def test_a_vietnamese_notice_is_rendered_signed_and_recorded(signed, demo_pki, agency, settings):
    pdf = signed.pdf.read()
    assert pdf.startswith(b"%PDF")
    assert signed.sha256 == hashlib.sha256(pdf).hexdigest()
    assert signed.certificate == demo_pki.certificate
    assert signed.certificate_serial == demo_pki.certificate.serial
    assert signed.signer == agency.name  # the demo certificate's common name
    assert signed.signed_at is not None
    assert signed.attempts == 1
    assert signed.error == ""
    assert stored_pdfs(settings) == [Path(signed.pdf.path)]

    (Path(settings.MEDIA_ROOT) / "notice.pdf").write_bytes(pdf)
    text = run(["pdftotext", "-layout", str(Path(settings.MEDIA_ROOT) / "notice.pdf"), "-"])
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    assert "Cấp bản sao văn bằng tốt nghiệp trung học phổ thông" in text
    assert signed.verification_code in text  # printed under the QR code

    assert embedded_signature(pdf).field_name == "ChuKySoCoQuan"
    verdict = verify.verify_pdf(pdf)
    assert verdict.code == verify.AUTHENTIC, verdict
    assert verdict.document == signed


def test_running_the_task_twice_gives_one_document_one_file_one_hash(
    demo_pki, agency, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        document = services.document_request(
            kind="notice",
            title="Thông báo",
            template="documents/notice.html",
            context=notice_context(),
            agency=agency,
        )
    assert len(callbacks) == 1  # enqueued on commit, not yet run
    assert Document.objects.get().status == Status.PENDING

    assert tasks.render_and_sign_task.apply(args=[document.pk]).get() == Status.SIGNED
    first = Document.objects.get(pk=document.pk)
    files = stored_pdfs(settings)
    first_bytes = files[0].read_bytes()

    assert tasks.render_and_sign_task.apply(args=[document.pk]).get() == Status.SIGNED
    second = Document.objects.get(pk=document.pk)

    assert Document.objects.count() == 1
    assert stored_pdfs(settings) == files and len(files) == 1
    assert files[0].read_bytes() == first_bytes
    assert second.sha256 == first.sha256 == hashlib.sha256(first_bytes).hexdigest()
    assert second.signed_at == first.signed_at
    assert second.attempts == 1


@pytest.mark.postgresql  # SQLite has no row locks: Django leaves out FOR UPDATE there
def test_signing_locks_the_document_row_and_not_its_agency(
    demo_pki, agency, django_capture_on_commit_callbacks
):
    """Locking the agency's row as well would make every other document of the agency wait
    while this one renders: one worker process at a time per agency."""
    with django_capture_on_commit_callbacks():
        document = services.document_request(
            kind="notice", title="Thông báo", template="documents/notice.html",
            context=notice_context(), agency=agency,
        )  # fmt: skip
    with CaptureQueriesContext(connection) as queries:
        assert services.document_render_and_sign(document_id=document.pk).status == Status.SIGNED
    locks = [query["sql"] for query in queries if "FOR UPDATE" in query["sql"]]
    assert len(locks) == 1
    # Skipped if a worker holds it already (a redelivered task returns at once).
    assert locks[0].endswith('FOR UPDATE OF "signing_document" SKIP LOCKED'), locks[0]


def test_the_task_does_nothing_for_a_document_that_is_gone():
    assert tasks.render_and_sign_task.apply(args=[987654]).get() is None


def test_requesting_the_same_owner_kind_revision_twice_gives_one_document_enqueued_once(
    agency, django_capture_on_commit_callbacks
):
    owner = UserFactory()
    arguments = {
        "kind": "receipt",
        "title": "Giấy tiếp nhận hồ sơ",
        "template": "documents/notice.html",
        "context": notice_context(),
        "agency": agency,
        "owner": owner,
    }
    with django_capture_on_commit_callbacks() as callbacks:
        first = services.document_request(**arguments)
        again = services.document_request(**{**arguments, "title": "Một tiêu đề khác"})
    assert again.pk == first.pk
    assert Document.objects.count() == 1
    assert Document.objects.get().title == "Giấy tiếp nhận hồ sơ"
    assert len(callbacks) == 1

    with django_capture_on_commit_callbacks() as callbacks:
        revised = services.document_request(**arguments, revision=2)
        services.document_request(**arguments, revision=2)
    assert revised.pk != first.pk
    assert Document.objects.count() == 2
    assert len(callbacks) == 1


def test_an_agency_document_without_owner_is_requested_once(
    agency, django_capture_on_commit_callbacks
):
    arguments = {"kind": "notice", "title": "Thông báo", "template": "documents/notice.html"}
    with django_capture_on_commit_callbacks() as callbacks:
        first = services.document_request(**arguments, context={}, agency=agency)
        again = services.document_request(**arguments, context={}, agency=agency)
    assert first.pk == again.pk
    assert first.key == f"agency:{agency.pk}:notice:1"
    assert len(callbacks) == 1


# --- the sweeper ---------------------------------------------------------------------------------


def _document(agency, name: str, *, status=Status.PENDING, age_minutes: int = 0) -> Document:
    document = Document.objects.create(
        kind="notice",
        title=name,
        template="documents/notice.html",
        context=notice_context(),
        agency=agency,
        key=f"test:{name}",
        status=status,
    )
    Document.objects.filter(pk=document.pk).update(
        created_at=timezone.now() - dt.timedelta(minutes=age_minutes)
    )
    return document


def test_the_sweeper_re_enqueues_only_documents_pending_longer_than_the_cutoff(
    demo_pki, agency, settings
):
    settings.SIGNING_SWEEP_AFTER_MINUTES = 10
    stuck = _document(agency, "stuck", age_minutes=15)
    fresh = _document(agency, "fresh", age_minutes=5)
    signed = _document(agency, "signed", status=Status.SIGNED, age_minutes=60)
    failed = _document(agency, "failed", status=Status.FAILED, age_minutes=60)

    delay = tasks.render_and_sign_task.delay
    with mock.patch.object(tasks.render_and_sign_task, "delay", wraps=delay) as enqueued:
        assert tasks.sweep_pending_documents_task.apply().get() == 1
    assert [c.args for c in enqueued.call_args_list] == [(stuck.pk,)]

    statuses = dict(Document.objects.values_list("title", "status"))
    assert statuses == {
        "stuck": Status.SIGNED,  # eager Celery: re-enqueued and done
        "fresh": Status.PENDING,
        "signed": Status.SIGNED,
        "failed": Status.FAILED,
    }
    assert Document.objects.get(pk=signed.pk).pdf.name == ""  # not re-rendered
    assert Document.objects.get(pk=failed.pk).attempts == 0

    # With an explicit cutoff of 0 minutes, the fresh one goes too.
    with mock.patch.object(tasks.render_and_sign_task, "delay") as enqueued:
        assert tasks.sweep_pending_documents_task.apply(kwargs={"older_than_minutes": 0}).get() == 1
    assert [c.args for c in enqueued.call_args_list] == [(fresh.pk,)]


# --- failures recorded on the document --------------------------------------------------------


def test_a_certificate_that_expired_after_import_fails_the_document_with_the_reason(
    demo_pki, agency, request_document, english
):
    after_expiry = demo_pki.certificate.not_after + dt.timedelta(days=1)
    with time_machine.travel(after_expiry):
        document = request_document(agency)
    assert document.status == Status.FAILED
    assert document.error.startswith("The agency has no signing certificate in force. ")
    assert "The certificate expired on " in document.error  # says why
    assert document.attempts == 1
    assert document.pdf.name == "" and document.sha256 == ""


def test_a_certificate_whose_row_says_valid_but_which_has_expired_is_not_used(
    demo_pki, agency, request_document, english
):
    """The dates in the row could be edited; the certificate itself is what counts."""
    SigningCertificate.objects.filter(pk=demo_pki.certificate.pk).update(
        not_after=timezone.now() + dt.timedelta(days=10000)
    )
    after_expiry = certificates.load_x509(demo_pki.certificate).not_valid_after_utc
    with time_machine.travel(after_expiry + dt.timedelta(days=1)):
        document = request_document(agency)
    assert document.status == Status.FAILED
    assert document.error.startswith("The certificate expired on ")


def test_a_failed_document_signs_after_the_agency_imports_a_new_certificate(
    demo_pki, agency, request_document, django_capture_on_commit_callbacks
):
    SigningCertificate.objects.update(is_active=False)
    document = request_document(agency)
    assert document.status == Status.FAILED

    fresh = certificates.certificate_import(
        agency=agency,
        data=p12_for(demo_pki.root_key, demo_pki.root_cert),
        passphrase=P12_PASSPHRASE,
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.document_retry(document=document)
    document.refresh_from_db()
    assert document.status == Status.SIGNED
    assert document.certificate == fresh
    assert document.attempts == 2


def test_an_unknown_template_fails_the_document(demo_pki, agency, request_document, english):
    document = request_document(agency, template="documents/no-such-template.html")
    assert document.status == Status.FAILED
    assert document.error == "Unknown document template documents/no-such-template.html."


# --- timestamps (PAdES B-T) -------------------------------------------------------------------


def test_with_a_timestamp_server_the_signature_carries_a_timestamp_token(
    demo_pki, agency, request_document, settings
):
    tsa = TimestampAuthority(demo_pki.root_key, demo_pki.root_cert)
    with tsa.serving():
        settings.SIGNING_TSA_URL = tsa.url
        document = request_document(agency)
    assert document.status == Status.SIGNED, document.error
    pdf = document.pdf.read()

    status = validate(pdf, [demo_pki.root_cert])
    assert status.intact and status.valid and status.trusted
    assert status.timestamp_validity is not None
    assert status.timestamp_validity.intact and status.timestamp_validity.valid
    assert status.timestamp_validity.trusted  # the test TSA is under the demo root

    # One request stamps the signature value; pyHanko also asks once with a dummy digest to
    # size the signature (the SHA-256 of nothing), and nothing else reaches the TSA.
    signature_value = embedded_signature(pdf).signer_info["signature"].native
    imprints = tsa.imprints()
    assert imprints.count(hashlib.sha256(signature_value).digest()) == 1
    assert set(imprints) <= {hashlib.sha256(signature_value).digest(), hashlib.sha256().digest()}
    assert len(imprints) <= 2
    assert verify.verify_pdf(pdf).code == verify.AUTHENTIC


def test_without_a_timestamp_server_there_is_no_timestamp(
    demo_pki, agency, request_document, settings
):
    tsa = TimestampAuthority(demo_pki.root_key, demo_pki.root_cert)
    with tsa.serving():
        assert settings.SIGNING_TSA_URL == ""
        document = request_document(agency)
    status = validate(document.pdf.read(), [demo_pki.root_cert])
    assert status.intact and status.valid and status.trusted
    assert status.timestamp_validity is None
    assert tsa.requests == []


def test_an_unreachable_timestamp_server_leaves_the_document_for_a_retry(
    demo_pki, agency, settings, django_capture_on_commit_callbacks
):
    """A TSA outage is temporary: the document is not signed without its timestamp, nor marked
    failed; it stays pending for the sweeper."""
    from tests.integration.processes import free_port

    settings.SIGNING_TSA_URL = f"http://127.0.0.1:{free_port()}/tsa"
    with django_capture_on_commit_callbacks() as callbacks:
        document = services.document_request(
            kind="notice",
            title="Thông báo",
            template="documents/notice.html",
            context=notice_context(),
            agency=agency,
        )
    # pyHanko's TimestampRequestError is an OSError: the task asks Celery for a retry with
    # backoff (eagerly, Celery raises Retry); the transaction rolls back, nothing is stored.
    from celery.exceptions import Retry

    with pytest.raises(Retry) as retry:
        callbacks[0]()
    assert "TimestampRequestError" in repr(retry.value.exc)
    document.refresh_from_db()
    assert document.status == Status.PENDING
    assert document.attempts == 0  # the attempt was rolled back with everything else
    assert document.pdf.name == ""
    assert stored_pdfs(settings) == []


def test_make_demo_pki_imports_one_certificate_per_active_agency_and_keeps_its_root(
    agency, other_agency, settings
):
    other_agency.is_active = False
    other_agency.save()
    out = io.StringIO()
    call_command("make_demo_pki", "--dir", str(settings.SIGNING_DEMO_PKI_DIR), stdout=out)
    call_command("make_demo_pki", "--dir", str(settings.SIGNING_DEMO_PKI_DIR), stdout=out)
    assert list(SigningCertificate.objects.values_list("agency", flat=True)) == [agency.pk]
    root = pki.load_or_make_root(settings.SIGNING_DEMO_PKI_DIR)[1]
    row = SigningCertificate.objects.get()
    assert row.issuer == root.subject.rfc4514_string()
    assert (Path(settings.SIGNING_DEMO_PKI_DIR) / "demo-root-key.pem").stat().st_mode & 0o077 == 0


# --- long documents (a register of any length) -------------------------------------------------


def test_a_register_goes_to_the_worker_with_the_long_time_limits(agency, settings):
    """A register is rendered from the database as it goes (100,000 lines take about 35 minutes,
    bench/RESULTS.md): its task runs under DOCUMENT_LONG_* limits, a slip's under Celery's own,
    and Redis's visibility timeout outlasts the longest (acks_late would run it twice)."""
    from office import register

    today = timezone.localdate()
    with (
        mock.patch.object(tasks.render_and_sign_task, "apply_async") as sent,
        mock.patch.object(tasks.render_and_sign_task, "delay") as delayed,
    ):
        document = register.pdf_request(agency=agency, actor=None, start=today, end=today)
        services.enqueue(document)
        slip = _document(agency, "slip", age_minutes=0)
        services.enqueue(slip)
    assert sent.call_args.args == ((document.pk,),)
    assert sent.call_args.kwargs == {
        "soft_time_limit": settings.DOCUMENT_LONG_SOFT_TIME_LIMIT,
        "time_limit": settings.DOCUMENT_LONG_TIME_LIMIT,
    }
    assert delayed.call_args.args == (slip.pk,)
    assert settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] > (
        settings.DOCUMENT_LONG_TIME_LIMIT
    )


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_the_sweeper_leaves_a_document_a_worker_is_rendering(agency, settings):
    """A register being rendered holds its row lock for as long as it renders; the sweeper
    skips it instead of sending one more task that would wait on the lock for as long."""
    import threading

    from django.db import transaction

    stuck = _document(agency, "rendering", age_minutes=30)
    locked, release = threading.Event(), threading.Event()

    def worker():
        with transaction.atomic():
            Document.objects.select_for_update().get(pk=stuck.pk)
            locked.set()
            release.wait(30)
        connection.close()

    thread = threading.Thread(target=worker)
    thread.start()
    try:
        assert locked.wait(10)
        with mock.patch.object(tasks.render_and_sign_task, "delay") as enqueued:
            assert tasks.sweep_pending_documents_task.apply().get() == 0
        assert not enqueued.called
    finally:
        release.set()
        thread.join()
    with mock.patch.object(tasks.render_and_sign_task, "delay") as enqueued:
        assert tasks.sweep_pending_documents_task.apply().get() == 1  # free again: sent
    assert enqueued.call_args.args == (stuck.pk,)

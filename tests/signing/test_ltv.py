"""Signatures that last (issue 17; ETSI EN 319 142-1 baseline levels, validated as EN 319 102-1
describes through pyHanko's AdES engine), against the demo PKI's CRL, OCSP responder and
timestamp authority running as a real process (signing/pki_service.py):

- a document signed with a certificate that points to its revocation services is B-LTA with a
  TSA: a timestamp on each signature, the revocation data of every certificate in the DSS and a
  document timestamp; it validates with revocation required, in pyHanko and in pdfsig;
- after the certificate expired, /verify/ still says authentic; a B-B document says honestly
  that it cannot be validated any more;
- a revoked certificate: what it signed before stays valid, signing with it is refused with the
  reason, and what it signed after (forged here) reads "revoked";
- the OCSP responder down: nothing is issued half-done; the sweeper finishes when it is back;
- an overlay added to a certified document is reported modified (pdfsig's report recorded);
- the archive's document timestamps are renewed, and the copy before stays ours."""

import datetime as dt
import inspect
import io
import secrets
import time

import pytest
import time_machine
from asn1crypto import ocsp as asn1_ocsp
from celery.exceptions import Retry
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.dss import DocumentSecurityStore

from office import services as workflow
from signing import archive, certificates, ltv, pki, services, verify
from signing.models import Document, EarlierVersion, SigningCertificate
from signing.tasks import sweep_pending_documents_task
from submissions.models import DocumentKind, Dossier
from tests.factories import DossierFactory, ProcedureVersionFactory
from tests.signing.support import TimestampAuthority, der, notice_context, nss_db, run

pytestmark = pytest.mark.django_db

Status = Document.Status
PIN = "918273"


@pytest.fixture
def tsa(ltv_pki, settings):
    """The demo PKI's timestamp authority, configured: documents are B-LTA."""
    settings.SIGNING_TSA_URL = f"{ltv_pki.url}/tsa"
    return settings.SIGNING_TSA_URL


def pdfsig(pdf: bytes, tmp_path, ltv_pki) -> str:
    """pdfsig's report, with an NSS database trusting the demo root (it fetches OCSP itself)."""
    path = tmp_path / f"signed-{secrets.token_hex(4)}.pdf"
    path.write_bytes(pdf)
    nssdir = nss_db(tmp_path / f"nss-{secrets.token_hex(4)}", ltv_pki.root_path)
    return run(["pdfsig", "-nssdir", nssdir, str(path)])


def dss_ocsp_serials(pdf: bytes) -> set[int]:
    store = DocumentSecurityStore.read_dss(PdfFileReader(io.BytesIO(pdf)))
    serials = set()
    for ref in store.ocsps:
        basic = asn1_ocsp.OCSPResponse.load(ref.get_object().data).basic_ocsp_response
        for single in basic["tbs_response_data"]["responses"]:
            serials.add(single["cert_id"]["serial_number"].native)
    return serials


def validated_from_the_dss_alone(pdf: bytes, ltv_pki):
    """pyHanko's validation with revocation required and no fetching: the DSS alone."""
    from asn1crypto import x509 as asn1_x509

    reader = PdfFileReader(io.BytesIO(pdf))
    context = DocumentSecurityStore.read_dss(reader).as_validation_context(
        {
            "trust_roots": [asn1_x509.Certificate.load(der(ltv_pki.root_cert))],
            "allow_fetching": False,
            "revocation_mode": "require",
        }
    )
    return [validate_pdf_signature(s, context) for s in reader.embedded_regular_signatures]


def test_a_document_is_b_lta_with_the_revocation_data_of_every_certificate(
    ltv_pki, tsa, request_document, tmp_path, client
):
    document = request_document(ltv_pki.certificate.agency)
    assert document.status == Status.SIGNED, document.error
    pdf = document.pdf.read()
    assert ltv.level_of(pdf) == document.pades_level == ltv.B_LTA
    reader = PdfFileReader(io.BytesIO(pdf))
    (signature,) = reader.embedded_regular_signatures
    assert ltv.timestamped(signature)  # B-T
    (stamp,) = reader.embedded_timestamp_signatures  # the document timestamp (B-LTA)
    assert stamp.signed_revision > signature.signed_revision
    # B-LT: OCSP answers for the agency's certificate and for the TSA's, from the service.
    served = dss_ocsp_serials(pdf)
    assert {signature.signer_cert.serial_number, stamp.signer_cert.serial_number} <= served
    assert document.archive_until is None  # read by the daily task, off the signing path
    assert archive.fill_archive_until() == 1
    document.refresh_from_db()
    assert document.archive_until == stamp.signer_cert.not_valid_after

    (status,) = validated_from_the_dss_alone(pdf, ltv_pki)
    assert status.intact and status.valid and status.trusted
    report = pdfsig(pdf, tmp_path, ltv_pki)
    assert report.count("Signature is Valid") == 1 and "Certificate is Trusted" in report
    # pdfsig lists the document timestamp but cannot validate one ("Unable to validate this
    # type of signature", poppler 25): pyHanko above and /verify/ below do.
    assert "Signature Field Name: Timestamp-" in report
    assert verify.verify_pdf(pdf).code == verify.AUTHENTIC
    page = client.get(
        reverse("signing:verify", args=[document.verification_code]), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "PAdES B-LTA" in page.content.decode()


def test_the_leader_and_the_agency_both_sign_long_term(
    ltv_pki, tsa, agency, tmp_path, django_capture_on_commit_callbacks
):
    from tests.signing.test_personal import make_leader

    leader = make_leader(agency, pin=PIN)
    version = ProcedureVersionFactory(published=True, level3=True, procedure__agency=agency)
    dossier = DossierFactory(pending_approval=True, version=version, workflow__leader=leader)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.dossier_approve(dossier=dossier, actor=leader)
    document = Document.objects.get(
        owner_type=ContentType.objects.get_for_model(Dossier),
        owner_id=dossier.pk,
        kind=DocumentKind.RESULT,
    )
    assert document.status == Status.AWAITING_SIGNATURE, document.error
    with django_capture_on_commit_callbacks(execute=True):
        services.document_sign_personal(document=document, actor=leader, pin=PIN)
    document.refresh_from_db()
    assert document.status == Status.SIGNED, document.error
    pdf = document.pdf.read()
    assert ltv.level_of(pdf) == document.pades_level == ltv.B_LTA
    reader = PdfFileReader(io.BytesIO(pdf))
    personal, organisation = reader.embedded_regular_signatures
    assert all(ltv.timestamped(s) for s in (personal, organisation))
    served = dss_ocsp_serials(pdf)
    assert {personal.signer_cert.serial_number, organisation.signer_cert.serial_number} <= served
    assert all(
        s.intact and s.valid and s.trusted for s in validated_from_the_dss_alone(pdf, ltv_pki)
    )
    report = pdfsig(pdf, tmp_path, ltv_pki)
    assert report.count("Signature is Valid") == 2, report
    verdict = verify.verify_pdf(pdf)
    assert verdict.code == verify.AUTHENTIC, verdict
    assert [s.field for s in verdict.signatures] == ["ChuKySoCaNhan", "ChuKySoCoQuan"]


def test_the_leaders_signature_waits_for_the_responder_and_is_finished_by_the_sweeper(
    ltv_pki, tsa, agency, django_capture_on_commit_callbacks
):
    """The leader signed; the OCSP responder (and TSA) is away when the worker adds the
    revocation data and the agency's seal: the document stays "being sealed", nothing is
    stored, and the sweeper finishes it once the responder is back."""
    from tests.signing.test_personal import make_leader

    leader = make_leader(agency, pin=PIN)
    version = ProcedureVersionFactory(published=True, level3=True, procedure__agency=agency)
    dossier = DossierFactory(pending_approval=True, version=version, workflow__leader=leader)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.dossier_approve(dossier=dossier, actor=leader)
    document = Document.objects.get(owner_id=dossier.pk, kind=DocumentKind.RESULT)
    ltv_pki.services.stop()
    with django_capture_on_commit_callbacks() as callbacks:
        services.document_sign_personal(document=document, actor=leader, pin=PIN)
    (finish,) = callbacks  # finish_document_task.delay(document.pk)
    with pytest.raises(Retry) as retry:
        finish()
    assert isinstance(retry.value.exc, OSError)
    document.refresh_from_db()
    assert (document.status, document.pdf.name) == (Status.SIGNATURE_RECEIVED, "")

    ltv_pki.services.start()
    Document.objects.filter(pk=document.pk).update(
        personal_signed_at=timezone.now() - dt.timedelta(minutes=1)
    )
    assert sweep_pending_documents_task(older_than_minutes=0) >= 1  # (the dossier's slips too)
    document.refresh_from_db()
    assert document.status == Status.SIGNED, document.error
    assert ltv.level_of(document.pdf.read()) == document.pades_level == ltv.B_LTA


def short_lived_certificate(ltv_pki, agency, *, days: int) -> SigningCertificate:
    """The agency's certificate replaced by one that expires in `days`, pointing to the service."""
    key, cert = pki.issue_signing_certificate(
        ltv_pki.root_key, ltv_pki.root_cert, common_name=agency.name, organisation=agency.name,
        email="short@demo.dvc.vn", days=days, base_url=ltv_pki.url,
    )  # fmt: skip
    SigningCertificate.objects.filter(agency=agency).update(is_active=False)
    return certificates.certificate_import(
        agency=agency,
        data=pki.to_pkcs12(key, cert, [ltv_pki.root_cert], "p"),
        passphrase="p",
        name="short",
    )


def test_after_the_certificate_expired_an_lta_document_is_still_authentic_and_a_b_b_one_says_why(
    ltv_pki, tsa, agency, request_document, settings, client
):
    short_lived_certificate(ltv_pki, agency, days=30)
    lasting = request_document(agency)
    settings.SIGNING_TSA_URL = ""  # the old kind: no timestamp
    old_kind = request_document(agency, revision=2)
    assert (lasting.pades_level, old_kind.pades_level) == (ltv.B_LTA, ltv.B_B)
    lasting_pdf, old_pdf = lasting.pdf.read(), old_kind.pdf.read()
    assert (ltv.level_of(lasting_pdf), ltv.level_of(old_pdf)) == (ltv.B_LTA, ltv.B_B)
    assert verify.verify_pdf(old_pdf).code == verify.AUTHENTIC  # today

    later = timezone.now() + dt.timedelta(days=45)
    ltv_pki.services.set_clock((later - timezone.now()).total_seconds())  # the responder too
    with time_machine.travel(later, tick=True):
        assert certificates.usability_errors(certificates.load_x509(lasting.certificate))
        verdict = verify.verify_pdf(lasting_pdf)
        assert verdict.code == verify.AUTHENTIC, verdict
        assert verdict.signatures[0].long_term
        old = verify.verify_pdf(old_pdf)
        assert old.code == verify.NOT_LONG_TERM
        page = client.get(
            reverse("signing:verify", args=[lasting.verification_code]),
            HTTP_ACCEPT_LANGUAGE="en",
        ).content.decode()
        assert "This document was issued and digitally signed by the portal" in page
        assert "at the time its timestamp proves" in page
        page = client.get(
            reverse("signing:verify", args=[old_kind.verification_code]),
            HTTP_ACCEPT_LANGUAGE="vi",
        ).content.decode()
        assert "không thể kiểm tra được nữa" in page


def forged_after_revocation(ltv_pki, tsa_url: str, document) -> bytes:
    """What a thief of the agency's key could make after its certificate was revoked: a paper
    like `document`, with a PAdES signature and a genuine timestamp, no questions asked of the
    OCSP responder."""
    signer = certificates.load_signer(ltv_pki.certificate)
    meta = signers.PdfSignatureMetadata(
        field_name="ChuKySoCoQuan", md_algorithm="sha256", subfilter=fields.SigSeedSubFilter.PADES
    )
    pdf = services.render_document(document, signer="x", signed_at=timezone.localtime())
    out = io.BytesIO()
    signers.PdfSigner(meta, signer=signer, timestamper=HTTPTimeStamper(tsa_url)).sign_pdf(
        IncrementalPdfFileWriter(io.BytesIO(pdf)), output=out
    )
    return out.getvalue()


def test_a_revoked_certificate_keeps_what_it_signed_before_and_signs_nothing_more(
    ltv_pki, tsa, agency, request_document, client, settings
):
    before = request_document(agency)
    assert before.status == Status.SIGNED and before.pades_level == ltv.B_LTA
    time.sleep(1.1)  # the revocation a second after the signature's timestamp
    out = io.StringIO()
    call_command("demo_pki_revoke", agency.code, "--dir", str(ltv_pki.dir), stdout=out)
    assert ltv_pki.certificate.serial.lower().lstrip("0") in out.getvalue().lower().replace(":", "")

    # Signed before the revocation (its timestamp proves it): still authentic.
    assert verify.verify_pdf(before.pdf.read()).code == verify.AUTHENTIC
    # Signing with it now is refused, with the reason, and nothing is issued.
    refused = request_document(agency, revision=2)
    assert refused.status == Status.FAILED
    assert "revoked" in refused.error.lower() and not refused.pdf
    # A signature made with the key after the revocation reads "revoked", in both languages.
    forged = forged_after_revocation(ltv_pki, tsa, before)
    verdict = verify.verify_pdf(forged)
    assert verdict.code == verify.REVOKED and verdict.signatures[0].revoked
    from django.core.files.uploadedfile import SimpleUploadedFile

    for language, words in (("en", "had been revoked"), ("vi", "đã bị thu hồi")):
        page = client.post(
            reverse("signing:verify_start"),
            {"file": SimpleUploadedFile("f.pdf", forged, content_type="application/pdf")},
            HTTP_ACCEPT_LANGUAGE=language,
        ).content.decode()
        assert words in page, language


def test_with_the_ocsp_responder_down_nothing_is_issued_until_the_sweeper_finds_it_back(
    ltv_pki, agency, settings, django_capture_on_commit_callbacks
):
    # A TSA of its own, so that only the OCSP responder is away.
    authority = TimestampAuthority(ltv_pki.root_key, ltv_pki.root_cert)
    with authority.serving():
        settings.SIGNING_TSA_URL = authority.url
        ltv_pki.services.stop()
        with django_capture_on_commit_callbacks() as callbacks:
            document = services.document_request(
                kind="notice",
                title="Thông báo",
                template="documents/notice.html",
                context=notice_context(),
                agency=agency,
            )
        with pytest.raises(Retry) as retry:
            callbacks[0]()
        assert isinstance(retry.value.exc, ltv.RevocationUnavailable)
        document.refresh_from_db()
        assert (document.status, document.pdf.name, document.number) == (Status.PENDING, "", "")

        ltv_pki.services.start()
        assert sweep_pending_documents_task(older_than_minutes=0) == 1
        document.refresh_from_db()
        assert document.status == Status.SIGNED, document.error
        assert document.pades_level == ltv.B_LTA


def test_an_overlay_on_a_certified_document_is_reported_modified(
    ltv_pki, tsa, agency, request_document, tmp_path
):
    document = request_document(agency)
    pdf = document.pdf.read()
    reader = PdfFileReader(io.BytesIO(pdf))
    assert reader.embedded_regular_signatures[0].docmdp_level == fields.MDPPerm.FILL_FORMS
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    overlay = generic.StreamObject(stream_data=b"q 1 1 1 rg 100 600 300 60 re f Q")  # a patch
    writer.add_stream_to_page(0, writer.add_object(overlay))
    out = io.BytesIO()
    writer.write(out)
    tampered = out.getvalue()
    verdict = verify.verify_pdf(tampered)
    assert verdict.code == verify.MODIFIED, verdict
    # pdfsig (poppler 25) checks each signature's byte ranges only, honours no DocMDP and does
    # not validate document timestamps: its report on the overlaid file reads exactly as on
    # the portal's own (the agency's signature valid and trusted, "Not total document signed"
    # for every signature, since PAdES adds a DSS revision after the document timestamp). The
    # portal's verdict is what tells them apart.
    report = pdfsig(tampered, tmp_path, ltv_pki)
    assert "Signature is Valid" in report and "Certificate is Trusted" in report
    assert report.count("Not total document signed") == 2
    assert verdict_lines(report) == verdict_lines(pdfsig(pdf, tmp_path, ltv_pki))
    assert verify.verify_pdf(pdf).code == verify.AUTHENTIC


def verdict_lines(report: str) -> list[str]:
    return [line for line in report.splitlines() if "Validation:" in line or "total" in line]


def test_the_archive_timestamp_is_renewed_and_the_copy_before_stays_ours(
    ltv_pki, tsa, agency, request_document
):
    document = request_document(agency)
    before = document.pdf.read()
    archive.fill_archive_until()
    document.refresh_from_db()
    first_until = document.archive_until
    assert archive.renew(document.pk) is False  # not due: years left
    # Due (a margin wider than the TSA certificate's life), but the TSA still signs with the
    # same certificate: a new timestamp would prove nothing longer, so nothing is stored.
    out = io.StringIO()
    call_command("renew_archive", "--margin-days", "5000", stdout=out)
    assert "0 of 1 due documents renewed." in out.getvalue()
    assert Document.objects.get(pk=document.pk).sha256 == document.sha256

    # The TSA gets its new certificate (the demo PKI makes one when its files are gone).
    ltv_pki.services.stop()
    for name in ("tsa.pem", "tsa-key.pem"):
        (ltv_pki.dir / name).unlink()
    time.sleep(1)  # a certificate made a second later expires a second later
    ltv_pki.services.start()
    out = io.StringIO()
    call_command("renew_archive", "--margin-days", "5000", "--dry-run", stdout=out)
    assert "1 of 1 due documents would be renewed." in out.getvalue()
    assert Document.objects.get(pk=document.pk).sha256 == document.sha256  # a dry run
    out = io.StringIO()
    call_command("renew_archive", "--margin-days", "5000", stdout=out)
    assert document.verification_code in out.getvalue()
    assert "1 of 1 due documents renewed." in out.getvalue()
    document.refresh_from_db()
    assert document.archive_until > first_until
    after = document.pdf.read()
    reader = PdfFileReader(io.BytesIO(after))
    assert len(reader.embedded_timestamp_signatures) == 2
    assert ltv.level_of(after) == ltv.B_LTA and after.startswith(before[:1000])
    (earlier,) = EarlierVersion.objects.filter(document=document)
    assert earlier.sha256 == certificates.sha256_hex(before)
    assert verify.verify_pdf(after).code == verify.AUTHENTIC
    assert verify.verify_pdf(before).code == verify.AUTHENTIC  # the citizen's older copy
    assert archive.renew(document.pk, margin_days=5000) is False  # the same TSA again: nothing
    out = io.StringIO()
    call_command("check_archive", stdout=out)
    assert "1 documents checked: authentic 1; levels: B-LTA 1" in out.getvalue()


def test_pyhankos_http_clients_share_one_tls_context():
    """signing.ltv.share_tls_context replaces a private function of pyhanko-certvalidator's: if
    an upgrade stops looking it up there, this says so (and signing gets 36 ms slower)."""
    from pyhanko.sign.timestamps import aiohttp_client
    from pyhanko_certvalidator.fetchers.aiohttp_fetchers import util

    assert util._default_session.shared_tls_context
    assert aiohttp_client.LazySession is util.LazySession
    assert "_default_session()" in inspect.getsource(util.LazySession.get_session)


# --- what review found (verification must not be steered by the file it checks) ----------------


class Recorder:
    """An HTTP server on localhost that answers 404 to everything and remembers each path."""

    def __init__(self):
        import http.server
        import threading

        paths = self.paths = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def _any(self):
                paths.append(self.path)
                self.send_response(404)
                self.end_headers()

            do_GET = do_POST = _any

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/internal"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


def signed_by_a_stranger(pdf: bytes, base_url: str, timestamper=None) -> bytes:
    """`pdf` signed by a certificate of a CA the portal does not trust, whose pointers (CRL,
    OCSP, CA issuers) lead to `base_url`."""
    from asn1crypto import keys as asn1_keys
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives import serialization

    root_key, root_cert = pki.make_root()
    key, cert = pki.issue_signing_certificate(
        root_key, root_cert, common_name="Kẻ lạ", organisation="Kẻ lạ", email="la@example.vn",
        base_url=base_url,
    )  # fmt: skip
    signer = signers.SimpleSigner(
        signing_cert=asn1_x509.Certificate.load(der(cert)),
        signing_key=asn1_keys.PrivateKeyInfo.load(
            key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        ),
        cert_registry=None,
    )
    meta = signers.PdfSignatureMetadata(
        field_name="Sig", md_algorithm="sha256", subfilter=fields.SigSeedSubFilter.PADES
    )
    out = io.BytesIO()
    signers.PdfSigner(meta, signer=signer, timestamper=timestamper).sign_pdf(
        IncrementalPdfFileWriter(io.BytesIO(pdf)), output=out
    )
    return out.getvalue()


def test_an_uploaded_pdf_cannot_make_the_portal_fetch_its_urls(
    ltv_pki, tsa, agency, request_document, client
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    document = request_document(agency)
    unsigned = services.render_document(document, signer="x", signed_at=timezone.localtime())
    recorder = Recorder()
    try:
        for stamper in (None, HTTPTimeStamper(tsa)):  # B-B, and timestamped (the AdES path)
            forged = signed_by_a_stranger(unsigned, recorder.url, timestamper=stamper)
            assert verify.verify_pdf(forged).code == verify.UNTRUSTED
            page = client.post(
                reverse("signing:verify_start"),
                {"file": SimpleUploadedFile("f.pdf", forged, content_type="application/pdf")},
            )
            assert page.status_code == 200
        assert recorder.paths == []  # not one request to the addresses the file named
    finally:
        recorder.close()


def test_bytes_appended_after_the_last_revision_read_modified(
    ltv_pki, tsa, agency, request_document
):
    pdf = request_document(agency).pdf.read()
    last_xref = pdf.rsplit(b"startxref", 1)[1].split()[0]
    smuggled = pdf + b"\n99 0 obj\n(not signed)\nendobj\nstartxref\n" + last_xref + b"\n%%EOF\n"
    assert verify.verify_pdf(smuggled).code == verify.MODIFIED
    assert verify.verify_pdf(pdf + b"\n% a comment\n").code == verify.MODIFIED
    # Whitespace is no revision: intact and trusted, only not the file we issued (its hash).
    assert verify.verify_pdf(pdf + b"\n\n").code == verify.NOT_ISSUED


def test_a_responder_away_during_verification_says_try_later_and_is_not_cached(
    ltv_pki, tsa, agency, request_document, client
):
    short_lived_certificate(ltv_pki, agency, days=30)
    document = request_document(agency)
    pdf = document.pdf.read()
    later = timezone.now() + dt.timedelta(days=45)
    ltv_pki.services.set_clock((later - timezone.now()).total_seconds())
    ltv_pki.services.stop()
    url = reverse("signing:verify", args=[document.verification_code])
    with time_machine.travel(later, tick=True):
        assert verify.verify_pdf(pdf).code == verify.UNAVAILABLE
        page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "could not be fully checked right now" in page
        ltv_pki.services.start()
        page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "This document was issued and digitally signed by the portal" in page


def test_a_certificate_no_retry_can_mend_fails_the_document_with_the_reason(
    ltv_pki, tsa, agency, request_document, settings
):
    from signing.trust import _trust_roots

    settings.SIGNING_TRUST_ROOTS = []  # its chain reaches no trusted root
    _trust_roots.cache_clear()
    document = request_document(agency)
    assert document.status == Status.FAILED, document.status
    assert "validation path" in document.error and not document.pdf  # (in the default language)

"""Verification: one verdict per kind of file, the same on the page and in the API; the public
record behind a verification code."""

import hashlib
import os
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from rest_framework.test import APIClient

from signing import certificates, pdfsign, pki, render, verify
from signing.models import Document
from tests.factories import AgencyFactory
from tests.signing.support import P12_PASSPHRASE, flip_byte_in_signed_content, p12_for

pytestmark = pytest.mark.django_db

VERIFY = reverse("signing:verify_start")
API_VERIFY = "/api/v1/verify/"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def upload(data: bytes, name: str = "van-ban.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def english_message(code: str) -> str:
    with translation.override("en"):
        return str(verify.MESSAGES[code])


@pytest.fixture
def pdf_for(demo_pki, agency, request_document):
    """Bytes that should get each verdict."""

    def make(code: str) -> bytes:
        if code == verify.AUTHENTIC:
            return request_document(agency).pdf.read()
        if code == verify.MODIFIED:
            return flip_byte_in_signed_content(request_document(agency).pdf.read())
        if code == verify.UNTRUSTED:
            # A certificate from a root the portal does not trust, imported for an agency and
            # used through the normal pipeline.
            stranger = AgencyFactory(code="000.00.99.H99", name="Sở Giáo dục và Đào tạo giả")
            stranger_key, stranger_root = pki.make_root()
            certificates.certificate_import(
                agency=stranger,
                data=p12_for(stranger_key, stranger_root, common_name="Chứng thư lạ"),
                passphrase=P12_PASSPHRASE,
            )
            document = request_document(stranger)
            assert document.status == Document.Status.SIGNED, document.error
            return document.pdf.read()
        if code == verify.UNSIGNED:
            return render.render_pdf("<h1>Giấy xác nhận</h1><p>Không có chữ ký số.</p>")
        if code == verify.NOT_ISSUED:
            # Validly signed with the agency's own, trusted certificate, but never issued.
            unsigned = render.render_pdf("<h1>Giấy xác nhận</h1><p>Văn bản không được cấp.</p>")
            return pdfsign.sign_pdf(
                unsigned, certificate=demo_pki.certificate, reason="Giả", location="Hà Nội"
            )
        if code == verify.NOT_PDF:
            return b"this is not a PDF \x00\x01\x02" + os.urandom(64)
        raise AssertionError(code)

    return make


VERDICTS = [
    verify.AUTHENTIC,
    verify.MODIFIED,
    verify.UNTRUSTED,
    verify.UNSIGNED,
    verify.NOT_ISSUED,
    verify.NOT_PDF,
]


@pytest.mark.parametrize("code", VERDICTS)
def test_each_kind_of_file_gets_its_verdict_on_the_page_and_in_the_api(
    code, pdf_for, client, settings
):
    data = pdf_for(code)
    documents = list(Document.objects.values_list("pk", "status", "sha256"))
    files = sorted(Path(settings.MEDIA_ROOT).rglob("*"))

    verdict = verify.verify_pdf(data)
    assert verdict.code == code, verdict
    assert verdict.sha256 == hashlib.sha256(data).hexdigest()

    response = client.post(VERIFY, {"file": upload(data)}, **EN)
    assert response.status_code == 200
    page = response.content.decode()
    assert f'class="verdict verdict-{code}"' in page
    assert escape(english_message(code)) in page
    assert verdict.sha256 in page
    for other in set(VERDICTS) - {code}:
        assert f"verdict-{other}" not in page

    response = APIClient().post(API_VERIFY, {"file": upload(data)}, format="multipart", **EN)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["verdict"] == code
    assert body["message"] == english_message(code)
    assert body["sha256"] == verdict.sha256
    if code == verify.AUTHENTIC:
        ours = Document.objects.get(sha256=verdict.sha256)
        assert body["document"]["verification_code"] == ours.verification_code
        assert f'href="{reverse("signing:verify", args=[ours.verification_code])}"' in page
    else:
        assert body["document"] is None
    if code in {verify.AUTHENTIC, verify.MODIFIED, verify.UNTRUSTED, verify.NOT_ISSUED}:
        assert body["signer"]  # the signature could be read: who made it is shown

    # Checking a file stores nothing.
    assert list(Document.objects.values_list("pk", "status", "sha256")) == documents
    assert sorted(Path(settings.MEDIA_ROOT).rglob("*")) == files


def test_content_appended_after_signing_is_reported_modified(signed):
    pdf = signed.pdf.read()
    appended = pdf + b"\n% a line added after signing\n"
    assert verify.verify_pdf(appended).code == verify.MODIFIED


def test_a_signed_pdf_of_ours_is_not_authentic_once_the_trust_roots_are_gone(signed, settings):
    settings.SIGNING_TRUST_ROOTS = []
    verify._trust_roots.cache_clear()
    assert verify.verify_pdf(signed.pdf.read()).code == verify.UNTRUSTED


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.7\n" + b"\xff" * 500,
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n",  # cut off: no xref, no trailer
    ],
)
def test_a_pdf_header_followed_by_garbage_is_not_a_pdf(db, data):
    assert verify.verify_pdf(data).code == verify.NOT_PDF


def test_a_garbage_upload_gets_a_clear_message_and_nothing_is_stored(client, signed, settings):
    before = Document.objects.count()
    files = sorted(Path(settings.MEDIA_ROOT).rglob("*"))
    response = client.post(VERIFY, {"file": upload(b"GIF89a garbage", "anh.gif")}, **EN)
    assert response.status_code == 200
    assert "This file is not a PDF document that can be read." in response.content.decode()
    assert "verdict-not_pdf" in response.content.decode()
    assert Document.objects.count() == before
    assert sorted(Path(settings.MEDIA_ROOT).rglob("*")) == files


def test_an_upload_over_20_mb_is_a_form_error(client, db):
    big = upload(b"%PDF-1.7\n" + b"0" * (20 * 1024 * 1024))
    response = client.post(VERIFY, {"file": big}, **EN)
    assert response.status_code == 400
    page = response.content.decode()
    assert "The file is larger than 20 MB." in page
    assert 'class="verdict' not in page

    big.seek(0)
    response = APIClient().post(API_VERIFY, {"file": big}, format="multipart", **EN)
    assert response.status_code == 400
    assert response.json() == {"file": ["The file is larger than 20 MB."]}


def test_the_api_needs_a_file(db):
    response = APIClient().post(API_VERIFY, {}, format="multipart", **EN)
    assert response.status_code == 400
    assert response.json() == {"detail": "Enter a verification code or choose a PDF file."}


def test_an_empty_form_asks_for_a_code_or_a_file(client, db):
    response = client.post(VERIFY, {"code": ""}, **EN)  # what a browser sends
    assert response.status_code == 400
    assert "Enter a verification code or choose a PDF file." in response.content.decode()


def test_a_code_typed_on_the_form_opens_its_record(client, signed):
    response = client.post(VERIFY, {"code": f"  {signed.verification_code.lower()} "})
    assert response.status_code == 302
    assert response["Location"] == reverse("signing:verify", args=[signed.verification_code])


# --- the record behind a verification code -------------------------------------------------------


def test_the_record_page_shows_the_document_and_downloads_the_exact_bytes(client, signed, agency):
    url = reverse("signing:verify", args=[signed.verification_code])
    response = client.get(url, **EN)
    assert response.status_code == 200
    page = response.content.decode()
    assert "verdict-authentic" in page
    assert f"<dd>{signed.kind}</dd>" in page
    assert f"<dd>{escape(agency.name)}</dd>" in page
    assert f"<dd>{escape(signed.signer)}</dd>" in page
    assert signed.sha256 in page
    assert signed.certificate_serial in page
    assert "<dd>Signed</dd>" in page
    download = reverse("signing:download", args=[signed.verification_code])
    assert f'href="{download}"' in page

    response = client.get(download)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f"notice-{signed.verification_code}.pdf" in response["Content-Disposition"]
    body = b"".join(response.streaming_content)
    assert body == Path(signed.pdf.path).read_bytes()
    assert hashlib.sha256(body).hexdigest() == signed.sha256


def test_the_code_is_found_whatever_its_case(client, signed):
    response = client.get(reverse("signing:verify", args=[signed.verification_code.lower()]))
    assert response.status_code == 200
    assert signed.sha256 in response.content.decode()


@pytest.mark.parametrize("code", ["ABCDEFGHJKMNPQRS", "not-a-code", "X" * 40])
def test_an_unknown_code_is_a_404_page(client, db, code):
    response = client.get(reverse("signing:verify", args=[code]), **EN)
    assert response.status_code == 404
    page = response.content.decode()
    assert "No document has the verification code" in page
    assert "verdict-modified" in page
    response = client.get(reverse("signing:download", args=[code]))
    assert response.status_code == 404


def test_a_pending_document_has_a_record_but_nothing_to_download(client, agency, request_document):
    document = request_document(agency)  # no certificate at all: it fails
    assert document.status == Document.Status.FAILED
    Document.objects.filter(pk=document.pk).update(status=Document.Status.PENDING, error="")

    response = client.get(reverse("signing:verify", args=[document.verification_code]), **EN)
    assert response.status_code == 200
    page = response.content.decode()
    assert "being prepared" in page
    assert "<dd>Pending</dd>" in page
    download = reverse("signing:download", args=[document.verification_code])
    assert download not in page
    assert client.get(download).status_code == 404

    response = APIClient().get(f"/api/v1/verify/{document.verification_code}/")
    assert response.status_code == 200
    assert response.json()["status"] == "pending"
    assert response.json()["download_url"] is None


def test_the_api_returns_the_record_of_a_code(signed, agency):
    response = APIClient().get(f"/api/v1/verify/{signed.verification_code}/")
    assert response.status_code == 200
    body = response.json()
    assert body["verification_code"] == signed.verification_code
    assert body["kind"] == "notice"
    assert body["title"] == signed.title
    assert body["agency"] == agency.code
    assert body["agency_name"] == agency.name
    assert body["status"] == "signed"
    assert body["signer"] == signed.signer
    assert body["certificate_serial"] == signed.certificate_serial
    assert body["sha256"] == signed.sha256
    assert body["signed_at"]
    download = reverse("signing:download", args=[signed.verification_code])
    assert body["download_url"] == f"http://testserver{download}"


def test_the_api_answers_404_for_an_unknown_code(db):
    response = APIClient().get("/api/v1/verify/ABCDEFGHJKMNPQRS/", **EN)
    assert response.status_code == 404
    assert response.json() == {
        "detail": "No document has this verification code. Check the code on the paper."
    }


def test_the_trusted_roots_are_published(client, demo_pki):
    response = client.get(reverse("signing:roots"))
    assert response.status_code == 200
    assert response.content.strip() == pki.pem(demo_pki.root_cert).strip()


def test_the_record_page_validates_a_document_once_not_on_every_visit(client, signed):
    """Anyone may open a record; validating a signed PDF (an 88 MiB register takes seconds)
    happens once, and the next visits read the report kept for that document and hash."""
    from unittest import mock

    url = reverse("signing:verify", args=[signed.verification_code])
    with mock.patch.object(verify, "verify_pdf", wraps=verify.verify_pdf) as validated:
        first = client.get(url).content.decode()
        second = client.get(url).content.decode()
    assert validated.call_count == 1
    assert first == second and signed.signer in second

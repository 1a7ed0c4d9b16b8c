"""Importing an agency's PKCS#12: every bad input refused with a clear message and nothing
stored; the admin import view; the encrypted key shown nowhere; each agency sees its own."""

import base64
import datetime as dt

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from signing import certificates, keys, pki
from signing.models import Document, SigningCertificate
from tests.signing.support import P12_PASSPHRASE, p12_for

pytestmark = pytest.mark.django_db

IMPORT = reverse("admin:signing_certificate_import")
CERTIFICATES = reverse("admin:signing_signingcertificate_changelist")
DOCUMENTS = reverse("admin:signing_document_changelist")


@pytest.fixture
def root():
    return pki.make_root()


def refused(agency, data: bytes, passphrase: str = P12_PASSPHRASE) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        certificates.certificate_import(agency=agency, data=data, passphrase=passphrase)
    assert SigningCertificate.objects.count() == 0
    return caught.value


def test_a_valid_pkcs12_is_imported_with_its_key_encrypted(agency, root, settings):
    root_key, root_cert = root
    key, cert = pki.issue_signing_certificate(
        root_key, root_cert, common_name="Sở GD&ĐT Hà Nội", organisation="Sở GD&ĐT", email="a@b.vn"
    )
    row = certificates.certificate_import(
        agency=agency, data=pki.to_pkcs12(key, cert, [root_cert], "bí mật"), passphrase="bí mật"
    )
    key_der = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    assert row.name == "Sở GD&ĐT Hà Nội"
    assert row.serial == format(cert.serial_number, "x")
    assert row.not_after == cert.not_valid_after_utc
    assert row.certificate_pem == pki.pem(cert).decode()
    assert row.chain_pem == pki.pem(root_cert).decode()
    assert key_der not in bytes(row.encrypted_key)
    kek = keys.current_kek()
    assert row.kek_id == keys.fingerprint(kek)
    assert keys.decrypt(bytes(row.encrypted_key), bound_to=bytes.fromhex(row.sha256)) == key_der
    assert row.is_current


def test_an_expired_certificate_is_refused_with_its_date(agency, root, english):
    long_ago = dt.datetime(2020, 3, 5, 1, 0, tzinfo=dt.UTC)
    error = refused(agency, p12_for(*root, not_before=long_ago, days=1))
    assert error.messages == ["The certificate expired on 06/03/2020 08:00."]  # Hà Nội time


def test_a_certificate_not_yet_valid_is_refused(agency, root, english):
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=30)
    error = refused(agency, p12_for(*root, not_before=later))
    assert len(error.messages) == 1
    assert error.messages[0].startswith("The certificate is not valid before ")


def test_a_wrong_passphrase_is_refused(agency, root, english):
    error = refused(agency, p12_for(*root), passphrase="sai mật khẩu")
    assert error.messages == ["The file is not a PKCS#12 file, or the passphrase is wrong."]


@pytest.mark.parametrize(
    "data", [b"garbage, not a PKCS#12 file", b"\x30\x82\x01\x00" + b"\x00" * 256]
)
def test_garbage_as_pkcs12_is_refused(agency, data, english):
    error = refused(agency, data)
    assert error.messages == ["The file is not a PKCS#12 file, or the passphrase is wrong."]


@pytest.mark.parametrize("size", [0, certificates.MAX_P12_BYTES + 1])
def test_an_empty_or_oversized_file_is_refused(agency, size, english):
    error = refused(agency, b"\x30" * size)
    assert error.messages == ["Upload a PKCS#12 file (.p12 or .pfx) of at most 64 KB."]


def test_a_pkcs12_without_a_private_key_is_refused(agency, root, english):
    _key, cert = pki.issue_signing_certificate(
        *root, common_name="Không khóa", organisation="Sở", email="a@b.vn"
    )
    data = pkcs12.serialize_key_and_certificates(
        name=b"x",
        key=None,
        cert=cert,
        cas=None,
        encryption_algorithm=serialization.BestAvailableEncryption(P12_PASSPHRASE.encode()),
    )
    error = refused(agency, data)
    assert error.messages == ["The PKCS#12 file holds no private key and certificate."]


def test_a_certificate_with_the_wrong_key_usage_is_refused(agency, root, english):
    error = refused(agency, p12_for(*root, key_usage_ok=False))
    assert error.messages == [
        "The certificate is not for digital signatures (key usage).",
        "The certificate is not for signing documents (extended key usage).",
    ]


def test_no_key_encryption_key_in_production_refuses_the_import(agency, root, settings, english):
    settings.PRODUCTION = True
    settings.SIGNING_KEK = ""
    error = refused(agency, p12_for(*root))
    assert error.messages == [
        "No key-encryption key: set SIGNING_KEK before importing or using signing keys."
    ]


@pytest.mark.parametrize(
    ("kek", "message"),
    [
        ("not base64!", "SIGNING_KEK is not valid base64."),
        (
            base64.b64encode(b"short").decode(),
            "SIGNING_KEK must be 32 bytes (base64 of 32 random bytes).",
        ),
    ],
)
def test_a_malformed_key_encryption_key_refuses_the_import(
    agency, root, settings, english, kek, message
):
    settings.SIGNING_KEK = kek
    assert refused(agency, p12_for(*root)).messages == [message]


def test_the_same_certificate_cannot_be_imported_twice(agency, other_agency, root, english):
    data = p12_for(*root)
    first = certificates.certificate_import(agency=agency, data=data, passphrase=P12_PASSPHRASE)
    with pytest.raises(ValidationError) as caught:
        certificates.certificate_import(agency=other_agency, data=data, passphrase=P12_PASSPHRASE)
    assert caught.value.messages == ["This certificate has been imported already."]
    assert list(SigningCertificate.objects.all()) == [first]


# --- the admin -------------------------------------------------------------------------------


def p12_upload(data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("chung-thu.p12", data, content_type="application/x-pkcs12")


def test_an_agency_admin_imports_a_pkcs12_in_the_admin(client, agency_admin, agency, root):
    client.force_login(agency_admin)
    assert client.get(IMPORT).status_code == 200
    response = client.post(
        IMPORT,
        {
            "file": p12_upload(p12_for(*root)),
            "passphrase": P12_PASSPHRASE,
            "name": "Chứng thư 2026",
        },
        follow=True,
    )
    assert response.redirect_chain == [(CERTIFICATES, 302)]
    assert "The certificate has been imported." in response.content.decode()
    row = SigningCertificate.objects.get()
    assert (row.agency, row.name) == (agency, "Chứng thư 2026")


def test_a_wrong_passphrase_in_the_admin_shows_the_message_and_stores_nothing(
    client, agency_admin, root
):
    client.force_login(agency_admin)
    response = client.post(
        IMPORT, {"file": p12_upload(p12_for(*root)), "passphrase": "sai", "name": ""}
    )
    assert response.status_code == 200
    assert (
        "The file is not a PKCS#12 file, or the passphrase is wrong." in response.content.decode()
    )
    assert SigningCertificate.objects.count() == 0


def test_an_agency_admin_imports_only_into_their_own_agency(
    client, agency_admin, agency, other_agency, root
):
    client.force_login(agency_admin)
    response = client.post(
        IMPORT,
        {
            "file": p12_upload(p12_for(*root)),
            "passphrase": P12_PASSPHRASE,
            "agency": other_agency.pk,
        },
    )
    assert response.status_code == 302
    assert SigningCertificate.objects.get().agency == agency


def test_a_superuser_chooses_the_agency(client, superuser, other_agency, root):
    client.force_login(superuser)
    response = client.post(
        IMPORT,
        {
            "file": p12_upload(p12_for(*root)),
            "passphrase": P12_PASSPHRASE,
            "agency": other_agency.pk,
        },
    )
    assert response.status_code == 302
    assert SigningCertificate.objects.get().agency == other_agency


def test_staff_without_the_role_cannot_import(client, agency, root):
    from tests.factories import OfficerFactory

    desk = OfficerFactory(agency=agency, roles=["desk"], is_staff=True, language="en")
    client.force_login(desk)
    response = client.post(
        IMPORT, {"file": p12_upload(p12_for(*root)), "passphrase": P12_PASSPHRASE}
    )
    assert response.status_code == 403
    assert SigningCertificate.objects.count() == 0


def leaks(text: str, row: SigningCertificate) -> list[str]:
    """Forms of the encrypted key (and of the word for it) found in `text`."""
    blob = bytes(row.encrypted_key)
    forms = {
        "hex": blob.hex(),
        "hex-prefix": blob[:24].hex(),
        "base64": base64.b64encode(blob).decode()[:32],
        "urlsafe-base64": base64.urlsafe_b64encode(blob).decode()[:32],
        "repr": repr(blob)[2:40],
        "field": "encrypted_key",
        "pem": "PRIVATE KEY",
    }
    return [name for name, form in forms.items() if form in text]


def test_the_encrypted_key_appears_in_no_admin_page_and_no_api(client, agency_admin, signed):
    row = signed.certificate
    client.force_login(agency_admin)
    pages = {
        "certificate change": reverse("admin:signing_signingcertificate_change", args=[row.pk]),
        "certificate list": CERTIFICATES,
        "document change": reverse("admin:signing_document_change", args=[signed.pk]),
        "document list": DOCUMENTS,
        "import": IMPORT,
    }
    for name, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, name
        assert leaks(response.content.decode(), row) == [], name
    # The change page does show the certificate's public details.
    response = client.get(pages["certificate change"])
    assert row.sha256 in response.content.decode()

    api = APIClient()
    responses = {
        "record": api.get(f"/api/v1/verify/{signed.verification_code}/"),
        "verify": api.post(
            "/api/v1/verify/",
            {"file": SimpleUploadedFile("a.pdf", signed.pdf.read())},
            format="multipart",
        ),
    }
    api.force_authenticate(agency_admin)
    responses["schema"] = api.get("/api/schema/")
    responses["me"] = api.get("/api/v1/me/")
    for name, response in responses.items():
        assert response.status_code == 200, (name, response.status_code)
        assert leaks(response.content.decode(), row) == [], name


def test_the_admin_change_form_cannot_set_the_key(client, agency_admin, signed):
    row = signed.certificate
    before = bytes(row.encrypted_key)
    client.force_login(agency_admin)
    url = reverse("admin:signing_signingcertificate_change", args=[row.pk])
    response = client.post(
        url, {"name": "Đổi tên", "is_active": "on", "encrypted_key": "AAAA", "kek_id": "x"}
    )
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.name == "Đổi tên"
    assert bytes(row.encrypted_key) == before and row.kek_id != "x"


def test_an_agency_admin_sees_only_their_agencys_certificates_and_documents(
    client, agency_admin, other_admin, demo_pki, agency, other_agency, signed, request_document
):
    theirs_key, theirs_root = pki.make_root()
    theirs = certificates.certificate_import(
        agency=other_agency,
        data=p12_for(theirs_key, theirs_root, common_name="Sở Hải Phòng"),
        passphrase=P12_PASSPHRASE,
        name="Chứng thư Hải Phòng",
    )
    their_document = Document.objects.create(
        kind="notice",
        title="Văn bản Hải Phòng",
        template="documents/notice.html",
        agency=other_agency,
        key="test:hai-phong",
    )

    client.force_login(agency_admin)
    response = client.get(CERTIFICATES)
    assert [c.pk for c in response.context["cl"].result_list] == [demo_pki.certificate.pk]
    assert "Chứng thư Hải Phòng" not in response.content.decode()
    response = client.get(DOCUMENTS)
    assert [d.pk for d in response.context["cl"].result_list] == [signed.pk]
    assert "Văn bản Hải Phòng" not in response.content.decode()

    for url in (
        reverse("admin:signing_signingcertificate_change", args=[theirs.pk]),
        reverse("admin:signing_document_change", args=[their_document.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302, url  # "does not exist": back to the index
        assert response.url == reverse("admin:index")
    response = client.post(
        reverse("admin:signing_signingcertificate_change", args=[theirs.pk]),
        {"name": "Bị đổi", "is_active": ""},
    )
    theirs.refresh_from_db()
    assert (theirs.name, theirs.is_active) == ("Chứng thư Hải Phòng", True)

    client.force_login(other_admin)
    response = client.get(CERTIFICATES)
    assert [c.pk for c in response.context["cl"].result_list] == [theirs.pk]


def test_the_retry_action_queues_failed_documents_again(
    client, agency_admin, agency, demo_pki, request_document, django_capture_on_commit_callbacks
):
    SigningCertificate.objects.update(is_active=False)
    failed = request_document(agency)
    assert failed.status == Document.Status.FAILED
    SigningCertificate.objects.update(is_active=True)

    client.force_login(agency_admin)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(
            DOCUMENTS, {"action": "retry_selected", "_selected_action": [failed.pk]}
        )
    assert response.status_code == 302
    assert len(callbacks) == 2  # the render task, then the "document signed" signal
    failed.refresh_from_db()
    assert failed.status == Document.Status.SIGNED
    assert failed.attempts == 2


def test_a_long_vietnamese_agency_name_fits_the_demo_certificate():
    """cryptography counts a name's 64 in UTF-8 bytes: "Sở Giáo dục và Đào tạo thành phố Hồ Chí
    Minh — …" (80 letters, 106 bytes) is cut at a letter's edge instead of failing."""
    from signing import pki

    name = pki._name("Sở Giáo dục và Đào tạo thành phố Hồ Chí Minh — Trung tâm Phục vụ", "Sở")
    common = name.get_attributes_for_oid(pki.NameOID.COMMON_NAME)[0].value
    assert len(common.encode()) <= 64 and "Sở Giáo dục và Đào tạo".startswith(common[:22])

"""The key-encryption key: encryption bound to the certificate, rotation, a wrong or missing KEK
at signing time."""

import io

import pytest
from cryptography.exceptions import InvalidTag
from django.core.management import CommandError, call_command

from signing import certificates, keys
from signing.models import Document, SigningCertificate
from tests.signing.support import P12_PASSPHRASE, p12_for

pytestmark = pytest.mark.django_db


def test_a_key_blob_decrypts_only_with_its_kek_and_for_its_certificate():
    kek, other = keys._decode(keys.new_kek_text()), keys._decode(keys.new_kek_text())
    blob = keys.encrypt(b"private key", bound_to=b"cert-a", kek=kek)
    assert keys.decrypt(blob, bound_to=b"cert-a", kek=kek) == b"private key"
    with pytest.raises(InvalidTag):
        keys.decrypt(blob, bound_to=b"cert-b", kek=kek)
    with pytest.raises(InvalidTag):
        keys.decrypt(blob, bound_to=b"cert-a", kek=other)
    assert keys.encrypt(b"private key", bound_to=b"cert-a", kek=kek) != blob  # fresh nonce


def test_development_derives_a_kek_from_the_secret_key_and_production_refuses(settings):
    settings.SIGNING_KEK = ""
    settings.PRODUCTION = False
    derived = keys.current_kek()
    assert len(derived) == 32
    settings.SECRET_KEY = "another development secret key, long enough to be used here....."
    assert keys.current_kek() != derived
    settings.PRODUCTION = True
    with pytest.raises(keys.KekMissing):
        keys.current_kek()


def test_the_signing_kek_command_prints_a_usable_kek():
    out = io.StringIO()
    call_command("signing_kek", stdout=out)
    assert len(keys._decode(out.getvalue().strip())) == 32


def test_rotation_re_encrypts_every_key_and_documents_sign_with_only_the_new_kek(
    demo_pki, agency, settings, request_document
):
    old, new = settings.SIGNING_KEK, keys.new_kek_text()
    row = demo_pki.certificate
    before = bytes(row.encrypted_key)
    assert row.kek_id == keys.fingerprint(keys._decode(old))

    settings.SIGNING_KEK_OLD, settings.SIGNING_KEK = old, new
    out = io.StringIO()
    call_command("rotate_signing_kek", stdout=out)
    assert "Re-encrypted 1 key(s)" in out.getvalue()

    row.refresh_from_db()
    assert row.kek_id == keys.fingerprint(keys._decode(new))
    assert bytes(row.encrypted_key) != before
    bound = bytes.fromhex(row.sha256)
    with pytest.raises(InvalidTag):
        keys.decrypt(bytes(row.encrypted_key), bound_to=bound, kek=keys._decode(old))

    # Run again: nothing left to move.
    out = io.StringIO()
    call_command("rotate_signing_kek", stdout=out)
    assert "Re-encrypted 0 key(s)" in out.getvalue()

    settings.SIGNING_KEK_OLD = ""
    certificates._signer.cache_clear()
    document = request_document(agency)
    assert document.status == Document.Status.SIGNED, document.error
    assert document.certificate == row


def test_rotation_is_all_or_nothing(demo_pki, other_agency, settings):
    old = settings.SIGNING_KEK
    # A second certificate stored under some third KEK.
    settings.SIGNING_KEK = keys.new_kek_text()
    stray = certificates.certificate_import(
        agency=other_agency,
        data=p12_for(demo_pki.root_key, demo_pki.root_cert),
        passphrase=P12_PASSPHRASE,
    )
    rows_before = {
        r.pk: (bytes(r.encrypted_key), r.kek_id) for r in SigningCertificate.objects.all()
    }

    settings.SIGNING_KEK_OLD, settings.SIGNING_KEK = old, keys.new_kek_text()
    with pytest.raises(CommandError, match=f"Certificate {stray.pk} is under neither key"):
        call_command("rotate_signing_kek", stdout=io.StringIO())
    rows_after = {
        r.pk: (bytes(r.encrypted_key), r.kek_id) for r in SigningCertificate.objects.all()
    }
    assert rows_after == rows_before


def test_rotation_needs_both_keks(settings):
    settings.SIGNING_KEK_OLD = ""
    with pytest.raises(CommandError, match="Set SIGNING_KEK_OLD"):
        call_command("rotate_signing_kek", stdout=io.StringIO())


def test_signing_with_the_wrong_kek_fails_the_document_with_a_clear_error(
    demo_pki, agency, settings, request_document, english
):
    settings.SIGNING_KEK = keys.new_kek_text()  # changed without running rotate_signing_kek
    document = request_document(agency)
    assert document.status == Document.Status.FAILED
    assert document.error == (
        "The signing key cannot be decrypted with the current key-encryption key (SIGNING_KEK). "
        "Was SIGNING_KEK changed without running rotate_signing_kek?"
    )
    assert document.attempts == 1
    assert document.pdf.name == ""


def test_signing_without_a_kek_in_production_fails_the_document(
    demo_pki, agency, settings, request_document, english
):
    settings.PRODUCTION = True
    settings.SIGNING_KEK = ""
    document = request_document(agency)
    assert document.status == Document.Status.FAILED
    assert document.error == (
        "No key-encryption key: set SIGNING_KEK before importing or using signing keys."
    )

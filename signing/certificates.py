"""Signing certificates: import from PKCS#12, check before use, load the signer in the worker."""

import datetime as dt
import functools
import hashlib

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from signing import keys
from signing.models import SigningCertificate

MAX_P12_BYTES = 64 * 1024


def _name(cert: x509.Certificate, attr=NameOID.COMMON_NAME) -> str:
    values = cert.subject.get_attributes_for_oid(attr)
    return values[0].value if values else cert.subject.rfc4514_string()


def usability_errors(cert: x509.Certificate, *, at: dt.datetime | None = None) -> list[str]:
    """Why this certificate must not sign now (empty when it may)."""
    at = at or timezone.now()
    errors = []
    if at < cert.not_valid_before_utc:
        errors.append(
            _("The certificate is not valid before %(date)s.")
            % {"date": timezone.localtime(cert.not_valid_before_utc).strftime("%d/%m/%Y %H:%M")}
        )
    if at > cert.not_valid_after_utc:
        errors.append(
            _("The certificate expired on %(date)s.")
            % {"date": timezone.localtime(cert.not_valid_after_utc).strftime("%d/%m/%Y %H:%M")}
        )
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
        if not (usage.digital_signature or usage.content_commitment):
            errors.append(_("The certificate is not for digital signatures (key usage)."))
    except x509.ExtensionNotFound:
        pass
    try:
        eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        allowed = {
            ExtendedKeyUsageOID.EMAIL_PROTECTION,
            ExtendedKeyUsageOID.CODE_SIGNING,
            ExtendedKeyUsageOID.CLIENT_AUTH,
            x509.ObjectIdentifier("1.3.6.1.4.1.311.10.3.12"),  # document signing (Microsoft)
            x509.ObjectIdentifier("1.2.840.113583.1.1.5"),  # Adobe authentic documents trust
            ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE,
        }
        if not allowed & set(eku):
            errors.append(_("The certificate is not for signing documents (extended key usage)."))
    except x509.ExtensionNotFound:
        pass
    return errors


@transaction.atomic
def certificate_import(
    *, agency, data: bytes, passphrase: str, name: str = ""
) -> SigningCertificate:
    """Import a PKCS#12 file; the key is encrypted under the KEK before it is stored.
    Raises ValidationError with a clear message, storing nothing, when anything is wrong."""
    if not data or len(data) > MAX_P12_BYTES:
        raise ValidationError(_("Upload a PKCS#12 file (.p12 or .pfx) of at most 64 KB."))
    try:
        key, cert, extra = pkcs12.load_key_and_certificates(
            data, passphrase.encode() if passphrase else None
        )
    except (ValueError, TypeError) as exc:
        raise ValidationError(
            _("The file is not a PKCS#12 file, or the passphrase is wrong."), code="p12"
        ) from exc
    if key is None or cert is None:
        raise ValidationError(_("The PKCS#12 file holds no private key and certificate."))
    errors = usability_errors(cert)
    if errors:
        raise ValidationError(errors, code="unusable")
    fingerprint = cert.fingerprint(hashes.SHA256()).hex()
    if SigningCertificate.objects.filter(sha256=fingerprint).exists():
        raise ValidationError(_("This certificate has been imported already."), code="duplicate")
    try:
        kek = keys.current_kek()
    except keys.KekMissing as exc:
        raise ValidationError(str(exc), code="kek") from exc
    key_der = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    chain = "".join(c.public_bytes(serialization.Encoding.PEM).decode() for c in extra or [])
    return SigningCertificate.objects.create(
        agency=agency,
        name=name or _name(cert),
        subject=cert.subject.rfc4514_string()[:500],
        issuer=cert.issuer.rfc4514_string()[:500],
        serial=format(cert.serial_number, "x"),
        sha256=fingerprint,
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        certificate_pem=pem,
        chain_pem=chain,
        encrypted_key=keys.encrypt(key_der, bound_to=bytes.fromhex(fingerprint), kek=kek),
        kek_id=keys.fingerprint(kek),
    )


def certificate_for_signing(agency) -> SigningCertificate | None:
    now = timezone.now()
    return (
        SigningCertificate.objects.filter(
            agency=agency, is_active=True, not_before__lte=now, not_after__gte=now
        )
        .order_by("-not_after")
        .first()
    )


def load_x509(row) -> x509.Certificate:
    """The certificate of a SigningCertificate or a PersonalCertificate."""
    return x509.load_pem_x509_certificate(row.certificate_pem.encode())


def signer_name(row: SigningCertificate) -> str:
    return _name(load_x509(row))


def personal_signer_name(row) -> str:
    """The common name of a personal certificate (the leader's full name)."""
    return _name(load_x509(row))


@functools.lru_cache(maxsize=16)
def _signer(
    cert_id: int, sha256: str, kek_id: str, certificate_pem: str, chain_pem: str, blob: bytes
):
    from signing import pdfsign

    key_der = keys.decrypt(blob, bound_to=bytes.fromhex(sha256))
    chain = [
        asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER))
        for c in x509.load_pem_x509_certificates(chain_pem.encode())
    ] if chain_pem else []  # fmt: skip
    cert = asn1_x509.Certificate.load(
        x509.load_pem_x509_certificate(certificate_pem.encode()).public_bytes(
            serialization.Encoding.DER
        )
    )
    return pdfsign.make_signer(
        certificate=cert, private_key=asn1_keys.PrivateKeyInfo.load(key_der), chain=chain
    )


def load_signer(row: SigningCertificate):
    """The pyHanko signer of a certificate, with its key decrypted once per worker process
    (loading a key costs more than the signature itself)."""
    return _signer(
        row.pk, row.sha256, row.kek_id, row.certificate_pem, row.chain_pem, bytes(row.encrypted_key)
    )


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@transaction.atomic
def personal_certificate_register(
    *,
    user,
    certificate_pem: str,
    chain_pem: str = "",
    backend: str = "pkcs11",
    token_label: str = "",
    key_label: str = "",
    key_id: str = "",
    csc_service_url: str = "",
    csc_credential_id: str = "",
    signature_png: bytes | None = None,
):
    """Register a staff member's personal certificate (its key stays on the token or at the
    signing service: nothing secret is stored). Refused, storing nothing, when the certificate
    cannot sign now; the staff member's other certificates of the same backend are deactivated."""
    from django.core.files.base import ContentFile

    from signing.models import PersonalCertificate

    try:
        cert = x509.load_pem_x509_certificate(certificate_pem.encode())
    except ValueError as exc:
        raise ValidationError(_("This is not a PEM certificate."), code="pem") from exc
    errors = usability_errors(cert)
    if errors:
        raise ValidationError(errors, code="unusable")
    fingerprint = cert.fingerprint(hashes.SHA256()).hex()
    if PersonalCertificate.objects.filter(sha256=fingerprint).exists():
        raise ValidationError(_("This certificate has been registered already."), code="duplicate")
    PersonalCertificate.objects.filter(user=user, is_active=True).update(is_active=False)
    row = PersonalCertificate(
        user=user,
        subject=cert.subject.rfc4514_string()[:500],
        issuer=cert.issuer.rfc4514_string()[:500],
        serial=format(cert.serial_number, "x"),
        sha256=fingerprint,
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        certificate_pem=cert.public_bytes(serialization.Encoding.PEM).decode(),
        chain_pem=chain_pem,
        backend=backend,
        token_label=token_label,
        key_label=key_label,
        key_id=key_id,
        csc_service_url=csc_service_url,
        csc_credential_id=csc_credential_id,
    )
    if signature_png:
        row.signature_image.save(f"{fingerprint[:16]}.png", ContentFile(signature_png), save=False)
    row.save()
    return row


def pem_chain(chain_der: list[bytes]) -> tuple[str, str]:
    """A chain as DER (signer first, as a CSC service gives it) → (certificate PEM, chain PEM)."""
    pems = [
        x509.load_der_x509_certificate(der).public_bytes(serialization.Encoding.PEM).decode()
        for der in chain_der
    ]
    if not pems:
        raise ValidationError(_("The signing service gave no certificate."), code="pem")
    return pems[0], "".join(pems[1:])


def personal_certificate_for(user):
    """The staff member's active personal certificate in force, if any."""
    from signing.models import PersonalCertificate

    now = timezone.now()
    return (
        PersonalCertificate.objects.filter(
            user=user, is_active=True, not_before__lte=now, not_after__gte=now
        )
        .order_by("-not_after")
        .first()
    )


def seal_image_set(row: SigningCertificate, png: bytes) -> None:
    from django.core.files.base import ContentFile

    row.seal_image.save(f"seal-{row.sha256[:16]}.png", ContentFile(png), save=True)

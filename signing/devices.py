"""Where a leader's key signs: "sign these bytes with this PIN", on a PKCS#11 token or at a
remote signing service (Cloud Signature Consortium API v2, signing/csc.py).

The PIN is used here, in the leader's request, and nowhere else: never stored, never logged,
never put in a Celery message. Each signature is one login, one C_Sign (a few ms), one logout;
at a remote service, the PIN goes in the credentials/authorize call alone (signing/csc.py).
"""

import hashlib
import logging

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.utils.translation import gettext_lazy as _

from signing import csc, pkcs11lib
from signing.models import PersonalCertificate

logger = logging.getLogger(__name__)

WRONG_PIN = _("The PIN is wrong. Nothing was signed; enter the PIN again.")
PIN_LOCKED = _(
    "The token is locked after too many wrong PINs. Nothing was signed; ask the certificate's "
    "issuer (or your IT unit) to unlock it."
)
UNAVAILABLE = _("The signing key cannot be reached now. Nothing was signed; try again later.")
SERVICE_UNREACHABLE = _("The remote signing service did not answer. Nothing was signed; try again.")
SERVICE_LOCKED = _(
    "The remote signing service says your signing credential is locked. Nothing was signed; "
    "ask the service provider to unlock it."
)
SERVICE_LOGIN = _(
    "The portal could not log in to the remote signing service (check the CSC settings). "
    "Nothing was signed."
)
SERVICE_REFUSED = _("The remote signing service refused to sign. Nothing was signed.")


class DeviceError(Exception):
    """A signature that could not be made; `message` says why, for the leader."""

    code = "device"

    def __init__(self, message=UNAVAILABLE):
        super().__init__(str(message))
        self.message = message


class WrongPin(DeviceError):
    code = "wrong_pin"

    def __init__(self):
        super().__init__(WRONG_PIN)


class PinLocked(DeviceError):
    code = "pin_locked"

    def __init__(self, message=PIN_LOCKED):
        super().__init__(message)


class ServiceUnreachable(DeviceError):
    code = "unreachable"

    def __init__(self):
        super().__init__(SERVICE_UNREACHABLE)


def public_key(row: PersonalCertificate):
    return x509.load_pem_x509_certificate(row.certificate_pem.encode()).public_key()


def signature_mechanism(row: PersonalCertificate) -> str:
    """The CMS signature algorithm of the certificate's key (with SHA-256)."""
    key = public_key(row)
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "sha256_ecdsa"
    if isinstance(key, rsa.RSAPublicKey):
        return "sha256_rsa"
    raise DeviceError(_("The certificate's key type is not supported (RSA or ECDSA only)."))


# DigestInfo prefix of SHA-256 (RFC 8017 §9.2): what a raw RSA PKCS#1 v1.5 signature wraps.
SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")


def pkcs11_sign_digest(
    *, token_label: str, key_label: str, key_id: str, pin: str, digest: bytes, key_type: str
) -> bytes:
    """Log in to the token, sign a SHA-256 digest with the key, log out. ECDSA comes back as
    DER (what CMS wants); RSA as PKCS#1 v1.5 of the digest."""
    import pkcs11
    from pkcs11 import Mechanism, ObjectClass
    from pkcs11 import exceptions as p11
    from pkcs11.util.ec import encode_ecdsa_signature

    try:
        token = pkcs11lib.load().get_token(token_label=token_label)
        with token.open(user_pin=pin) as session:
            find = {"object_class": ObjectClass.PRIVATE_KEY}
            if key_id:
                find["id"] = bytes.fromhex(key_id)
            if key_label:
                find["label"] = key_label
            key = session.get_key(**find)
            if key_type == "ec":
                return encode_ecdsa_signature(key.sign(digest, mechanism=Mechanism.ECDSA))
            return key.sign(SHA256_DIGEST_INFO + digest, mechanism=Mechanism.RSA_PKCS)
    except (p11.PinIncorrect, p11.PinInvalid, p11.PinLenRange):
        raise WrongPin() from None
    except p11.PinLocked:
        raise PinLocked() from None
    except (pkcs11.PKCS11Error, OSError) as exc:
        raise DeviceError() from exc


def sign(row: PersonalCertificate, data: bytes, *, pin: str) -> bytes:
    """The signature of `data` (SHA-256, then the key's algorithm) by the certificate's key,
    checked against the certificate before it is returned."""
    if not pin:
        raise WrongPin()
    digest = hashlib.sha256(data).digest()
    mechanism = signature_mechanism(row)
    if row.backend == PersonalCertificate.Backend.CSC:
        signature = csc_sign_digest(row, pin=pin, digest=digest, mechanism=mechanism)
    else:
        signature = pkcs11_sign_digest(
            token_label=row.token_label,
            key_label=row.key_label,
            key_id=row.key_id,
            pin=pin,
            digest=digest,
            key_type="ec" if mechanism == "sha256_ecdsa" else "rsa",
        )
    if not verifies(row, data, signature):  # a wrong key on the token, or a service gone wrong
        raise DeviceError(_("The token's key does not match the certificate. Nothing was signed."))
    return signature


def csc_sign_digest(row: PersonalCertificate, *, pin: str, digest: bytes, mechanism: str):
    """The remote service signs the digest (signing.csc); its failures in the leader's words."""
    try:
        return csc.sign_digest(
            service_url=row.csc_service_url,
            credential_id=row.csc_credential_id,
            pin=pin,
            digest=digest,
            mechanism=mechanism,
        )
    except csc.CscError as exc:
        # The detail is the service's own error (never the PIN): for the operator's log.
        logger.warning("CSC signature refused: %s", exc.detail or exc.kind)
        if exc.kind == csc.Kind.WRONG_PIN:
            raise WrongPin() from None
        if exc.kind == csc.Kind.LOCKED:
            raise PinLocked(SERVICE_LOCKED) from None
        if exc.kind == csc.Kind.UNREACHABLE:
            raise ServiceUnreachable() from None
        if exc.kind == csc.Kind.AUTH:
            raise DeviceError(SERVICE_LOGIN) from None
        raise DeviceError(SERVICE_REFUSED) from None


def verifies(row: PersonalCertificate, data: bytes, signature: bytes) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    key = public_key(row)
    try:
        if isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, data, ec.ECDSA(hashes.SHA256()))
        else:
            key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError):
        return False
    return True

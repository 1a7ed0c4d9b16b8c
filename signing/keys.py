"""Private keys at rest: AES-256-GCM under a key-encryption key (KEK) from the environment.

`SIGNING_KEK` is 32 random bytes, base64-encoded (`python manage.py signing_kek --new` prints
one). In development with no KEK set, one is derived from SECRET_KEY so that the quickstart can
sign; production refuses to start signing without a real KEK. A stored key is bound to its
certificate: the certificate's SHA-256 is the AES-GCM associated data, so a key blob moved to
another certificate row does not decrypt.
"""

import base64
import hashlib
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _

NONCE_BYTES = 12


class KekMissing(ImproperlyConfigured):
    pass


def _decode(text: str) -> bytes:
    try:
        raw = base64.b64decode(text, validate=True)
    except (ValueError, TypeError) as exc:
        raise KekMissing(_("SIGNING_KEK is not valid base64.")) from exc
    if len(raw) != 32:
        raise KekMissing(_("SIGNING_KEK must be 32 bytes (base64 of 32 random bytes)."))
    return raw


def current_kek() -> bytes:
    if settings.SIGNING_KEK:
        return _decode(settings.SIGNING_KEK)
    if not settings.PRODUCTION and not settings.DEV_ALLOW_REMOTE:
        # Quickstart only, on this machine (portal.devserver): derived from the development
        # secret key, which is public; never once the portal answers a network.
        return hashlib.sha256(b"dvc-portal signing KEK|" + settings.SECRET_KEY.encode()).digest()
    raise KekMissing(
        _("No key-encryption key: set SIGNING_KEK before importing or using signing keys.")
    )


def fingerprint(kek: bytes) -> str:
    """A short public identifier of a KEK (which KEK a stored key is under)."""
    return hashlib.sha256(b"kek-id|" + kek).hexdigest()[:16]


def encrypt(private_key_der: bytes, *, bound_to: bytes, kek: bytes | None = None) -> bytes:
    kek = kek or current_kek()
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(kek).encrypt(nonce, private_key_der, bound_to)


def decrypt(blob: bytes, *, bound_to: bytes, kek: bytes | None = None) -> bytes:
    kek = kek or current_kek()
    return AESGCM(kek).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], bound_to)


def new_kek_text() -> str:
    return base64.b64encode(os.urandom(32)).decode()

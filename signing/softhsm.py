"""SoftHSM2 tokens for the demo and the tests: a software PKCS#11 token per leader (and the CSC
simulator's), with the key pair generated on the token, sensitive and not extractable. A real
leader's token is a USB device issued with its certificate; this stands in for it.

SoftHSM2 reads its configuration (where the tokens live) from SOFTHSM2_CONF when the library is
loaded (signing.pkcs11lib).
"""

import os
import shutil
import subprocess

from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings

from signing import pkcs11lib

SO_PIN_SUFFIX = "-so"  # the demo's security-officer PIN: the user PIN + this (demo tokens only)


def _util() -> str:
    path = shutil.which("softhsm2-util")
    if path is None:
        raise RuntimeError("softhsm2-util is missing: run scripts/system-deps.sh run")
    return path


def token_exists(label: str) -> bool:
    pkcs11lib.ensure_softhsm_config()
    lib = pkcs11lib.load(settings.SIGNING_PKCS11_MODULE)
    return any(token.label == label for token in lib.get_tokens())


def init_token(label: str, *, pin: str, so_pin: str | None = None) -> None:
    pkcs11lib.ensure_softhsm_config()
    subprocess.run(  # noqa: S603 - softhsm2-util with arguments we make
        [_util(), "--init-token", "--free", "--label", label, "--pin", pin,
         "--so-pin", so_pin or pin + SO_PIN_SUFFIX],
        check=True, capture_output=True, env=os.environ.copy(),
    )  # fmt: skip
    # SoftHSM2 reads its tokens when the library is initialised: a process that loaded it
    # before sees the new token only once it initialises it again.
    pkcs11lib.load(settings.SIGNING_PKCS11_MODULE).reinitialize()


def generate_key(label: str, *, pin: str, key_label: str, key_id: bytes):
    """An ECDSA P-256 key pair generated on the token (private key sensitive, not extractable,
    signing only); returns the public key (cryptography) for the CA to certify."""
    from pkcs11 import Attribute, KeyType
    from pkcs11.util.ec import encode_named_curve_parameters

    token = pkcs11lib.load(settings.SIGNING_PKCS11_MODULE).get_token(token_label=label)
    with token.open(user_pin=pin, rw=True) as session:
        params = session.create_domain_parameters(
            KeyType.EC,
            {Attribute.EC_PARAMS: encode_named_curve_parameters("secp256r1")},
            local=True,
        )
        public, _private = params.generate_keypair(
            store=True,
            label=key_label,
            id=key_id,
            public_template={Attribute.VERIFY: True},
            private_template={
                Attribute.SENSITIVE: True,
                Attribute.EXTRACTABLE: False,
                Attribute.SIGN: True,
                Attribute.DECRYPT: False,
                Attribute.PRIVATE: True,
            },
        )
        point = public[Attribute.EC_POINT]
    return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), _unwrap_octet(point))


def _unwrap_octet(point: bytes) -> bytes:
    """CKA_EC_POINT is a DER OCTET STRING around the uncompressed point."""
    from asn1crypto.core import OctetString

    if point[:1] == b"\x04" and len(point) != 65:
        return OctetString.load(point).native
    return point


def private_key_attributes(label: str, *, pin: str, key_label: str) -> dict:
    """What the token says of the private key (for the tests: sensitive, not extractable)."""
    from pkcs11 import Attribute, ObjectClass

    token = pkcs11lib.load(settings.SIGNING_PKCS11_MODULE).get_token(token_label=label)
    with token.open(user_pin=pin) as session:
        key = session.get_key(object_class=ObjectClass.PRIVATE_KEY, label=key_label)
        return {
            "sensitive": key[Attribute.SENSITIVE],
            "extractable": key[Attribute.EXTRACTABLE],
            "always_sensitive": key[Attribute.ALWAYS_SENSITIVE],
            "never_extractable": key[Attribute.NEVER_EXTRACTABLE],
        }

"""A demo PKI: a root CA and one signing certificate per agency, all marked "DEMO — not for
production". Used by `make_demo_pki` (and so `seed_demo`) and by the tests."""

import datetime as dt
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

DEMO = "DEMO — not for production"


def _fit(text: str, limit: int = 64) -> str:
    """`text` cut to the 64 the name's upper bound allows, as `cryptography` counts them: in
    UTF-8 bytes (a Vietnamese name's letters take two or three each), never inside a letter."""
    return text.encode()[:limit].decode(errors="ignore").rstrip()


def _name(common_name: str, organisation: str) -> x509.Name:
    # X.520 caps these at 64; "DEMO" stays visible in the unit name.
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, _fit(organisation)),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, DEMO),
            x509.NameAttribute(NameOID.COMMON_NAME, _fit(common_name)),
        ]
    )


def make_root(*, days: int = 3650) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = _name("dvc-portal DEMO Root CA", "dvc-portal demo PKI")
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def issue_signing_certificate(
    root_key,
    root_cert: x509.Certificate,
    *,
    common_name: str,
    organisation: str,
    email: str,
    not_before: dt.datetime | None = None,
    days: int = 1095,
    key_usage_ok: bool = True,
    key_type: str = "ec",
    public_key=None,
) -> tuple[ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | None, x509.Certificate]:
    """A document-signing certificate: digitalSignature + nonRepudiation, and emailProtection
    with an e-mail address, which NSS (pdfsig) wants before it calls a signer trusted. The key
    is ECDSA P-256, or RSA-2048 (`key_type="rsa"`, what Vietnamese CAs mostly issue); or, with
    `public_key`, the key made elsewhere (on a leader's token): then no private key is returned."""
    if public_key is not None:
        key = None
    elif key_type == "rsa":
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    else:
        key = ec.generate_private_key(ec.SECP256R1())
    start = not_before or dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name, organisation))
        .issuer_name(root_cert.subject)
        .public_key(public_key or key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=key_usage_ok,
                content_commitment=key_usage_ok,
                key_encipherment=not key_usage_ok,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.EMAIL_PROTECTION]
                if key_usage_ok
                else [ExtendedKeyUsageOID.SERVER_AUTH]
            ),
            critical=False,
        )
        .add_extension(x509.SubjectAlternativeName([x509.RFC822Name(email)]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()),
            critical=False,
        )
        .sign(root_key, hashes.SHA256())
    )
    return key, cert


def to_pkcs12(key, cert, chain: list[x509.Certificate], passphrase: str) -> bytes:
    return pkcs12.serialize_key_and_certificates(
        name=b"signing",
        key=key,
        cert=cert,
        cas=chain,
        encryption_algorithm=serialization.BestAvailableEncryption(passphrase.encode()),
    )


def pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def load_or_make_root(directory: Path):
    """The demo root kept in `directory` (made on first use): (key, cert, path of cert PEM)."""
    directory.mkdir(parents=True, exist_ok=True)
    key_path, cert_path = directory / "demo-root-key.pem", directory / "demo-root.pem"
    if key_path.exists() and cert_path.exists():
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        return key, cert, cert_path
    key, cert = make_root()
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    cert_path.write_bytes(pem(cert))
    return key, cert, cert_path

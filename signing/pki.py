"""A demo PKI: a root CA and one signing certificate per agency, all marked "DEMO — not for
production". Used by `make_demo_pki` (and so `seed_demo`) and by the tests.

It behaves like a real CA where a verifier can tell: certificates issued with a `base_url` point
to its CRL, its OCSP responder and its own certificate there, which `signing.pki_service` serves
from the same directory: the root, a delegated OCSP responder, a timestamp authority
(`load_or_make_services`) and the list of revoked certificates (`revoke`, `revocations`).

No Django here: the service process imports this module alone."""

import contextlib
import datetime as dt
import fcntl
import json
import os
import tempfile
import types
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

DEMO = "DEMO — not for production"

# Where the service answers, under its base URL (signing/pki_service.py serves these paths).
CRL_PATH = "/crl/root.crl"
OCSP_PATH = "/ocsp"
ROOT_CERT_PATH = "/certs/root.crt"

ROOT_KEY_FILE, ROOT_CERT_FILE = "demo-root-key.pem", "demo-root.pem"
TSA_CERT_FILE = "tsa.pem"
REVOCATIONS_FILE = "revoked.json"
# The reasons a revocation may give: RFC 5280's, less removeFromCRL (a delta-CRL's "unrevoked",
# never a reason to revoke).
REASONS = frozenset(r.name for r in x509.ReasonFlags) - {x509.ReasonFlags.remove_from_crl.name}


def _key_usage(**granted: bool) -> x509.KeyUsage:
    """The key usages `granted`, every other one off."""
    names = (
        "digital_signature", "content_commitment", "key_encipherment", "data_encipherment",
        "key_agreement", "key_cert_sign", "crl_sign", "encipher_only", "decipher_only",
    )  # fmt: skip
    return x509.KeyUsage(**{name: granted.get(name, False) for name in names})


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
            _key_usage(key_cert_sign=True, crl_sign=True),
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
    base_url: str = "",
) -> tuple[ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | None, x509.Certificate]:
    """A document-signing certificate: digitalSignature + nonRepudiation, and emailProtection
    with an e-mail address, which NSS (pdfsig) wants before it calls a signer trusted. The key
    is ECDSA P-256, or RSA-2048 (`key_type="rsa"`, what Vietnamese CAs mostly issue); or, with
    `public_key`, the key made elsewhere (on a leader's token): then no private key is returned.
    With `base_url` (where `signing.pki_service` answers) it carries the CRL distribution point
    and the OCSP and CA-issuers addresses a verifier needs to check its revocation (PAdES
    B-LT); without, none, like the demo certificates always had."""
    if public_key is not None:
        key = None
    elif key_type == "rsa":
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    else:
        key = ec.generate_private_key(ec.SECP256R1())
    start = not_before or dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name, organisation))
        .issuer_name(root_cert.subject)
        .public_key(public_key or key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            _key_usage(
                digital_signature=key_usage_ok,
                content_commitment=key_usage_ok,
                key_encipherment=not key_usage_ok,
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
    )
    cert = _with_pointers(builder, base_url).sign(root_key, hashes.SHA256())
    return key, cert


def _with_pointers(builder: x509.CertificateBuilder, base_url: str) -> x509.CertificateBuilder:
    """`builder` with the revocation pointers to the service at `base_url` (none when empty)."""
    base = base_url.rstrip("/")
    if not base:
        return builder
    return builder.add_extension(
        x509.CRLDistributionPoints(
            [
                x509.DistributionPoint(
                    full_name=[x509.UniformResourceIdentifier(base + CRL_PATH)],
                    relative_name=None,
                    reasons=None,
                    crl_issuer=None,
                )
            ]
        ),
        critical=False,
    ).add_extension(
        x509.AuthorityInformationAccess(
            [
                x509.AccessDescription(
                    AuthorityInformationAccessOID.OCSP,
                    x509.UniformResourceIdentifier(base + OCSP_PATH),
                ),
                x509.AccessDescription(
                    AuthorityInformationAccessOID.CA_ISSUERS,
                    x509.UniformResourceIdentifier(base + ROOT_CERT_PATH),
                ),
            ]
        ),
        critical=False,
    )


def pointers(cert: x509.Certificate) -> tuple[list[str], list[str]]:
    """The CRL and OCSP addresses a certificate carries: ([CRL URLs], [OCSP URLs])."""
    crls, ocsps = [], []
    with contextlib.suppress(x509.ExtensionNotFound):
        for point in cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value:
            crls += [
                n.value
                for n in point.full_name or []
                if isinstance(n, x509.UniformResourceIdentifier)
            ]
    with contextlib.suppress(x509.ExtensionNotFound):
        for access in cert.extensions.get_extension_for_class(
            x509.AuthorityInformationAccess
        ).value:
            if access.access_method == AuthorityInformationAccessOID.OCSP:
                ocsps.append(access.access_location.value)
    return crls, ocsps


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


def _key_pem(key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def write_atomic(path: Path, data: bytes, *, mode: int = 0o644) -> None:
    """Write `path` whole or not at all: a temporary file in the same directory (created with
    `mode`, so a key is never readable by others, not even for a moment), then renamed over it.
    The service process and the commands read these files while another may be writing them."""
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise


@contextlib.contextmanager
def _locked(directory: Path, what: str):
    """One process at a time makes or changes `what` in `directory` (the service, the commands
    and the tests' processes share it); the lock is advisory, between this module's callers."""
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / f".{what}.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def load_or_make_root(directory: Path):
    """The demo root kept in `directory` (made on first use): (key, cert, path of cert PEM)."""
    key_path, cert_path = directory / ROOT_KEY_FILE, directory / ROOT_CERT_FILE
    # The service and a command starting at once on a fresh directory make one root, not two.
    with _locked(directory, "root"):
        if key_path.exists() and cert_path.exists():
            key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
            cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
            return key, cert, cert_path
        key, cert = make_root()
        write_atomic(key_path, _key_pem(key), mode=0o600)
        write_atomic(cert_path, pem(cert))
        return key, cert, cert_path


# --- the services' own certificates -------------------------------------------------------------

# A delegated responder's certificate is not itself checked for revocation (id-pkix-ocsp-nocheck),
# so it is short-lived, as RFC 6960 4.2.2.2.1 advises, and renewed well before it ends.
OCSP_CERT_DAYS = 90
TSA_CERT_DAYS = 1095
RENEW_BEFORE = dt.timedelta(days=14)


def _service_certificate(
    root_key,
    root_cert: x509.Certificate,
    *,
    key,
    common_name: str,
    days: int,
    ocsp: bool,
    base_url: str,
) -> x509.Certificate:
    """The delegated OCSP responder's certificate (`ocsp`) or the TSA's, issued by the root."""
    now = dt.datetime.now(dt.UTC)
    usage = ExtendedKeyUsageOID.OCSP_SIGNING if ocsp else ExtendedKeyUsageOID.TIME_STAMPING
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name, "dvc-portal demo PKI"))
        .issuer_name(root_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            _key_usage(digital_signature=True, content_commitment=not ocsp),
            critical=True,
        )
        # The responder's: OCSPSigning (RFC 6960 4.2.2.2); the TSA's: timeStamping, its only
        # EKU and critical (RFC 3161 2.3).
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=not ocsp)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()),
            critical=False,
        )
    )
    if ocsp:
        builder = builder.add_extension(x509.OCSPNoCheck(), critical=False)
    else:
        # A timestamp is only as good as its TSA's certificate: that is checked like a signer's.
        builder = _with_pointers(builder, base_url)
    return builder.sign(root_key, hashes.SHA256())


def _still_good(cert: x509.Certificate, root_cert: x509.Certificate, base_url: str | None) -> bool:
    """Whether a service certificate found on disk can go on serving: issued by this root (a root
    made afresh orphans the old ones), not about to end, and pointing where the service now is."""
    try:
        cert.verify_directly_issued_by(root_cert)
    except (ValueError, TypeError, InvalidSignature):
        return False
    if cert.not_valid_after_utc - RENEW_BEFORE < dt.datetime.now(dt.UTC):
        return False
    if base_url is None:
        return True
    base = base_url.rstrip("/")
    wanted = ([base + CRL_PATH], [base + OCSP_PATH]) if base else ([], [])
    return pointers(cert) == wanted


def _load_or_make_service(
    directory: Path, name: str, root_key, root_cert, *, make_key, base_url: str | None, **kwargs
):
    key_path, cert_path = directory / f"{name}-key.pem", directory / f"{name}.pem"
    if key_path.exists() and cert_path.exists():
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        if _still_good(cert, root_cert, base_url):
            return key, cert
    else:
        key = make_key()
        write_atomic(key_path, _key_pem(key), mode=0o600)
    # A renewed certificate keeps the key (a verifier may hold the old one's responses).
    cert = _service_certificate(root_key, root_cert, key=key, base_url=base_url or "", **kwargs)
    write_atomic(cert_path, pem(cert))
    return key, cert


def load_or_make_services(directory: Path, base_url: str) -> types.SimpleNamespace:
    """The demo root's delegated OCSP responder and its RFC 3161 timestamp authority, kept in
    `directory` next to the root (made on first use; renewed when the root changed, when they
    near their end, or, for the TSA, when `base_url` moved): SimpleNamespace(ocsp_key, ocsp_cert,
    tsa_key, tsa_cert). The TSA key is RSA-2048: pyHanko's timestamper signs with RSA only."""
    root_key, root_cert, _path = load_or_make_root(directory)
    with _locked(directory, "services"):
        return _load_or_make_services(directory, base_url, root_key, root_cert)


def _load_or_make_services(directory: Path, base_url: str, root_key, root_cert):
    ocsp_key, ocsp_cert = _load_or_make_service(
        directory,
        "ocsp",
        root_key,
        root_cert,
        make_key=lambda: ec.generate_private_key(ec.SECP256R1()),
        base_url=None,
        common_name="dvc-portal DEMO OCSP Responder",
        days=OCSP_CERT_DAYS,
        ocsp=True,
    )
    tsa_key, tsa_cert = _load_or_make_service(
        directory,
        "tsa",
        root_key,
        root_cert,
        make_key=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048),
        base_url=base_url,
        common_name="dvc-portal DEMO Time-Stamping Authority",
        days=TSA_CERT_DAYS,
        ocsp=False,
    )
    return types.SimpleNamespace(
        ocsp_key=ocsp_key, ocsp_cert=ocsp_cert, tsa_key=tsa_key, tsa_cert=tsa_cert
    )


# --- revocations ---------------------------------------------------------------------------------


def _read_registry(directory: Path) -> dict:
    try:
        return json.loads((directory / REVOCATIONS_FILE).read_text())
    except FileNotFoundError:
        return {}


def revocations(directory: Path) -> dict[int, tuple[dt.datetime, str]]:
    """The revoked certificates of the demo root: {serial: (revoked at, reason)}, the reason one
    of `REASONS` (x509.ReasonFlags' names)."""
    return {
        int(serial, 16): (dt.datetime.fromisoformat(entry["revoked_at"]), entry["reason"])
        for serial, entry in _read_registry(directory).items()
    }


def revoke(
    directory: Path,
    serial: int,
    *,
    reason: str = "key_compromise",
    at: dt.datetime | None = None,
) -> tuple[dt.datetime, str]:
    """Record that the certificate `serial` of the demo root is revoked, for the CRL and OCSP
    answers of `signing.pki_service`; returns (revoked at, reason) as recorded. Revoking again
    changes nothing: a certificate is revoked once, and its first time and reason stand (a
    verifier may already hold answers that say so)."""
    if reason not in REASONS:
        raise ValueError(f"Unknown revocation reason {reason!r}: one of {sorted(REASONS)}")
    if at is not None and at.tzinfo is None:
        raise ValueError("The revocation time must be timezone-aware")
    # CRLs and OCSP answers give the time to the second.
    when = (at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(microsecond=0)
    with _locked(directory, "revocations"):
        registry = _read_registry(directory)
        key = format(serial, "x")
        if key not in registry:
            registry[key] = {"revoked_at": when.isoformat(), "reason": reason}
            data = json.dumps(registry, indent=2, sort_keys=True).encode() + b"\n"
            write_atomic(directory / REVOCATIONS_FILE, data)
        entry = registry[key]
    return dt.datetime.fromisoformat(entry["revoked_at"]), entry["reason"]

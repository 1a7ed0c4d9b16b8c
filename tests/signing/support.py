"""Helpers shared by the signing unit tests and tests/integration/test_documents.py."""

import contextlib
import datetime as dt
import http.server
import io
import re
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from asn1crypto import keys as asn1_keys
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from signing import pki

P12_PASSPHRASE = "mật-khẩu-p12"

# A Vietnamese notice, the kind the portal issues: diacritics in every line, a table, a closing.
NOTICE_CONTEXT = {
    "document_number": "123/TB-SGDĐT",
    "place": "Hà Nội",
    "recipient": "Ông Nguyễn Văn Ánh, phường Điện Biên, quận Ba Đình",
    "paragraphs": [
        "Căn cứ Nghị định số 30/2020/NĐ-CP ngày 05 tháng 3 năm 2020 của Chính phủ về công tác "
        "văn thư;",
        "Sở Giáo dục và Đào tạo thông báo kết quả giải quyết hồ sơ của ông như sau:",
    ],
    "headings": ["STT", "Nội dung", "Kết quả"],
    "rows": [["1", "Cấp bản sao văn bằng tốt nghiệp trung học phổ thông", "Đã giải quyết"]],
    "closing": ["Trân trọng thông báo để ông được biết và thực hiện."],
}


def notice_context(rows: int | None = None) -> dict:
    context = {**NOTICE_CONTEXT}
    if rows is not None:
        context["rows"] = [
            [str(n), f"Học sinh Trần Thị Hồng Nhung số {n}", "Đạt yêu cầu"] for n in range(rows)
        ]
    return context


def der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def p12_for(root_key, root_cert, *, passphrase: str = P12_PASSPHRASE, **kwargs) -> bytes:
    """A PKCS#12 file with a signing certificate issued by `root_cert` (kwargs go to
    pki.issue_signing_certificate)."""
    kwargs.setdefault("common_name", "Sở Giáo dục và Đào tạo thử nghiệm")
    kwargs.setdefault("organisation", "Sở Giáo dục và Đào tạo thử nghiệm")
    kwargs.setdefault("email", "ky-so@so-gddt.example.vn")
    key, cert = pki.issue_signing_certificate(root_key, root_cert, **kwargs)
    return pki.to_pkcs12(key, cert, [root_cert], passphrase)


def byte_range(pdf: bytes) -> tuple[int, int, int, int]:
    """The /ByteRange of the (last) signature: what its digest covers."""
    found = re.findall(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", pdf)
    assert found, "no signature in this PDF"
    start, length, start2, length2 = (int(n) for n in found[-1])
    return start, length, start2, length2


def flip_byte_in_signed_content(pdf: bytes) -> bytes:
    """The PDF with one byte changed in the middle of what the signature covers (the middle of
    the whole file can fall inside the signature's own /Contents, which the digest excludes)."""
    start, length, _, _ = byte_range(pdf)
    middle = start + length // 2
    changed = bytearray(pdf)
    changed[middle] ^= 0x01
    assert bytes(changed) != pdf and len(changed) == len(pdf)
    return bytes(changed)


def embedded_signature(pdf: bytes):
    from pyhanko.pdf_utils.reader import PdfFileReader

    signatures = PdfFileReader(io.BytesIO(pdf)).embedded_signatures
    assert len(signatures) == 1, signatures
    return signatures[0]


def validate(pdf: bytes, roots: list[x509.Certificate]):
    """pyHanko's own verdict on the one signature of `pdf`, trusting `roots`."""
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    context = ValidationContext(
        trust_roots=[asn1_x509.Certificate.load(der(root)) for root in roots], allow_fetching=False
    )
    return validate_pdf_signature(embedded_signature(pdf), context)


def run(argv: list[str], timeout: float = 60) -> str:
    result = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    return result.stdout + result.stderr


def nss_db(directory: Path, root_pem: Path) -> str:
    """An NSS database in `directory` trusting `root_pem`; returns the -nssdir argument."""
    directory.mkdir(parents=True, exist_ok=True)
    nssdir = f"sql:{directory}"
    for argv in (
        ["certutil", "-N", "-d", nssdir, "--empty-password"],
        ["certutil", "-A", "-d", nssdir, "-n", "demo-root", "-t", "CT,C,C", "-i", str(root_pem)],
    ):
        result = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
        assert result.returncode == 0, (argv, result.stdout, result.stderr)
    return nssdir


def wait_until(predicate, *, timeout: float, what: str, interval: float = 0.2):
    """Poll `predicate` until it returns something truthy; fail naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


# --- an RFC 3161 timestamp authority on 127.0.0.1 --------------------------------------------


def _tsa_certificate(root_key, root_cert):
    """pyHanko's DummyTimeStamper signs with RSA only."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "dvc-portal test TSA")]))
        .issuer_name(root_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .sign(root_key, hashes.SHA256())
    )
    return key, cert


class TimestampAuthority:
    """A tiny TSA: parses each TimeStampReq and answers with pyHanko's DummyTimeStamper."""

    def __init__(self, root_key, root_cert):
        from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

        key, cert = _tsa_certificate(root_key, root_cert)
        self.stamper = DummyTimeStamper(
            tsa_cert=asn1_x509.Certificate.load(der(cert)),
            tsa_key=asn1_keys.PrivateKeyInfo.load(
                key.private_bytes(
                    serialization.Encoding.DER,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
            ),
            certs_to_embed=[asn1_x509.Certificate.load(der(root_cert))],
        )
        self.requests: list[tsp.TimeStampReq] = []
        self.url = ""

    @contextlib.contextmanager
    def serving(self):
        authority = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                request = tsp.TimeStampReq.load(body)
                authority.requests.append(request)
                answer = authority.stamper.request_tsa_response(request).dump()
                self.send_response(200)
                self.send_header("Content-Type", "application/timestamp-reply")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        self.url = f"http://127.0.0.1:{server.server_address[1]}/tsa"
        try:
            yield self
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=10)

    def imprints(self) -> list[bytes]:
        return [r["message_imprint"]["hashed_message"].native for r in self.requests]


# --- the demo PKI's services (signing/pki_service.py) in a process of their own ---------------

ROOT = Path(__file__).resolve().parents[2]


class PKIService:
    """`python -m signing.pki_service` on `directory`, a real separate process, as `make run`
    starts it: `url` (no trailing slash) is where it answers, `process` its Popen (the last one
    started: its returncode once stopped), `log` its output. `stop()` ends it with SIGTERM;
    `start()` starts it again on the same port and base URL, so that the certificates issued
    before still point to it."""

    def __init__(self, directory: Path, log: Path):
        self.dir = directory
        self.log = log
        self.port = 0  # any free port, the first time
        self.url = ""
        self.process: subprocess.Popen | None = None
        self._ready = directory.parent / f".{directory.name}-service.ready"

    def start(self, timeout: float = 30) -> None:
        if self.process is not None and self.process.poll() is None:
            return
        self._ready.unlink(missing_ok=True)
        argv = [
            sys.executable, "-m", "signing.pki_service", "--dir", str(self.dir),
            "--host", "127.0.0.1", "--port", str(self.port), "--ready-file", str(self._ready),
        ]  # fmt: skip
        if self.url:
            argv += ["--base-url", self.url]
        with self.log.open("ab") as out:
            # cwd: the checkout under test, whatever is installed in the virtualenv.
            self.process = subprocess.Popen(argv, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
        wait_until(
            lambda: self._ready.exists() or self.process.poll() is not None,
            timeout=timeout,
            what=f"the PKI service to listen:\n{self.log_text()}",
            interval=0.05,
        )
        assert self.process.poll() is None, f"the PKI service exited:\n{self.log_text()}"
        self.port = int(self._ready.read_text())
        self.url = self.url or f"http://127.0.0.1:{self.port}"
        wait_until(self.healthy, timeout=timeout, what="the PKI service's /healthz", interval=0.05)

    def stop(self) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)

    def set_clock(self, offset_seconds: float) -> None:
        """Make the service answer as on the machine's time + `offset_seconds` (0: now)."""
        from signing.pki_service import CLOCK_OFFSET_FILE

        (self.dir / CLOCK_OFFSET_FILE).write_text(str(int(offset_seconds)))

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as answer:
                return answer.status == 200 and answer.read() == b"ok"
        except OSError:
            return False

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

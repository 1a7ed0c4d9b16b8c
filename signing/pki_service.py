"""The demo PKI's services over HTTP, answering as a real CA's do, so that PAdES B-LT/B-LTA
signatures and their verification meet real revocation data and real timestamps in the demo and
in the tests:

    GET  /crl/root.crl      the root's CRL (DER, application/pkix-crl), from revoked.json
    POST /ocsp              OCSP (RFC 6960), signed by the root's delegated responder;
    GET  /ocsp/<base64>     the same, as RFC 6960 Appendix A.1's GET
    POST /tsa               RFC 3161 timestamps (pyHanko's DummyTimeStamper: a real TimeStampResp)
    GET  /certs/root.crt    the root certificate (DER), the certificates' caIssuers address
    GET  /healthz           "ok"

    python -m signing.pki_service --dir var/pki [--host 127.0.0.1] [--port 8790]
        [--base-url URL] [--ready-file PATH]

The keys, certificates and the list of revoked certificates live in --dir (signing/pki.py); a
revocation recorded there (`manage.py demo_pki_revoke`) is in the next CRL and OCSP answer.
--base-url is where the certificates say the service is (by default http://host:port); with
--port 0 the system picks a free port, written to --ready-file once the service listens.

No Django here: it is a separate process, like a CA's, started by `make run`
(scripts/pki_service.sh) and by the tests (tests/signing/conftest.py). DEMO — not for
production."""

import argparse
import base64
import binascii
import contextlib
import datetime as dt
import os
import signal
import socket
import sys
import threading
import traceback
import urllib.parse
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from asn1crypto import cms, core, tsp
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

from signing import pki

DEFAULT_PORT = 8790
# An OCSP request or a timestamp query is a few hundred bytes.
MAX_REQUEST_BYTES = 64 * 1024
# How long a CRL or an OCSP answer is good for (nextUpdate).
ANSWER_VALIDITY = dt.timedelta(hours=1)
# The message imprints the TSA accepts, with their length; the token itself is signed with
# SHA-256 whatever the imprint's algorithm.
IMPRINT_LENGTHS = {"sha224": 28, "sha256": 32, "sha384": 48, "sha512": 64}


class TimeStampResp(core.Sequence):
    """RFC 3161's TimeStampResp, whose token is absent when the request is rejected (asn1crypto's
    tsp.TimeStampResp wants one always)."""

    _fields = [
        ("status", tsp.PKIStatusInfo),
        ("time_stamp_token", cms.ContentInfo, {"optional": True}),
    ]


class BadRequest(ValueError):
    """A request that is not what the endpoint takes: answered 400."""


# The demo PKI's clock may run ahead of the machine's: a file `clock-offset` in its directory
# holding a number of seconds, read on every request. For tests that travel in time (the
# portal's process under time-machine, years after a certificate expired): the responder then
# answers as it would on that day. Without the file, the machine's clock.
CLOCK_OFFSET_FILE = "clock-offset"
_directory: Path | None = None


def _now() -> dt.datetime:
    # CRLs and OCSP answers carry GeneralizedTime to the second.
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    if _directory is not None:
        # No file, or not a usable number: the machine's clock.
        with contextlib.suppress(OSError, ValueError, OverflowError):
            now += dt.timedelta(
                seconds=int(float((_directory / CLOCK_OFFSET_FILE).read_text().strip() or 0))
            )
    return now


def _der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


class Authority:
    """What the service answers with: the demo root of `directory`, its delegated OCSP
    responder and its TSA. The revocations are read from the directory on every request, so
    one recorded by another process is answered at once."""

    def __init__(self, directory: Path, base_url: str):
        global _directory
        self.directory = _directory = directory
        self.root_key, self.root_cert, _path = pki.load_or_make_root(directory)
        services = pki.load_or_make_services(directory, base_url)
        self.ocsp_key, self.ocsp_cert = services.ocsp_key, services.ocsp_cert
        self.tsa_cert = services.tsa_cert
        self.timestamper = DummyTimeStamper(
            tsa_cert=asn1_x509.Certificate.load(_der(services.tsa_cert)),
            tsa_key=asn1_keys.PrivateKeyInfo.load(
                services.tsa_key.private_bytes(
                    serialization.Encoding.DER,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
            ),
            certs_to_embed=[asn1_x509.Certificate.load(_der(self.root_cert))],
            override_md="sha256",
        )
        self._crl_lock = threading.Lock()
        self._tsa_lock = threading.Lock()
        self._crl_number = 0

    # --- CRL --------------------------------------------------------------------------------

    def crl(self) -> bytes:
        """A CRL issued now, listing every revoked certificate with its time and reason."""
        now = _now()
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.root_cert.subject)
            .last_update(now)
            .next_update(now + ANSWER_VALIDITY)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.root_key.public_key()),
                critical=False,
            )
        )
        for serial, (revoked_at, reason) in sorted(pki.revocations(self.directory).items()):
            entry = x509.RevokedCertificateBuilder().serial_number(serial)
            entry = entry.revocation_date(revoked_at)
            # RFC 5280 5.3.1: rather no reason code than "unspecified".
            if reason != x509.ReasonFlags.unspecified.name:
                entry = entry.add_extension(
                    x509.CRLReason(x509.ReasonFlags[reason]), critical=False
                )
            builder = builder.add_revoked_certificate(entry.build())
        with self._crl_lock:
            # Every CRL issued gets a greater number (RFC 5280 5.2.3), across restarts too.
            self._crl_number = max(self._crl_number + 1, int(now.timestamp() * 1000))
            number = self._crl_number
        crl = builder.add_extension(x509.CRLNumber(number), critical=False).sign(
            self.root_key, hashes.SHA256()
        )
        return crl.public_bytes(serialization.Encoding.DER)

    # --- OCSP -------------------------------------------------------------------------------

    def _issuer_hashes(self, algorithm: hashes.HashAlgorithm) -> tuple[bytes, bytes]:
        """The root's name and key hashes as a request names its certificates' issuer, computed
        by cryptography itself (the key hash is over the key's BIT STRING, RFC 6960 4.1.1)."""
        request = (
            ocsp.OCSPRequestBuilder()
            .add_certificate(self.root_cert, self.root_cert, algorithm)
            .build()
        )
        return request.issuer_name_hash, request.issuer_key_hash

    def ocsp_response(self, data: bytes) -> tuple[bytes, str]:
        """The DER OCSP response to the DER request `data`, and a word for the log. One
        certificate per request, as cryptography (and pyHanko) build them."""
        try:
            request = ocsp.load_der_ocsp_request(data)
            serial = request.serial_number
            name_hash, key_hash = request.issuer_name_hash, request.issuer_key_hash
            nonce = None
            with contextlib.suppress(x509.ExtensionNotFound):
                nonce = request.extensions.get_extension_for_class(x509.OCSPNonce).value
        except ValueError:
            return self._unsuccessful(ocsp.OCSPResponseStatus.MALFORMED_REQUEST), "malformed"
        try:
            algorithm = request.hash_algorithm
            ours = self._issuer_hashes(algorithm) == (name_hash, key_hash)
        except (UnsupportedAlgorithm, ValueError):  # a hash that cannot name our root
            ours = False
        if not ours:
            return self._unsuccessful(ocsp.OCSPResponseStatus.UNAUTHORIZED), "unauthorized"
        revoked = pki.revocations(self.directory).get(serial)
        now = _now()
        if revoked is None:
            status, revoked_at, reason = ocsp.OCSPCertStatus.GOOD, None, None
        else:
            status, revoked_at = ocsp.OCSPCertStatus.REVOKED, revoked[0]
            reason = None if revoked[1] == "unspecified" else x509.ReasonFlags[revoked[1]]
        builder = (
            ocsp.OCSPResponseBuilder()
            .add_response_by_hash(
                issuer_name_hash=name_hash,
                issuer_key_hash=key_hash,
                serial_number=serial,
                algorithm=algorithm,
                cert_status=status,
                this_update=now,
                next_update=now + ANSWER_VALIDITY,
                revocation_time=revoked_at,
                revocation_reason=reason,
            )
            .responder_id(ocsp.OCSPResponderEncoding.HASH, self.ocsp_cert)
            .certificates([self.ocsp_cert])
        )
        if nonce is not None:
            builder = builder.add_extension(nonce, critical=False)
        response = builder.sign(self.ocsp_key, hashes.SHA256())
        word = "good" if revoked is None else f"revoked ({revoked[1]})"
        return response.public_bytes(serialization.Encoding.DER), f"{serial:x} {word}"

    @staticmethod
    def _unsuccessful(status: ocsp.OCSPResponseStatus) -> bytes:
        return ocsp.OCSPResponseBuilder.build_unsuccessful(status).public_bytes(
            serialization.Encoding.DER
        )

    # --- timestamps -------------------------------------------------------------------------

    def timestamp_response(self, data: bytes) -> tuple[bytes, str]:
        """The DER TimeStampResp to the DER TimeStampReq `data` (granted, or rejected with
        RFC 3161's failure reason); BadRequest when `data` is not a TimeStampReq at all."""
        try:
            request = tsp.TimeStampReq.load(data, strict=True)
            imprint = request["message_imprint"]
            algorithm = imprint["hash_algorithm"]["algorithm"].native
            digest = imprint["hashed_message"].native
            extensions = request["extensions"].native or []
            version = request["version"].native
        except Exception as exc:  # asn1crypto raises all sorts on bytes that are not DER
            raise BadRequest("not a DER TimeStampReq") from exc
        if version != "v1":
            return self._rejection("bad_request", "version 1 only"), "rejected: version"
        if IMPRINT_LENGTHS.get(algorithm) is None:
            return self._rejection("bad_alg", f"unsupported {algorithm}"), "rejected: algorithm"
        if len(digest) != IMPRINT_LENGTHS[algorithm]:
            return self._rejection("bad_data_format", "imprint length"), "rejected: imprint"
        if any(extension["critical"] for extension in extensions):
            return self._rejection("unaccepted_extension", "no extension"), "rejected: extension"
        with self._tsa_lock:  # one request's time at a time (threads share the timestamper)
            self.timestamper.fixed_dt = _now()  # the demo clock (see CLOCK_OFFSET_FILE)
            response = self.timestamper.request_tsa_response(request)
        return response.dump(), f"granted {algorithm}"

    @staticmethod
    def _rejection(failure: str, text: str) -> bytes:
        return TimeStampResp(
            {
                "status": tsp.PKIStatusInfo(
                    {
                        "status": "rejection",
                        "status_string": [text],
                        "fail_info": tsp.PKIFailureInfo({failure}),
                    }
                )
            }
        ).dump()


class Handler(BaseHTTPRequestHandler):
    """One request, one answer, one line in the log."""

    server: "PKIServer"
    server_version = "dvc-portal-demo-pki"
    # A slow or silent client gives up its thread after this many seconds.
    timeout = 30

    def do_GET(self):
        self._answer(self._get)

    def do_POST(self):
        self._answer(self._post)

    def _get(self, path: str) -> tuple[HTTPStatus, bytes, str, str]:
        authority = self.server.authority
        if path == "/healthz":
            return HTTPStatus.OK, b"ok", "text/plain; charset=utf-8", ""
        if path == pki.CRL_PATH:
            return HTTPStatus.OK, authority.crl(), "application/pkix-crl", ""
        if path == pki.ROOT_CERT_PATH:
            return HTTPStatus.OK, _der(authority.root_cert), "application/pkix-cert", ""
        if path.startswith(pki.OCSP_PATH + "/"):
            encoded = urllib.parse.unquote(path[len(pki.OCSP_PATH) + 1 :])
            try:
                data = base64.b64decode(encoded, validate=True)
            except (binascii.Error, ValueError):
                data = b""  # answered malformedRequest, like any other request it cannot read
            return HTTPStatus.OK, *self._ocsp(data)
        return self._not_found(path)

    def _post(self, path: str) -> tuple[HTTPStatus, bytes, str, str]:
        if path not in (pki.OCSP_PATH, "/tsa"):
            return self._not_found(path)
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            return HTTPStatus.LENGTH_REQUIRED, b"Content-Length required\n", "text/plain", ""
        if int(length) > MAX_REQUEST_BYTES:
            return HTTPStatus.REQUEST_ENTITY_TOO_LARGE, b"too large\n", "text/plain", ""
        data = self.rfile.read(int(length))
        if path == pki.OCSP_PATH:
            return HTTPStatus.OK, *self._ocsp(data)
        try:
            body, note = self.server.authority.timestamp_response(data)
        except BadRequest as exc:
            return HTTPStatus.BAD_REQUEST, f"{exc}\n".encode(), "text/plain", "bad request"
        return HTTPStatus.OK, body, "application/timestamp-reply", note

    def _ocsp(self, data: bytes) -> tuple[bytes, str, str]:
        body, note = self.server.authority.ocsp_response(data)
        return body, "application/ocsp-response", note

    @staticmethod
    def _not_found(path: str) -> tuple[HTTPStatus, bytes, str, str]:
        return HTTPStatus.NOT_FOUND, b"not found\n", "text/plain", ""

    def _answer(self, route) -> None:
        path = urllib.parse.urlsplit(self.path).path
        try:
            status, body, content_type, note = route(path)
        except Exception:
            traceback.print_exc(file=sys.stderr)
            status, body, content_type, note = (
                HTTPStatus.INTERNAL_SERVER_ERROR,
                b"internal error\n",
                "text/plain",
                "error",
            )
        self.send_response_only(status)
        self.send_header("Server", self.version_string())
        self.send_header("Date", self.date_time_string())
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        # Each answer is made for its request (a nonce, thisUpdate now): not to be cached.
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)
        self.log_request(status, len(body), note)

    def log_request(self, code="-", size="-", note=""):
        code = int(code) if isinstance(code, int) else code  # HTTPStatus → 200
        self.log_message('"%s" %s %s %s', self.requestline, code, size, note or "-")

    def log_message(self, format, *args):
        sys.stderr.write(
            f"{self.address_string()} [{self.log_date_time_string()}] {format % args}\n"
        )


class PKIServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True  # restarted on the same port while the old sockets wait
    authority: Authority


def _url_host(host: str) -> str:
    if host in ("", "0.0.0.0", "::"):  # noqa: S104 - only to name the address in URLs
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m signing.pki_service",
        description="The demo PKI's CRL, OCSP responder and timestamp authority over HTTP. "
        "DEMO — not for production.",
    )
    parser.add_argument("--dir", required=True, type=Path, help="the demo PKI directory")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="0: any free port")
    parser.add_argument(
        "--base-url", default="", help="where certificates point to (default http://host:port)"
    )
    parser.add_argument("--ready-file", type=Path, help="written with the port once listening")
    args = parser.parse_args(argv)

    PKIServer.address_family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    server = PKIServer((args.host, args.port), Handler)
    port = server.server_address[1]
    base_url = (args.base_url or f"http://{_url_host(args.host)}:{port}").rstrip("/")
    server.authority = Authority(args.dir, base_url)

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    serving = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2})
    serving.start()
    if args.ready_file:
        pki.write_atomic(args.ready_file, f"{port}\n".encode())
    sys.stderr.write(
        f"demo PKI service for {args.dir.resolve()} at {base_url} (pid {os.getpid()})\n"
    )
    try:
        stop.wait()
    finally:
        server.shutdown()
        serving.join()
        server.server_close()
        if args.ready_file:
            with contextlib.suppress(FileNotFoundError):
                args.ready_file.unlink()
        sys.stderr.write("demo PKI service stopped\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

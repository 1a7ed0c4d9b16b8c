"""A client of a remote signing service (ký số từ xa) speaking the Cloud Signature Consortium
API v2 ("Architectures and protocols for remote signature applications", version 2.0.0.2;
the section numbers below are that document's: §11.1 and §11.10 as public references to it
give them, the others as we understood them, unchecked against its text: see README). The
leader's key stays with the service: the portal sends the SHA-256 of the CMS signed attributes
and gets the signature value back.

One signature is, in the leader's request (devices.sign):
  [auth/login (§11.2) or the OAuth 2.0 token endpoint (§8.3, client credentials)]
  → credentials/authorize (§11.6): numSignatures=1, the hash, the PIN as authData → SAD
  → signatures/signHash (§11.10): the hash, signAlgo, the SAD → the signature value.
Registering a credential reads info (§11.1), credentials/list (§11.4) and credentials/info
(§11.5: the certificate chain and the key's algorithms).

Every call is a JSON POST to `{service URL}/{method}` with a timeout (CSC_TIMEOUT); errors are
the spec's JSON `{"error": …, "error_description": …}` (§10.1). This module knows HTTP and the
protocol only: it raises CscError with a `kind` that signing.devices turns into the message the
leader reads. Nothing here stores anything; the PIN and the SAD live in local variables only.
"""

import base64
import json
import re
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.conf import settings

# OIDs (RFC 5758 §3.2 for ECDSA with SHA-256, RFC 8017 Appendix A.2.4 for RSA with SHA-256,
# RFC 5754 §2.2 for SHA-256): the values signAlgo / hashAlgorithmOID carry.
SHA256 = "2.16.840.1.101.3.4.2.1"
ECDSA_SHA256 = "1.2.840.10045.4.3.2"
RSA_SHA256 = "1.2.840.113549.1.1.11"
RSA = "1.2.840.113549.1.1.1"  # rsaEncryption: a key's algorithm as credentials/info may list it
SIGN_ALGO = {"sha256_ecdsa": ECDSA_SHA256, "sha256_rsa": RSA_SHA256}


class Kind:
    UNREACHABLE = "unreachable"  # no answer, a timeout, a 5xx, an answer that is not JSON
    WRONG_PIN = "wrong_pin"  # credentials/authorize refused the PIN/OTP
    LOCKED = "locked"  # the credential is locked or suspended
    AUTH = "auth"  # the portal's own login to the service failed (configuration)
    REFUSED = "refused"  # any other error the service answered with


class CscError(Exception):
    def __init__(self, kind: str, detail: str = ""):
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind
        self.detail = detail


@dataclass
class Credential:
    """What credentials/info (§11.5) says of a credential."""

    credential_id: str
    certificates_der: list[bytes] = field(default_factory=list)  # the signer's first
    key_algos: list[str] = field(default_factory=list)
    key_status: str = ""
    auth_mode: str = ""
    multisign: int = 1


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


class Client:
    """One remote signing service. `auth` is CSC_AUTH: "basic" (auth/login with HTTP Basic),
    "oauth2_client" (the OAuth 2.0 client credentials grant) or "none"."""

    def __init__(self, service_url: str, *, auth: str | None = None, timeout: float | None = None):
        if not service_url.startswith(("https://", "http://")):
            raise CscError(Kind.REFUSED, f"not an HTTP address: {service_url!r}")
        self.base = service_url.rstrip("/")
        self.auth = auth if auth is not None else settings.CSC_AUTH
        self.timeout = timeout if timeout is not None else settings.CSC_TIMEOUT
        self.access_token = ""

    # --- transport ----------------------------------------------------------------------------

    def _post(self, url: str, *, body: bytes, headers: dict) -> dict:
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 (http(s) only: __init__)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                raw = response.read()
        except urllib.error.HTTPError as exc:
            if exc.code >= 500:
                raise CscError(Kind.UNREACHABLE, f"HTTP {exc.code}") from None
            raise self._error(exc.code, exc.read()) from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise CscError(Kind.UNREACHABLE, str(exc)) from None
        try:
            answer = json.loads(raw.decode() or "{}")
        except (UnicodeDecodeError, ValueError):
            raise CscError(Kind.UNREACHABLE, "the answer is not JSON") from None
        if not isinstance(answer, dict):
            raise CscError(Kind.UNREACHABLE, "the answer is not a JSON object")
        return answer

    @staticmethod
    def _error(status: int, raw: bytes) -> CscError:
        """§10.1: {"error": code, "error_description": text}. Which code a service gives for
        a wrong PIN is not fixed by the spec's examples we could read, so the description is
        looked at too (see README, "not confirmed against the spec")."""
        try:
            answer = json.loads(raw.decode() or "{}")
        except (UnicodeDecodeError, ValueError):
            answer = {}
        if not isinstance(answer, dict):
            answer = {}
        code = str(answer.get("error") or answer.get("errorCode") or "")
        text = str(answer.get("error_description") or answer.get("errorDescription") or "")
        detail = f"HTTP {status} {code} {text}".strip()
        lowered = f"{code} {text}".lower()
        if code in ("invalid_pin", "invalid_otp") or (
            code in ("invalid_request", "invalid_grant", "access_denied")
            and re.search(r"\b(pin|otp|authdata)\b", lowered)
            and "locked" not in lowered
        ):
            return CscError(Kind.WRONG_PIN, detail)
        if "locked" in lowered or "suspended" in lowered or "blocked" in lowered:
            return CscError(Kind.LOCKED, detail)
        if status == 401 or code in ("invalid_token", "invalid_client", "unauthorized_client"):
            return CscError(Kind.AUTH, detail)
        return CscError(Kind.REFUSED, detail)

    def call(self, method: str, body: dict | None = None, *, authenticated: bool = True) -> dict:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if authenticated and self.auth != "none":
            if not self.access_token:
                self.login()
            headers["Authorization"] = f"Bearer {self.access_token}"
        return self._post(
            f"{self.base}/{method}", body=json.dumps(body or {}).encode(), headers=headers
        )

    # --- the API ------------------------------------------------------------------------------

    def info(self) -> dict:
        """§11.1 info: the service's name, specs version, authType and methods."""
        return self.call("info", {"lang": "vi"}, authenticated=False)

    def login(self) -> str:
        """The service access token: §11.2 auth/login with HTTP Basic (CSC_USERNAME and
        CSC_PASSWORD), or §8.3's token endpoint with grant_type=client_credentials
        (CSC_CLIENT_ID, CSC_CLIENT_SECRET at CSC_TOKEN_URL, default {service}/oauth2/token)."""
        if self.auth == "basic":
            pair = f"{settings.CSC_USERNAME}:{settings.CSC_PASSWORD}".encode()
            answer = self._post(
                f"{self.base}/auth/login",
                body=json.dumps({"rememberMe": False}).encode(),
                headers={
                    "Content-Type": "application/json",
                    "Accept": "application/json",
                    "Authorization": f"Basic {_b64(pair)}",
                },
            )
        elif self.auth == "oauth2_client":
            answer = self._post(
                settings.CSC_TOKEN_URL or f"{self.base}/oauth2/token",
                body=urlencode(
                    {
                        "grant_type": "client_credentials",
                        "client_id": settings.CSC_CLIENT_ID,
                        "client_secret": settings.CSC_CLIENT_SECRET,
                    }
                ).encode(),
                headers={
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Accept": "application/json",
                },
            )
        else:
            return ""
        token = answer.get("access_token")
        if not isinstance(token, str) or not token:
            raise CscError(Kind.AUTH, "no access_token in the login answer")
        self.access_token = token
        return token

    def credentials_list(self, *, user_id: str = "") -> list[str]:
        """§11.4 credentials/list: the credential IDs (userID is needed with a client
        credentials token, which names no user)."""
        body = {"userID": user_id} if user_id else {}
        ids = self.call("credentials/list", body).get("credentialIDs")
        if not isinstance(ids, list):
            raise CscError(Kind.REFUSED, "no credentialIDs in credentials/list")
        return [str(i) for i in ids]

    def credentials_info(self, credential_id: str) -> Credential:
        """§11.5 credentials/info with certificates=chain: the chain (Base64 DER, signer
        first), key.algo (OIDs), key.status, auth.mode, multisign."""
        answer = self.call(
            "credentials/info",
            {"credentialID": credential_id, "certificates": "chain", "certInfo": False},
        )
        key = answer.get("key") or {}
        cert = answer.get("cert") or {}
        auth = answer.get("auth") or {}
        try:
            chain = [base64.b64decode(c) for c in cert.get("certificates") or []]
        except (TypeError, ValueError):
            raise CscError(Kind.REFUSED, "credentials/info: bad certificates") from None
        return Credential(
            credential_id=credential_id,
            certificates_der=chain,
            key_algos=[str(a) for a in key.get("algo") or []],
            key_status=str(key.get("status") or ""),
            auth_mode=str(auth.get("mode") or answer.get("authMode") or ""),
            multisign=int(answer.get("multisign") or 1),
        )

    def authorize(self, credential_id: str, *, digest: bytes, pin: str) -> str:
        """§11.6 credentials/authorize for one signature of this hash (SCAL2: the SAD is bound
        to it): the PIN goes as authData [{"id": "PIN", "value": …}]. Returns the SAD."""
        answer = self.call(
            "credentials/authorize",
            {
                "credentialID": credential_id,
                "numSignatures": 1,
                "hashes": [_b64(digest)],
                "hashAlgorithmOID": SHA256,
                "authData": [{"id": "PIN", "value": pin}],
            },
        )
        sad = answer.get("SAD")
        if not isinstance(sad, str) or not sad:
            raise CscError(Kind.REFUSED, "no SAD in credentials/authorize")
        return sad

    def sign_hash(self, credential_id: str, *, digest: bytes, sad: str, sign_algo: str) -> bytes:
        """§11.10 signatures/signHash, synchronous (operationMode "S"): one hash, its
        signature value. An ECDSA value is DER (what CMS wants); a service that answers with
        the raw r‖s is converted."""
        answer = self.call(
            "signatures/signHash",
            {
                "credentialID": credential_id,
                "SAD": sad,
                "hashes": [_b64(digest)],
                "hashAlgorithmOID": SHA256,
                "signAlgo": sign_algo,
                "operationMode": "S",
            },
        )
        values = answer.get("signatures")
        if not isinstance(values, list) or len(values) != 1:
            raise CscError(Kind.REFUSED, "signHash did not return one signature")
        try:
            value = base64.b64decode(values[0], validate=True)
        except (TypeError, ValueError):
            raise CscError(Kind.REFUSED, "signHash: the signature is not Base64") from None
        if sign_algo == ECDSA_SHA256 and len(value) == 64 and value[0] != 0x30:
            from pkcs11.util.ec import encode_ecdsa_signature

            value = encode_ecdsa_signature(value)
        return value


def sign_digest(*, service_url: str, credential_id: str, pin: str, digest: bytes, mechanism: str):
    """One remote signature of a SHA-256 digest: log in, authorize (→ SAD), signHash. The SAD
    is used at once and dropped; a failure leaves nothing behind, and the leader may retry."""
    client = Client(service_url)
    sad = client.authorize(credential_id, digest=digest, pin=pin)
    return client.sign_hash(credential_id, digest=digest, sad=sad, sign_algo=SIGN_ALGO[mechanism])

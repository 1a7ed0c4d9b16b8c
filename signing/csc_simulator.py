"""A remote signing service simulator for development and tests (CSC_SIMULATOR; production
refuses it, and its addresses answer 404 when it is off). It speaks the Cloud Signature
Consortium API v2 over real HTTP and JSON, from the service's side, as much of it as the
portal's client (signing/csc.py) uses: info, auth/login (HTTP Basic), oauth2/token (client
credentials), credentials/list, credentials/info, credentials/authorize, signatures/signHash.

Its keys live in SoftHSM2, on one token of its own, generated there (sensitive, not
extractable); each credential is a key pair on it with, beside it, a PKCS#11 data object that
holds the credential's holder, the hash of its PIN and its certificate chain. Nothing is in the
portal's database. Access tokens and SADs live in the cache: a SAD is good for one signHash of
the hash it was authorized for, within SAD_LIFETIME seconds, and is gone once used.
DEMO — not for production.
"""

import base64
import functools
import hashlib
import json
import secrets
import time

from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.core.cache import cache
from django.http import Http404, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from signing import csc, pkcs11lib, softhsm

TOKEN_LABEL = "dvc-csc-simulator"  # noqa: S105 - a token label, not a secret
TOKEN_PIN = "csc-simulator-demo"  # noqa: S105 - the simulator token (dev only; refused in production)
APPLICATION = "dvc-csc-simulator"
SAD_LIFETIME = 60  # seconds: "short-lived"
ACCESS_TOKEN_LIFETIME = 3600
PREFIX = "csc-sim:"


# --- the credential store (SoftHSM2) ---------------------------------------------------------


def _token():
    return pkcs11lib.load(settings.SIGNING_PKCS11_MODULE).get_token(token_label=TOKEN_LABEL)


def _ensure_token() -> None:
    if not softhsm.token_exists(TOKEN_LABEL):
        softhsm.init_token(TOKEN_LABEL, pin=TOKEN_PIN)


def credential_create(*, user_id: str, pin: str, certify) -> tuple[str, list[bytes]]:
    """A new credential for `user_id` protected by `pin`: a P-256 key generated on the
    simulator's token, certified by `certify(public_key) -> [certificate, *chain]`
    (cryptography certificates). Returns the credential ID and the chain as DER."""
    from pkcs11 import Attribute, ObjectClass

    _ensure_token()
    credential_id = secrets.token_hex(8)
    public_key = softhsm.generate_key(
        TOKEN_LABEL, pin=TOKEN_PIN, key_label=credential_id, key_id=bytes.fromhex(credential_id)
    )
    chain = [c.public_bytes(serialization.Encoding.DER) for c in certify(public_key)]
    record = {
        "user_id": user_id,
        "pin": make_password(pin),
        "certificates": [base64.b64encode(c).decode() for c in chain],
    }
    with _token().open(user_pin=TOKEN_PIN, rw=True) as session:
        session.create_object(
            {
                Attribute.CLASS: ObjectClass.DATA,
                Attribute.TOKEN: True,
                Attribute.PRIVATE: True,
                Attribute.APPLICATION: APPLICATION,
                Attribute.LABEL: credential_id,
                Attribute.VALUE: json.dumps(record).encode(),
            }
        )
    return credential_id, chain


def _records() -> dict[str, dict]:
    from pkcs11 import Attribute, ObjectClass

    if not softhsm.token_exists(TOKEN_LABEL):
        return {}
    with _token().open(user_pin=TOKEN_PIN) as session:
        return {
            obj[Attribute.LABEL]: json.loads(bytes(obj[Attribute.VALUE]).decode())
            for obj in session.get_objects(
                {Attribute.CLASS: ObjectClass.DATA, Attribute.APPLICATION: APPLICATION}
            )
        }


def _record(credential_id: str) -> dict | None:
    return _records().get(credential_id) if credential_id else None


def _sign(credential_id: str, digest: bytes) -> bytes:
    from pkcs11 import Mechanism, ObjectClass
    from pkcs11.util.ec import encode_ecdsa_signature

    with _token().open(user_pin=TOKEN_PIN) as session:
        key = session.get_key(object_class=ObjectClass.PRIVATE_KEY, id=bytes.fromhex(credential_id))
        return encode_ecdsa_signature(key.sign(digest, mechanism=Mechanism.ECDSA))


# --- HTTP ------------------------------------------------------------------------------------


def _error(status: int, code: str, description: str) -> JsonResponse:
    """§10.1: errors are {"error", "error_description"}."""
    return JsonResponse({"error": code, "error_description": description}, status=status)


def _body(request) -> dict | None:
    try:
        body = json.loads(request.body.decode() or "{}")
    except (UnicodeDecodeError, ValueError):
        return None
    return body if isinstance(body, dict) else None


def endpoint(*, authenticated: bool = True):
    """A CSC method: POST only, 404 unless CSC_SIMULATOR, a JSON object body, and (when
    `authenticated`) a bearer access token from auth/login or oauth2/token."""

    def wrap(view):
        @csrf_exempt
        @require_POST
        @functools.wraps(view)
        def handle(request):
            if not settings.CSC_SIMULATOR:
                raise Http404
            if authenticated:
                header = request.headers.get("Authorization", "")
                token = header[7:] if header.startswith("Bearer ") else ""
                if not token or not cache.get(PREFIX + "token:" + token):
                    return _error(401, "invalid_token", "Missing or invalid access token")
            body = _body(request)
            if body is None:
                return _error(400, "invalid_request", "The body is not a JSON object")
            return view(request, body)

        return handle

    return wrap


def _issue_access_token() -> JsonResponse:
    token = secrets.token_urlsafe(32)
    cache.set(PREFIX + "token:" + token, True, ACCESS_TOKEN_LIFETIME)
    return JsonResponse({"access_token": token, "expires_in": ACCESS_TOKEN_LIFETIME})


@endpoint(authenticated=False)
def info(request, body):
    return JsonResponse(
        {
            "specs": "2.0.0.2",
            "name": "dvc-portal CSC simulator (DEMO)",
            "logo": "",
            "region": "VN",
            "lang": "vi",
            "description": "DEMO — not for production",
            "authType": ["basic", "oauth2client"],
            "methods": [
                "auth/login",
                "credentials/list",
                "credentials/info",
                "credentials/authorize",
                "signatures/signHash",
            ],
            "signAlgorithms": {"algos": [csc.ECDSA_SHA256]},
        }
    )


@csrf_exempt
@require_POST
def login(request):
    """§11.2 auth/login with HTTP Basic: the portal's CSC_USERNAME / CSC_PASSWORD."""
    if not settings.CSC_SIMULATOR:
        raise Http404
    expected = f"{settings.CSC_USERNAME}:{settings.CSC_PASSWORD}".encode()
    header = request.headers.get("Authorization", "")
    given = b""
    if header.startswith("Basic "):
        try:
            given = base64.b64decode(header[6:], validate=True)
        except ValueError:
            given = b""
    if not settings.CSC_USERNAME or not secrets.compare_digest(given, expected):
        return _error(401, "invalid_client", "Authentication failed")
    return _issue_access_token()


@csrf_exempt
@require_POST
def oauth2_token(request):
    """The OAuth 2.0 client credentials grant (RFC 6749 §4.4), form-encoded."""
    if not settings.CSC_SIMULATOR:
        raise Http404
    if request.POST.get("grant_type") != "client_credentials":
        return _error(400, "unsupported_grant_type", "Only client_credentials")
    client_id = request.POST.get("client_id", "")
    secret = request.POST.get("client_secret", "")
    if not (
        settings.CSC_CLIENT_ID
        and secrets.compare_digest(client_id.encode(), settings.CSC_CLIENT_ID.encode())
        and secrets.compare_digest(secret.encode(), settings.CSC_CLIENT_SECRET.encode())
    ):
        return _error(401, "invalid_client", "Authentication failed")
    return _issue_access_token()


@endpoint()
def credentials_list(request, body):
    user_id = str(body.get("userID") or "")
    ids = [cid for cid, rec in _records().items() if not user_id or rec["user_id"] == user_id]
    return JsonResponse({"credentialIDs": sorted(ids)})


@endpoint()
def credentials_info(request, body):
    credential_id = str(body.get("credentialID") or "")
    record = _record(credential_id)
    if record is None:
        return _error(400, "invalid_request", "Invalid parameter credentialID")
    which = body.get("certificates", "single")
    certificates = {"none": [], "single": record["certificates"][:1]}.get(
        which, record["certificates"]
    )
    return JsonResponse(
        {
            "description": "DEMO credential",
            "key": {"status": "enabled", "algo": [csc.ECDSA_SHA256], "len": 256},
            "cert": {"status": "valid", "certificates": certificates},
            "auth": {
                "mode": "explicit",
                "expression": "PIN",
                "objects": [{"type": "Password", "id": "PIN", "format": "N", "label": "PIN"}],
            },
            "multisign": 1,
            "lang": "vi",
        }
    )


def _hashes(body) -> list[str] | None:
    hashes = body.get("hashes")
    if not isinstance(hashes, list) or not hashes or not all(isinstance(h, str) for h in hashes):
        return None
    try:
        if any(len(base64.b64decode(h, validate=True)) != 32 for h in hashes):
            return None
    except ValueError:
        return None
    return hashes


@endpoint()
def credentials_authorize(request, body):
    """§11.6: the PIN (authData id "PIN") → a SAD for numSignatures=1 of the given hash."""
    credential_id = str(body.get("credentialID") or "")
    record = _record(credential_id)
    if record is None:
        return _error(400, "invalid_request", "Invalid parameter credentialID")
    if body.get("numSignatures") != 1:
        return _error(400, "invalid_request", "Invalid value for parameter numSignatures")
    hashes = _hashes(body)
    if hashes is None or len(hashes) != 1:
        return _error(400, "invalid_request", "Invalid parameter hashes")
    if body.get("hashAlgorithmOID", csc.SHA256) != csc.SHA256:
        return _error(400, "invalid_request", "Invalid parameter hashAlgorithmOID")
    auth_data = body.get("authData") or []
    pin = next(
        (
            str(a.get("value", ""))
            for a in auth_data
            if isinstance(a, dict) and a.get("id") == "PIN"
        ),
        "",
    )
    if not pin or not check_password(pin, record["pin"]):
        return _error(400, "invalid_pin", "The PIN is invalid")
    sad = secrets.token_urlsafe(32)
    cache.set(
        PREFIX + "sad:" + hashlib.sha256(sad.encode()).hexdigest(),
        {"credential": credential_id, "hashes": hashes, "until": time.time() + SAD_LIFETIME},
        SAD_LIFETIME,
    )
    return JsonResponse({"SAD": sad, "expiresIn": SAD_LIFETIME})


def _take_sad(sad: str) -> dict | None:
    """The SAD's grant, consumed: a second use finds nothing."""
    key = PREFIX + "sad:" + hashlib.sha256(sad.encode()).hexdigest()
    grant = cache.get(key)
    if grant is None or not cache.delete(key):  # two at once: one delete wins
        return None
    return grant if grant["until"] >= time.time() else None


@endpoint()
def signatures_sign_hash(request, body):
    """§11.10, synchronous: the hash the SAD was given for, with ECDSA P-256 / SHA-256."""
    credential_id = str(body.get("credentialID") or "")
    if _record(credential_id) is None:
        return _error(400, "invalid_request", "Invalid parameter credentialID")
    hashes = _hashes(body)
    if hashes is None:
        return _error(400, "invalid_request", "Invalid parameter hashes")
    if body.get("signAlgo") != csc.ECDSA_SHA256:
        return _error(400, "invalid_request", "Invalid parameter signAlgo")
    grant = _take_sad(str(body.get("SAD") or ""))
    if grant is None or grant["credential"] != credential_id or grant["hashes"] != hashes:
        return _error(400, "invalid_request", "Invalid or expired SAD")
    signatures = [_sign(credential_id, base64.b64decode(h)) for h in hashes]
    return JsonResponse({"signatures": [base64.b64encode(s).decode() for s in signatures]})


app_name = "csc_simulator"

urlpatterns = [
    path("csc/v2/info", info, name="info"),
    path("csc/v2/auth/login", login, name="login"),
    path("csc/v2/oauth2/token", oauth2_token, name="oauth2_token"),
    path("csc/v2/credentials/list", credentials_list, name="credentials_list"),
    path("csc/v2/credentials/info", credentials_info, name="credentials_info"),
    path("csc/v2/credentials/authorize", credentials_authorize, name="credentials_authorize"),
    path("csc/v2/signatures/signHash", signatures_sign_hash, name="sign_hash"),
]

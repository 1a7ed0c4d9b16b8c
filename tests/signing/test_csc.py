"""The leader's signature at a remote signing service (ký số từ xa, CSC API v2): the portal's
client (signing/csc.py) talks real HTTP to the local simulator (signing/csc_simulator.py),
served by a server thread, whose keys are in SoftHSM2."""

import base64
import contextlib
import hashlib
import io
import json
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
import types
import uuid
from pathlib import Path

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
from django.core.wsgi import get_wsgi_application
from django.urls import reverse

from office import services as workflow
from portal.models import StaffRole
from signing import certificates, csc, csc_simulator, devices, pdfsign, softhsm, verify
from signing.models import Document, PersonalCertificate
from submissions.models import DocumentKind, Dossier, State
from tests.factories import DossierFactory, OfficerFactory, ProcedureVersionFactory
from tests.signing.support import run

pytestmark = pytest.mark.django_db

PIN = "135790"
Status = Document.Status
BASE_DIR = Path(__file__).resolve().parents[2]


class QuietHandler(WSGIRequestHandler):
    calls: list[str] = []

    def log_message(self, *args):
        pass

    def parse_request(self):
        ok = super().parse_request()
        if ok:
            QuietHandler.calls.append(self.path)
        return ok


@contextlib.contextmanager
def serving():
    """The site (so the simulator's URLs) on 127.0.0.1 in a thread: real HTTP, real JSON."""
    server = ThreadedWSGIServer(("127.0.0.1", 0), QuietHandler, allow_reuse_address=False)
    server.set_app(get_wsgi_application())
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def service(settings):
    settings.CSC_SIMULATOR = True
    settings.CSC_AUTH = "basic"
    settings.CSC_USERNAME = "dvc-portal-test"
    settings.CSC_PASSWORD = secrets.token_hex(8)
    settings.CSC_TIMEOUT = 5
    QuietHandler.calls = []
    with serving() as origin:
        settings.CSC_SIMULATOR_URL = origin + "/csc-simulator/csc/v2"
        yield settings.CSC_SIMULATOR_URL


def make_csc_leader(agency, *, pin: str = PIN):
    leader = OfficerFactory(
        agency=agency,
        roles=[StaffRole.Role.LEADER],
        email=f"lanhdao-{uuid.uuid4().hex[:10]}@example.vn",
        full_name="Phạm Thị Dung",
    )
    call_command(
        "make_leader_token", leader.email, "--pin", pin, "--backend", "csc",
        stdout=io.StringIO(),
    )  # fmt: skip
    return leader


@pytest.fixture
def leader(demo_pki, agency, service):
    return make_csc_leader(agency)


@pytest.fixture
def awaiting(leader, agency, django_capture_on_commit_callbacks):
    version = ProcedureVersionFactory(published=True, level3=True, procedure__agency=agency)
    dossier = DossierFactory(pending_approval=True, version=version, workflow__leader=leader)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.dossier_approve(dossier=dossier, actor=leader)
    document = Document.objects.get(
        owner_type=ContentType.objects.get_for_model(Dossier),
        owner_id=dossier.pk,
        kind=DocumentKind.RESULT,
    )
    assert document.status == Status.AWAITING_SIGNATURE, document.error
    return dossier, document


def sign_page(dossier):
    return reverse("office:sign", args=[dossier.public_id])


def sim_path(method: str) -> str:
    return f"/csc-simulator/csc/v2/{method}"


def test_the_credential_is_registered_with_the_service_and_its_key_stays_there(leader, service):
    personal = certificates.personal_certificate_for(leader)
    assert personal.backend == PersonalCertificate.Backend.CSC
    assert personal.csc_service_url == service and personal.csc_credential_id
    assert not personal.token_label and not personal.key_id
    assert "PRIVATE KEY" not in personal.certificate_pem + personal.chain_pem
    # At the service, the key was generated on its SoftHSM2 token and cannot leave it.
    assert softhsm.private_key_attributes(
        csc_simulator.TOKEN_LABEL, pin=csc_simulator.TOKEN_PIN, key_label=personal.csc_credential_id
    ) == {"sensitive": True, "extractable": False, "always_sensitive": True,
          "never_extractable": True}  # fmt: skip
    # credentials/info over HTTP gives the registered certificate and the key's algorithm.
    client = csc.Client(service)
    info = client.info()
    assert info["specs"].startswith("2.") and "signatures/signHash" in info["methods"]
    assert client.credentials_list(user_id=leader.email) == [personal.csc_credential_id]
    credential = client.credentials_info(personal.csc_credential_id)
    assert credential.key_algos == [csc.ECDSA_SHA256]
    assert certificates.pem_chain(credential.certificates_der) == (
        personal.certificate_pem,
        personal.chain_pem,
    )


def test_a_csc_signature_round_trip_ends_with_two_valid_signatures(
    awaiting, leader, demo_pki, client, django_capture_on_commit_callbacks, tmp_path
):
    dossier, document = awaiting
    QuietHandler.calls = []
    client.force_login(leader)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(sign_page(dossier), {"pin": PIN})
    assert response.status_code == 302, response.content.decode()[:2000]
    # The request logged in, had the PIN authorize one signature of the hash, and signed it.
    assert QuietHandler.calls == [
        sim_path("auth/login"),
        sim_path("credentials/authorize"),
        sim_path("signatures/signHash"),
    ]
    document.refresh_from_db()
    assert document.status == Status.SIGNED, document.error
    assert document.personal_signer == "Phạm Thị Dung"
    assert Dossier.objects.get(pk=dossier.pk).state == State.RESOLVED

    pdf = document.pdf.open("rb").read()
    path = tmp_path / "result.pdf"
    path.write_bytes(pdf)
    report = run(["pdfsig", str(path)])
    assert report.count("Signature is Valid") == 2, report
    first, second = report.split("Signature #2")
    assert "Phạm Thị Dung" in first
    assert first.split("Signature Field Name:")[1].split()[0] == pdfsign.PERSONAL_FIELD_NAME
    assert "Sở Giáo dục và Đào tạo Hà Nội" in second

    verdict = verify.verify_pdf(pdf)
    assert verdict.code == verify.AUTHENTIC, verdict
    personal = certificates.personal_certificate_for(leader)
    assert verdict.signatures[0].certificate_serial == personal.serial
    assert verdict.signatures[1].certificate_serial == demo_pki.certificate.serial


def test_a_wrong_pin_says_what_the_token_says_changes_nothing_and_the_leader_retries(
    awaiting, leader, client, django_capture_on_commit_callbacks
):
    dossier, document = awaiting
    client.force_login(leader)
    response = client.post(sign_page(dossier), {"pin": "000000"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert str(devices.WRONG_PIN) in response.content.decode()
    document.refresh_from_db()
    assert document.status == Status.AWAITING_SIGNATURE and not document.personal_signature
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(sign_page(dossier), {"pin": PIN}).status_code == 302
    assert Document.objects.get(pk=document.pk).status == Status.SIGNED


def test_a_sad_is_single_use_bound_to_its_hash_and_short_lived(leader, service):
    personal = certificates.personal_certificate_for(leader)
    client = csc.Client(service)
    cid = personal.csc_credential_id
    digest = hashlib.sha256(b"to be signed").digest()
    sad = client.authorize(cid, digest=digest, pin=PIN)
    signature = client.sign_hash(cid, digest=digest, sad=sad, sign_algo=csc.ECDSA_SHA256)
    assert devices.verifies(personal, b"to be signed", signature)
    with pytest.raises(csc.CscError) as reused:
        client.sign_hash(cid, digest=digest, sad=sad, sign_algo=csc.ECDSA_SHA256)
    assert reused.value.kind == csc.Kind.REFUSED and "SAD" in reused.value.detail

    other = hashlib.sha256(b"something else").digest()
    sad = client.authorize(cid, digest=digest, pin=PIN)
    with pytest.raises(csc.CscError, match="SAD"):
        client.sign_hash(cid, digest=other, sad=sad, sign_algo=csc.ECDSA_SHA256)

    sad = client.authorize(cid, digest=digest, pin=PIN)
    later = time.time() + csc_simulator.SAD_LIFETIME + 5
    with time_machine.travel(later, tick=False), pytest.raises(csc.CscError, match="SAD"):
        client.sign_hash(cid, digest=digest, sad=sad, sign_algo=csc.ECDSA_SHA256)

    with pytest.raises(csc.CscError) as wrong:
        client.authorize(cid, digest=digest, pin="999999")
    assert wrong.value.kind == csc.Kind.WRONG_PIN


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def _silent_server():
    """Accepts connections and never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(5)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/csc/v2"
    finally:
        sock.close()


def test_an_unreachable_or_silent_service_is_named_and_the_document_keeps_waiting(
    awaiting, leader, client, settings, django_capture_on_commit_callbacks, service
):
    dossier, document = awaiting
    personal = certificates.personal_certificate_for(leader)
    leader.language = "en"  # the page speaks the user's language
    leader.save(update_fields=["language"])
    client.force_login(leader)
    settings.CSC_TIMEOUT = 0.5
    with _silent_server() as silent:
        for url in (f"http://127.0.0.1:{_closed_port()}/csc/v2", silent):
            PersonalCertificate.objects.filter(pk=personal.pk).update(csc_service_url=url)
            started = time.monotonic()
            response = client.post(sign_page(dossier), {"pin": PIN}, HTTP_ACCEPT_LANGUAGE="en")
            assert time.monotonic() - started < 5
            assert response.status_code == 400
            assert "The remote signing service did not answer" in response.content.decode()
            document.refresh_from_db()
            assert document.status == Status.AWAITING_SIGNATURE
            assert not document.personal_signature and not document.pdf
    # The service is back: the leader tries again and it signs.
    PersonalCertificate.objects.filter(pk=personal.pk).update(csc_service_url=service)
    settings.CSC_TIMEOUT = 5
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(sign_page(dossier), {"pin": PIN}).status_code == 302
    assert Document.objects.get(pk=document.pk).status == Status.SIGNED


def test_oauth2_client_credentials_and_a_wrong_secret(leader, service, settings, monkeypatch):
    personal = certificates.personal_certificate_for(leader)
    settings.CSC_AUTH = "oauth2_client"
    settings.CSC_CLIENT_ID = "dvc-portal"
    settings.CSC_CLIENT_SECRET = secrets.token_hex(8)
    QuietHandler.calls = []
    signature = devices.sign(personal, b"data", pin=PIN)
    assert devices.verifies(personal, b"data", signature)
    assert QuietHandler.calls[0] == sim_path("oauth2/token")

    # The simulator checks the settings; the portal's side sends another secret.
    wrong = types.SimpleNamespace(
        CSC_AUTH="oauth2_client",
        CSC_CLIENT_ID="dvc-portal",
        CSC_CLIENT_SECRET="wrong",
        CSC_TOKEN_URL="",
        CSC_TIMEOUT=5,
    )
    monkeypatch.setattr(csc, "settings", wrong)
    with pytest.raises(devices.DeviceError) as refused:
        devices.sign(personal, b"data", pin=PIN)
    assert refused.value.message == devices.SERVICE_LOGIN


def test_register_csc_credential_reads_the_service(demo_pki, agency, service):
    holder = make_csc_leader(agency)
    credential_id = certificates.personal_certificate_for(holder).csc_credential_id
    PersonalCertificate.objects.filter(user=holder).delete()
    out = io.StringIO()
    call_command(
        "register_csc_credential", holder.email, "--service-url", service, stdout=out,
    )  # fmt: skip
    personal = certificates.personal_certificate_for(holder)
    assert personal.backend == PersonalCertificate.Backend.CSC
    assert personal.csc_credential_id == credential_id and personal.csc_service_url == service
    assert "CSC 2.0.0.2" in out.getvalue()


def test_the_simulator_needs_a_token_and_json(service):
    client = csc.Client(service)
    assert client.info()["name"]
    with pytest.raises(csc.CscError) as refused:
        client._post(
            service + "/credentials/list",
            body=b"{}",
            headers={"Content-Type": "application/json", "Authorization": "Bearer nope"},
        )
    assert refused.value.kind == csc.Kind.AUTH


def test_the_simulator_is_404_when_off(client, settings):
    settings.CSC_SIMULATOR = False
    for method in ("info", "auth/login", "credentials/authorize", "signatures/signHash"):
        assert (
            client.post(sim_path(method), "{}", content_type="application/json").status_code == 404
        )
    settings.CSC_SIMULATOR = True
    assert client.post(sim_path("info"), "{}", content_type="application/json").status_code == 200


def _production(**env_vars) -> subprocess.CompletedProcess:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CSC_", "PAYMENT_", "VNPAY_", "DJANGO_"))
        and k not in {"DATABASE_URL", "REDIS_URL", "CACHE_URL", "DEBUG", "SIGNING_KEK_OLD"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings",
        PORTAL_ENV="production",
        SECRET_KEY=secrets.token_hex(32),
        ALLOWED_HOSTS="dvc.example.vn",
        SIGNING_KEK=base64.b64encode(secrets.token_bytes(32)).decode(),
        **env_vars,
    )
    code = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "print(json.dumps(s.CSC_SIMULATOR))"
    )
    return subprocess.run(
        [sys.executable, "-c", code], cwd=BASE_DIR, env=env, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip


@pytest.mark.parametrize("value", ["true", "1"])
def test_production_refuses_the_csc_simulator(value):
    result = _production(CSC_SIMULATOR=value)
    assert result.returncode != 0
    assert "CSC_SIMULATOR cannot be on with PORTAL_ENV=production" in result.stderr


def test_production_starts_without_the_csc_simulator():
    result = _production()
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) is False

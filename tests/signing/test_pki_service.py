"""The demo PKI behaves like a real CA, over real HTTP, in a process of its own
(signing/pki_service.py): PAdES B-LT/B-LTA signing and verification fetch its OCSP answers, CRL
and timestamps as they would a real CA's, so what they get must be what a real one gives. Each
answer is parsed with `cryptography` or asn1crypto and its signature checked against the root,
not against the service's own word; a revocation is made the way the demo makes one (the
`demo_pki_revoke` command), and the portal's records are left alone by it, since a portal learns
of a revocation from its CA. pyHanko itself is a client here too: its timestamp client, and its
validator fetching the TSA certificate's revocation status from the service."""

import asyncio
import base64
import datetime as dt
import hashlib
import io
import json
import secrets
import urllib.error
import urllib.parse
import urllib.request

import pytest
from asn1crypto import algos, cms, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.x509 import ocsp
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID
from django.core.management import CommandError, call_command
from pyhanko.sign.ades.report import AdESIndeterminate
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko.sign.validation.generic_cms import validate_tst_signed_data
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.fetchers.aiohttp_fetchers import AIOHttpFetcherBackend

from signing import certificates, pki
from signing.models import SigningCertificate
from signing.pki_service import TimeStampResp
from tests.signing.support import der, p12_for, wait_until

# --- HTTP and OCSP helpers -----------------------------------------------------------------------


def fetch(url: str, data: bytes | None = None, content_type: str = "") -> tuple[int, str, bytes]:
    request = urllib.request.Request(url, data=data)
    if content_type:
        request.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.headers["Content-Type"], answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read()


def ocsp_url(cert: x509.Certificate) -> str:
    aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    (url,) = [
        a.access_location.value
        for a in aia
        if a.access_method == AuthorityInformationAccessOID.OCSP
    ]
    return url


def crl_url(cert: x509.Certificate) -> str:
    (point,) = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    (name,) = point.full_name
    return name.value


def ocsp_request(cert, issuer, *, nonce: bytes | None = None, algorithm=None) -> bytes:
    builder = ocsp.OCSPRequestBuilder().add_certificate(cert, issuer, algorithm or hashes.SHA1())  # noqa: S303 - CertID's usual hash
    if nonce is not None:
        builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
    return builder.build().public_bytes(serialization.Encoding.DER)


def ask_ocsp(cert, issuer, **kwargs) -> ocsp.OCSPResponse:
    status, content_type, body = fetch(
        ocsp_url(cert), ocsp_request(cert, issuer, **kwargs), "application/ocsp-request"
    )
    assert (status, content_type) == (200, "application/ocsp-response")
    return ocsp.load_der_ocsp_response(body)


def check_signed_by_delegated_responder(response: ocsp.OCSPResponse, root: x509.Certificate):
    """What a relying party checks before believing an answer (RFC 6960 4.2.2.2): signed by a
    certificate the root issued for OCSP signing, the one the answer names."""
    assert response.response_status == ocsp.OCSPResponseStatus.SUCCESSFUL
    (responder,) = response.certificates
    responder.verify_directly_issued_by(root)
    usages = responder.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usages) == [ExtendedKeyUsageOID.OCSP_SIGNING]
    assert responder.extensions.get_extension_for_class(x509.OCSPNoCheck)
    assert response.responder_name is None
    assert (
        response.responder_key_hash
        == x509.SubjectKeyIdentifier.from_public_key(responder.public_key()).digest
    )
    assert isinstance(response.signature_hash_algorithm, hashes.SHA256)
    responder.public_key().verify(
        response.signature, response.tbs_response_bytes, ec.ECDSA(hashes.SHA256())
    )


def close_to_now(moment: dt.datetime, seconds: float = 30) -> bool:
    return abs((dt.datetime.now(dt.UTC) - moment).total_seconds()) < seconds


# --- certificates with pointers, the services' own certificates ----------------------------------


def test_certificates_issued_with_a_base_url_point_to_the_crl_the_responder_and_the_root(tmp_path):
    root_key, root_cert, _path = pki.load_or_make_root(tmp_path / "pki")
    _key, cert = pki.issue_signing_certificate(
        root_key,
        root_cert,
        common_name="Sở Giáo dục và Đào tạo Hà Nội",
        organisation="Sở Giáo dục và Đào tạo Hà Nội",
        email="ky-so@so-hn.example.vn",
        base_url="http://pki.example.vn:8790/",
    )
    assert crl_url(cert) == "http://pki.example.vn:8790/crl/root.crl"
    aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    assert [(a.access_method, a.access_location.value) for a in aia] == [
        (AuthorityInformationAccessOID.OCSP, "http://pki.example.vn:8790/ocsp"),
        (AuthorityInformationAccessOID.CA_ISSUERS, "http://pki.example.vn:8790/certs/root.crt"),
    ]

    _key, bare = pki.issue_signing_certificate(
        root_key, root_cert, common_name="A", organisation="B", email="c@example.vn"
    )
    for extension in (x509.CRLDistributionPoints, x509.AuthorityInformationAccess):
        with pytest.raises(x509.ExtensionNotFound):
            bare.extensions.get_extension_for_class(extension)


def test_the_responder_and_the_tsa_have_certificates_for_their_job_from_the_root(tmp_path):
    directory = tmp_path / "pki"
    services = pki.load_or_make_services(directory, "http://127.0.0.1:8790")
    _key, root, _path = pki.load_or_make_root(directory)

    services.ocsp_cert.verify_directly_issued_by(root)
    ocsp_extensions = services.ocsp_cert.extensions
    assert list(ocsp_extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == [
        ExtendedKeyUsageOID.OCSP_SIGNING
    ]
    assert ocsp_extensions.get_extension_for_class(x509.OCSPNoCheck)
    assert ocsp_extensions.get_extension_for_class(x509.KeyUsage).value.digital_signature

    services.tsa_cert.verify_directly_issued_by(root)
    eku = services.tsa_cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert (list(eku.value), eku.critical) == ([ExtendedKeyUsageOID.TIME_STAMPING], True)
    usage = services.tsa_cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment
    assert services.tsa_key.key_size == 2048
    assert pki.pointers(services.tsa_cert) == (
        ["http://127.0.0.1:8790/crl/root.crl"],
        ["http://127.0.0.1:8790/ocsp"],
    )
    for name in ("ocsp-key.pem", "tsa-key.pem"):
        assert (directory / name).stat().st_mode & 0o077 == 0

    again = pki.load_or_make_services(directory, "http://127.0.0.1:8790")
    assert (again.ocsp_cert, again.tsa_cert) == (services.ocsp_cert, services.tsa_cert)
    moved = pki.load_or_make_services(directory, "http://127.0.0.1:9999")
    assert moved.ocsp_cert == services.ocsp_cert
    assert pki.pointers(moved.tsa_cert)[1] == ["http://127.0.0.1:9999/ocsp"]
    assert moved.tsa_cert.public_key() == services.tsa_cert.public_key()


def test_a_revocation_is_recorded_once_and_its_first_time_and_reason_stand(tmp_path):
    directory = tmp_path / "pki"
    first = dt.datetime(2026, 3, 2, 8, 30, 15, 123456, tzinfo=dt.UTC)
    assert pki.revocations(directory) == {}
    assert pki.revoke(directory, 0xABC, reason="superseded", at=first) == (
        first.replace(microsecond=0),
        "superseded",
    )
    assert pki.revoke(directory, 0xABC, at=first + dt.timedelta(days=1)) == (
        first.replace(microsecond=0),
        "superseded",
    )
    pki.revoke(directory, 0xDEF)
    revoked = pki.revocations(directory)
    assert revoked[0xABC] == (first.replace(microsecond=0), "superseded")
    assert revoked[0xDEF][1] == "key_compromise" and close_to_now(revoked[0xDEF][0])
    assert json.loads((directory / "revoked.json").read_text())["abc"]["reason"] == "superseded"

    with pytest.raises(ValueError, match="reason"):
        pki.revoke(directory, 1, reason="bored")
    with pytest.raises(ValueError, match="timezone"):
        pki.revoke(directory, 1, at=dt.datetime(2026, 3, 2, 8, 30))  # noqa: DTZ001
    assert set(pki.revocations(directory)) == {0xABC, 0xDEF}


# --- OCSP ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_ocsp_answers_good_then_revoked_once_the_demo_command_revokes(ltv_pki, agency):
    cert = certificates.load_x509(ltv_pki.certificate)
    assert ocsp_url(cert) == f"{ltv_pki.url}/ocsp"
    nonce = secrets.token_bytes(16)

    good = ask_ocsp(cert, ltv_pki.root_cert, nonce=nonce)
    check_signed_by_delegated_responder(good, ltv_pki.root_cert)
    assert good.certificate_status == ocsp.OCSPCertStatus.GOOD
    assert good.serial_number == cert.serial_number
    assert good.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce == nonce
    assert close_to_now(good.this_update_utc)
    assert good.next_update_utc - good.this_update_utc == dt.timedelta(hours=1)

    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    out = io.StringIO()
    call_command("demo_pki_revoke", agency.code, "--reason", "superseded", stdout=out)
    after = dt.datetime.now(dt.UTC)
    assert f"{cert.serial_number:x}" in out.getvalue()
    assert "superseded" in out.getvalue()

    revoked = ask_ocsp(cert, ltv_pki.root_cert, algorithm=hashes.SHA256())
    check_signed_by_delegated_responder(revoked, ltv_pki.root_cert)
    assert revoked.certificate_status == ocsp.OCSPCertStatus.REVOKED
    assert before <= revoked.revocation_time_utc <= after
    assert revoked.revocation_reason == x509.ReasonFlags.superseded
    assert isinstance(revoked.hash_algorithm, hashes.SHA256)
    with pytest.raises(x509.ExtensionNotFound):
        revoked.extensions.get_extension_for_class(x509.OCSPNonce)

    # The GET form (RFC 6960 A.1) says the same; the portal's record is untouched.
    encoded = base64.b64encode(ocsp_request(cert, ltv_pki.root_cert)).decode()
    status, _type, body = fetch(f"{ltv_pki.url}/ocsp/{urllib.parse.quote(encoded, safe='')}")
    assert status == 200
    assert ocsp.load_der_ocsp_response(body).certificate_status == ocsp.OCSPCertStatus.REVOKED
    assert SigningCertificate.objects.get(pk=ltv_pki.certificate.pk).is_active


def test_ocsp_for_a_certificate_of_another_ca_is_unauthorized(pki_services):
    other_key, other_root = pki.make_root()
    _key, stranger = pki.issue_signing_certificate(
        other_key,
        other_root,
        common_name="Stranger",
        organisation="Another CA",
        email="x@example.vn",
        base_url=pki_services.url,  # even pointing here, its issuer is not the demo root
    )
    answer = ask_ocsp(stranger, other_root)
    assert answer.response_status == ocsp.OCSPResponseStatus.UNAUTHORIZED


@pytest.mark.parametrize(
    "body", [b"", b"garbage", b"\x30\x03\x02\x01\x01"], ids=["empty", "garbage", "not OCSP"]
)
def test_an_ocsp_request_that_is_not_one_is_malformed(pki_services, body):
    status, content_type, answer = fetch(
        f"{pki_services.url}/ocsp", body, "application/ocsp-request"
    )
    assert (status, content_type) == (200, "application/ocsp-response")
    assert (
        ocsp.load_der_ocsp_response(answer).response_status
        == ocsp.OCSPResponseStatus.MALFORMED_REQUEST
    )
    status, _type, answer = fetch(f"{pki_services.url}/ocsp/not%20base64!")
    assert status == 200
    assert (
        ocsp.load_der_ocsp_response(answer).response_status
        == ocsp.OCSPResponseStatus.MALFORMED_REQUEST
    )


# --- CRL -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_crl_is_signed_by_the_root_and_lists_what_is_revoked(ltv_pki):
    cert = certificates.load_x509(ltv_pki.certificate)
    status, content_type, body = fetch(crl_url(cert))
    assert (status, content_type) == (200, "application/pkix-crl")
    empty = x509.load_der_x509_crl(body)
    assert empty.is_signature_valid(ltv_pki.root_cert.public_key())
    assert len(empty) == 0

    call_command("demo_pki_revoke", f"{cert.serial_number:X}", stdout=io.StringIO())
    crl = x509.load_der_x509_crl(fetch(crl_url(cert))[2])
    assert crl.is_signature_valid(ltv_pki.root_cert.public_key())
    assert crl.issuer == ltv_pki.root_cert.subject
    entry = crl.get_revoked_certificate_by_serial_number(cert.serial_number)
    assert entry is not None and close_to_now(entry.revocation_date_utc)
    reason = entry.extensions.get_extension_for_class(x509.CRLReason).value.reason
    assert reason == x509.ReasonFlags.key_compromise
    assert close_to_now(crl.last_update_utc)
    assert crl.next_update_utc - crl.last_update_utc == dt.timedelta(hours=1)
    number = crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    assert number > empty.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number

    status, content_type, root = fetch(f"{ltv_pki.url}/certs/root.crt")
    assert (status, content_type, root) == (200, "application/pkix-cert", der(ltv_pki.root_cert))


# --- timestamps ----------------------------------------------------------------------------------


def timestamp_request(digest: bytes, *, algorithm: str = "sha256", nonce: int = 0) -> bytes:
    return tsp.TimeStampReq(
        {
            "version": "v1",
            "message_imprint": tsp.MessageImprint(
                {
                    "hash_algorithm": algos.DigestAlgorithm({"algorithm": algorithm}),
                    "hashed_message": digest,
                }
            ),
            "nonce": nonce or secrets.randbits(63),
            "cert_req": True,
        }
    ).dump()


def test_the_tsa_grants_a_token_over_the_imprint_signed_by_its_certificate(pki_services):
    digest = hashlib.sha256("Quyết định số 05/QĐ-SGDĐT".encode()).digest()
    nonce = secrets.randbits(63)
    status, content_type, body = fetch(
        f"{pki_services.url}/tsa",
        timestamp_request(digest, nonce=nonce),
        "application/timestamp-query",
    )
    assert (status, content_type) == (200, "application/timestamp-reply")
    response = tsp.TimeStampResp.load(body)
    assert response["status"]["status"].native == "granted"
    signed_data = response["time_stamp_token"]["content"]
    info = signed_data["encap_content_info"]["content"].parsed
    assert info["message_imprint"]["hashed_message"].native == digest
    assert info["message_imprint"]["hash_algorithm"]["algorithm"].native == "sha256"
    assert info["nonce"].native == nonce
    assert close_to_now(info["gen_time"].native)

    tsa = x509.load_pem_x509_certificate((pki_services.dir / "tsa.pem").read_bytes())
    root = x509.load_pem_x509_certificate((pki_services.dir / "demo-root.pem").read_bytes())
    embedded = {c.chosen.dump() for c in signed_data["certificates"]}
    assert embedded == {der(tsa), der(root)}
    (signer,) = signed_data["signer_infos"]
    assert signer["sid"].chosen["serial_number"].native == tsa.serial_number
    # The signature over the signed attributes (as a SET OF, RFC 5652 5.4) with the TSA's key.
    tsa.public_key().verify(
        signer["signature"].native,
        cms.CMSAttributes.load(signer["signed_attrs"].untag().dump()).dump(),
        padding.PKCS1v15(),
        hashes.SHA256(),
    )
    attributes = {a["type"].native: a["values"][0] for a in signer["signed_attrs"]}
    signed_info = signed_data["encap_content_info"]["content"].contents
    assert attributes["message_digest"].native == hashlib.sha256(signed_info).digest()


@pytest.mark.django_db
def test_pyhanko_timestamps_with_the_tsa_and_validates_its_token_fetching_revocation(
    pki_services,
):
    """pyHanko's own HTTP client, then its validator with revocation checking required: it
    fetches the TSA certificate's status from the service (the pointers in that certificate)."""
    digest = hashlib.sha256(b"a signed result").digest()
    token = asyncio.run(
        HTTPTimeStamper(f"{pki_services.url}/tsa").async_timestamp(digest, "sha256")
    )
    info = token["content"]["encap_content_info"]["content"].parsed
    assert info["message_imprint"]["hashed_message"].native == digest

    root = x509.load_pem_x509_certificate((pki_services.dir / "demo-root.pem").read_bytes())

    async def validating():
        backend = AIOHttpFetcherBackend()
        try:
            context = ValidationContext(
                trust_roots=[asn1_x509.Certificate.load(der(root))],
                allow_fetching=True,
                revocation_mode="require",
                fetcher_backend=backend,
            )
            return await validate_tst_signed_data(
                token["content"], context, expected_tst_imprint=lambda _algorithm: digest
            )
        finally:
            await backend.close()

    def validate():
        return asyncio.run(validating())

    status = validate()
    assert status["intact"] and status["valid"], status
    assert status["trust_problem_indic"] is None, status

    tsa = x509.load_pem_x509_certificate((pki_services.dir / "tsa.pem").read_bytes())
    call_command("demo_pki_revoke", format(tsa.serial_number, "x"), stdout=io.StringIO(),
                 dir=str(pki_services.dir))  # fmt: skip
    status = validate()
    assert status["intact"] and status["valid"], status
    # Revoked after the token's time, with nothing to prove the token existed before: pyHanko
    # can no longer tell (an archive timestamp, B-LTA, is what would).
    assert status["trust_problem_indic"] is AdESIndeterminate.REVOKED_NO_POE, status


@pytest.mark.parametrize(
    ("body", "failure"),
    [
        (timestamp_request(hashlib.md5(b"x").digest(), algorithm="md5"), "bad_alg"),  # noqa: S324
        (timestamp_request(b"short"), "bad_data_format"),
    ],
    ids=["md5", "short imprint"],
)
def test_the_tsa_rejects_what_it_cannot_stamp_and_refuses_what_is_not_a_request(
    pki_services, body, failure
):
    status, _type, answer = fetch(f"{pki_services.url}/tsa", body, "application/timestamp-query")
    assert status == 200
    response = TimeStampResp.load(answer)  # RFC 3161's: no token with a rejection
    assert response["status"]["status"].native == "rejection"
    assert response["status"]["fail_info"].native == {failure}
    assert response["time_stamp_token"].native is None

    status, _type, _body = fetch(
        f"{pki_services.url}/tsa", b"garbage", "application/timestamp-query"
    )
    assert status == 400


# --- the command ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_demo_pki_revoke_finds_a_staff_members_personal_certificate(ltv_pki, agency_admin):
    """By email: the certificate in force of that staff member (registered like a leader's)."""
    key = ec.generate_private_key(ec.SECP256R1())
    _none, cert = pki.issue_signing_certificate(
        ltv_pki.root_key,
        ltv_pki.root_cert,
        common_name="Trần Văn Lãnh",
        organisation="Sở Giáo dục và Đào tạo Hà Nội",
        email=agency_admin.email,
        public_key=key.public_key(),
        base_url=ltv_pki.url,
    )
    certificates.personal_certificate_register(
        user=agency_admin,
        certificate_pem=pki.pem(cert).decode(),
        chain_pem=pki.pem(ltv_pki.root_cert).decode(),
    )
    out = io.StringIO()
    call_command("demo_pki_revoke", agency_admin.email.upper(), stdout=out)
    assert f"{cert.serial_number:x}" in out.getvalue()
    assert ask_ocsp(cert, ltv_pki.root_cert).certificate_status == ocsp.OCSPCertStatus.REVOKED

    call_command("demo_pki_revoke", agency_admin.email, "--reason", "superseded", stdout=out)
    assert "already revoked" in out.getvalue()
    assert pki.revocations(ltv_pki.dir)[cert.serial_number][1] == "key_compromise"


@pytest.mark.django_db
def test_demo_pki_revoke_says_what_it_cannot_revoke_and_records_nothing(
    demo_pki, agency, other_agency, settings
):
    other_key, other_root = pki.make_root()
    foreign = certificates.certificate_import(
        agency=other_agency, data=p12_for(other_key, other_root), passphrase="mật-khẩu-p12"
    )
    cases = [
        ("nothing here", "neither a certificate serial in hex, an agency code nor a staff email"),
        ("nobody@example.vn", "No user nobody@example.vn"),
        ("000.00.99.H99", "neither"),
        ("abcdef0123", "No certificate with serial abcdef0123"),
        (foreign.serial, "was not issued by the demo root"),
        (other_agency.code, "was not issued by the demo root"),
    ]
    for what, message in cases:
        with pytest.raises(CommandError, match=message):
            call_command("demo_pki_revoke", what, stdout=io.StringIO())
    SigningCertificate.objects.filter(agency=agency).update(is_active=False)
    with pytest.raises(CommandError, match="has no signing certificate in force"):
        call_command("demo_pki_revoke", agency.code, stdout=io.StringIO())
    with pytest.raises(CommandError, match="No demo PKI in"):
        call_command("demo_pki_revoke", demo_pki.certificate.serial, dir=str(settings.MEDIA_ROOT))
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="production"):
        call_command("demo_pki_revoke", demo_pki.certificate.serial)
    assert pki.revocations(settings.SIGNING_DEMO_PKI_DIR) == {}


# --- the process ---------------------------------------------------------------------------------


def test_the_service_stops_on_sigterm_and_starts_again_on_the_same_port(pki_services):
    """What a test of an unreachable responder does: stop it, sign or verify, start it again.
    A revocation made while it is down is in its first answer once it is back."""
    url, first = pki_services.url, pki_services.process
    root = x509.load_pem_x509_certificate((pki_services.dir / "demo-root.pem").read_bytes())
    tsa = x509.load_pem_x509_certificate((pki_services.dir / "tsa.pem").read_bytes())
    pki_services.stop()
    assert first.returncode == 0
    assert not pki_services.healthy()
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"{url}/crl/root.crl", timeout=2)
    pki.revoke(pki_services.dir, tsa.serial_number, reason="cessation_of_operation")

    pki_services.start()
    assert pki_services.url == url and pki_services.process is not first
    assert pki_services.healthy()
    answer = ask_ocsp(tsa, root)
    assert answer.certificate_status == ocsp.OCSPCertStatus.REVOKED
    assert answer.revocation_reason == x509.ReasonFlags.cessation_of_operation
    # The same TSA certificate, still pointing where the service is.
    assert x509.load_pem_x509_certificate((pki_services.dir / "tsa.pem").read_bytes()) == tsa
    wait_until(
        lambda: '"POST /ocsp HTTP/1.1" 200' in pki_services.log_text(),
        timeout=10,
        what="the request in the service's log",
    )

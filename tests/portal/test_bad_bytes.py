"""Control characters in any text input (issue 13, items 1, 2 and 7): a clear 400 — JSON under
/api/ — never a server error, and nothing stored; the gateway's notification gets its own code.

A NUL byte reached PostgreSQL, which refuses it in text and JSON: `GET /api/v1/procedures/%00/`,
the HTML pages with a code in their path and the VNPAY IPN answered 500 before this."""

import json

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from payments.models import GatewayMessage
from submissions.models import Dossier
from tests.factories import CitizenFactory, DossierFactory, ProcedureVersionFactory
from tests.payments.support import IPN_URL

pytestmark = pytest.mark.django_db

MESSAGE = "The request contains a control character (such as NUL) that no field accepts."


@pytest.fixture
def version():
    return ProcedureVersionFactory(published=True, level3=True)


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/procedures/%00/",
        "/api/v1/payments/%00/",
        "/api/v1/verify/%00/",
        "/api/v1/procedures/?q=%00",
        "/api/v1/procedures/?%00=1",
        "/api/v1/procedures/?field=a%1Bb",
    ],
)
def test_api_paths_and_queries_with_control_characters_are_400_json(english, path):
    response = APIClient().get(path, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"].startswith(MESSAGE)


@pytest.mark.parametrize(
    "path",
    ["/procedures/{code}%00/", "/procedures/%00/file/", "/dossiers/start/%00/", "/verify/%00/"],
)
def test_pages_with_control_characters_are_400_pages(client, version, path):
    client.force_login(CitizenFactory())
    response = client.get(
        path.format(code=version.procedure.service_code), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert MESSAGE in response.content.decode()


def test_a_vietnamese_message_by_default(client):
    response = client.get("/procedures/%00/")
    assert response.status_code == 400
    assert "ký tự điều khiển" in response.content.decode()


def test_a_json_body_with_nul_changes_nothing(version):
    citizen = CitizenFactory()
    dossier = DossierFactory(applicant=citizen, version=version)
    api = APIClient()
    api.force_authenticate(citizen)
    before = Dossier.objects.filter(pk=dossier.pk).values().get()
    response = api.patch(
        reverse("api-dossier", args=[dossier.public_id]),
        data=json.dumps({"applicant": {"name": "Nguyễn\u0000Văn An"}}),
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert response.json()["detail"].startswith(MESSAGE)
    assert Dossier.objects.filter(pk=dossier.pk).values().get() == before


def test_a_form_field_with_nul_stores_nothing(client, version):
    citizen = CitizenFactory()
    client.force_login(citizen)
    response = client.post(
        reverse("submissions:start", args=[version.procedure.service_code]),
        {"note": "a\x00b"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert not Dossier.objects.filter(applicant=citizen).exists()


def test_a_header_the_portal_reads_with_nul_is_400(version):
    citizen = CitizenFactory()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=citizen).key}")
    response = api.post(
        reverse("api-dossier-file"),
        {"procedure": version.procedure.service_code},
        HTTP_IDEMPOTENCY_KEY="retry\x00one",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert not Dossier.objects.filter(applicant=citizen).exists()


def test_an_unknown_address_under_the_api_is_json_404():
    for path in ("/api/v1/dossiers/not-a-uuid/", "/api/v1/nothing-here/", "/api/v1/office/x/"):
        response = APIClient().get(path)
        assert response.status_code == 404, path
        assert response["Content-Type"] == "application/json", path
        assert "detail" in response.json()


def test_an_unknown_page_is_still_an_html_404(client):
    response = client.get("/nothing-here/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("field", ["vnp_TxnRef", "vnp_Amount", "vnp_SecureHash", "vnp_OrderInfo"])
def test_a_nul_in_the_gateways_notification_gets_its_error_code(client, field):
    """The gateway is answered in its protocol (97: invalid signature), and the message is
    stored, its NUL replaced visibly (PostgreSQL keeps no NUL in JSON)."""
    response = client.get(IPN_URL, {"vnp_SecureHash": "ab", field: "12\x0034"})
    assert response.status_code == 200
    assert response.json()["RspCode"] == "97"
    (message,) = GatewayMessage.objects.filter(kind="ipn")
    assert "\x00" not in json.dumps(message.payload)
    assert "12\ufffd34" in message.payload.values()


def test_a_nul_in_the_browsers_return_is_a_400_page_not_a_500(client):
    response = client.get(reverse("payments:return"), {"vnp_TxnRef": "\x00"})
    assert response.status_code == 400
    assert GatewayMessage.objects.filter(kind="return").count() == 1


def test_a_nul_escape_inside_a_json_form_field_is_400(version):
    """The one-call filing carries its answers as JSON text in a multipart field: a `\\u0000`
    escape there is refused too, and nothing is filed."""
    citizen = CitizenFactory()
    api = APIClient()
    api.force_authenticate(citizen)
    response = api.post(
        reverse("api-dossier-file"),
        {"procedure": version.procedure.service_code, "answers": '{"reason": "a\\u0000b"}'},
        format="multipart",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert response.json()["detail"].startswith(MESSAGE)
    assert not Dossier.objects.filter(applicant=citizen).exists()


def test_a_file_name_with_a_control_character_is_kept_without_it(version):
    """Django's multipart parser drops control characters from a file name
    (MultiPartParser.sanitize_file_name), so the file is taken and its name stored clean."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.factories import PDF_BYTES

    citizen = CitizenFactory()
    dossier = DossierFactory(applicant=citizen, version=version)
    api = APIClient()
    api.force_authenticate(citizen)
    response = api.post(
        reverse("api-dossier-files", args=[dossier.public_id]),
        {
            "document": version.documents.first().pk,
            "files": [SimpleUploadedFile("scan\x07.pdf", PDF_BYTES, "application/pdf")],
        },
        format="multipart",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 201
    assert list(dossier.files.values_list("name", flat=True)) == ["scan.pdf"]

"""Filing a complete dossier in one multipart request (for systems filing on their users'
behalf): all or nothing, and safe to retry with an Idempotency-Key."""

import json
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from submissions.models import Dossier, DossierEvent, DossierFile, State
from tests.factories import PDF_BYTES, CitizenFactory, ProcedureVersionFactory, png_bytes

pytestmark = pytest.mark.django_db
URL = "/api/v1/dossiers/file/"


@pytest.fixture
def version():
    return ProcedureVersionFactory(
        published=True,
        level3=True,
        form_schema=[
            {"name": "school", "label": "Trường", "type": "text", "required": True},
            {"name": "year", "label": "Năm", "type": "number", "min": 1975, "max": 2026},
        ],
        documents=[{"name": "Đơn đề nghị"}, {"name": "Bản sao văn bằng"}],
    )


@pytest.fixture
def citizen():
    return CitizenFactory()


@pytest.fixture
def api(citizen):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=citizen).key}")
    return client


def payload(version, **extra):
    first, second = version.documents.all()
    data = {
        "procedure": version.procedure.service_code,
        "answers": json.dumps({"school": "THPT Chu Văn An", "year": 2008}),
        f"document_{first.pk}": SimpleUploadedFile("don.pdf", PDF_BYTES, "application/pdf"),
        f"document_{second.pk}": [
            SimpleUploadedFile("bang-1.png", png_bytes(), "image/png"),
            SimpleUploadedFile("bang-2.pdf", PDF_BYTES, "application/pdf"),
        ],
    }
    data.update(extra)
    return data


def stored_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT) / "dossiers"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_one_request_files_and_submits(api, citizen, version):
    response = api.post(URL, payload(version), format="multipart")
    assert response.status_code == 201, response.content
    body = response.json()
    dossier = Dossier.objects.get(public_id=body["id"])
    assert dossier.state == State.SUBMITTED and body["code"] == dossier.code
    assert body["status_code"] == 1
    assert dossier.answers == {"school": "THPT Chu Văn An", "year": 2008}
    assert dossier.applicant_citizen_id == citizen.citizen_id  # prefilled from the profile
    assert sorted(dossier.files.values_list("name", flat=True)) == [
        "bang-1.png",
        "bang-2.pdf",
        "don.pdf",
    ]
    assert len(stored_files()) == 3
    assert DossierEvent.objects.filter(dossier=dossier, action="submit").count() == 1


def test_a_retry_with_the_same_key_files_nothing_more(api, version):
    first = api.post(URL, payload(version), format="multipart", HTTP_IDEMPOTENCY_KEY="abc-1")
    again = api.post(URL, payload(version), format="multipart", HTTP_IDEMPOTENCY_KEY="abc-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["code"] == again.json()["code"]
    assert Dossier.objects.count() == 1 and DossierFile.objects.count() == 3
    assert len(stored_files()) == 3


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"answers": json.dumps({"year": 2008})}, "school"),
        ({"answers": json.dumps({"school": "X", "year": 1900})}, "year"),
        ({"answers": "not json"}, "answers"),
        ({"applicant": json.dumps({"phone": "123"})}, "applicant_phone"),
        (
            {"document_999999": SimpleUploadedFile("x.pdf", PDF_BYTES, "application/pdf")},
            "document_999999",
        ),
        ({"somefile": SimpleUploadedFile("x.pdf", PDF_BYTES, "application/pdf")}, "somefile"),
    ],
    ids=["missing answer", "out of range", "bad json", "bad phone", "unknown doc", "bad key"],
)
def test_bad_input_files_nothing(api, version, change, field):
    response = api.post(URL, payload(version, **change), format="multipart")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not Dossier.objects.exists() and not DossierFile.objects.exists()
    assert stored_files() == []


def test_a_bad_file_leaves_no_file_behind(api, version):
    first, _second = version.documents.all()
    bad = SimpleUploadedFile("virus.pdf", b"MZ\x90\x00" + b"\x00" * 100, "application/pdf")
    response = api.post(URL, payload(version, **{f"document_{first.pk}": bad}), format="multipart")
    assert response.status_code == 400
    assert "virus.pdf" in " ".join(response.json()[f"document_{first.pk}"])
    assert not Dossier.objects.exists() and stored_files() == []


def test_a_missing_document_is_named_and_nothing_is_kept(api, version):
    data = payload(version)
    _first, second = version.documents.all()
    del data[f"document_{second.pk}"]
    response = api.post(URL, data, format="multipart")
    assert response.status_code == 400
    assert "Bản sao văn bằng" in response.json()["detail"]
    assert not Dossier.objects.exists() and stored_files() == []


def test_anonymous_and_unknown_procedure(version):
    assert APIClient().post(URL, payload(version), format="multipart").status_code in (401, 403)


def test_an_unknown_procedure(api, version):
    response = api.post(URL, payload(version, procedure="9.999999"), format="multipart")
    assert response.status_code == 400 and "procedure" in response.json()

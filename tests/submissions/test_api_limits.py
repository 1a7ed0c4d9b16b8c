"""Limits every caller of the API has (issue 13, items 9 and 10): a body the endpoint cannot
read is refused, not taken as empty; each user's reads, writes and uploads are rate-limited;
a citizen's open drafts are capped. Each refusal is clear and stores nothing."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from submissions.models import Dossier
from tests.factories import PDF_BYTES, CitizenFactory, DossierFactory, ProcedureVersionFactory

pytestmark = pytest.mark.django_db
LIST = "/api/v1/dossiers/"


@pytest.fixture
def version():
    return ProcedureVersionFactory(published=True, level3=True)


@pytest.fixture
def citizen():
    return CitizenFactory(address="12 Phố Huế, Hà Nội")


@pytest.fixture
def api(citizen):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(citizen)
    return client


def test_a_multipart_patch_is_refused_and_changes_nothing(api, citizen, version):
    dossier = DossierFactory(applicant=citizen, version=version)
    before = Dossier.objects.filter(pk=dossier.pk).values().get()
    body = b"--XyZ\r\nContent-Disposition: form-data; name=applicant\r\n\r\n{broken\r\n"
    response = api.generic(
        "PATCH",
        f"{LIST}{dossier.public_id}/",
        body,
        content_type="multipart/form-data; boundary=XyZ",
    )
    assert response.status_code == 415
    assert "multipart/form-data" in response.json()["detail"]
    assert Dossier.objects.filter(pk=dossier.pk).values().get() == before
    # The same change as JSON is taken.
    ok = api.patch(
        f"{LIST}{dossier.public_id}/", {"applicant": {"address": "Hà Nội"}}, format="json"
    )
    assert ok.status_code == 200 and ok.json()["applicant"]["address"] == "Hà Nội"


def _rates(settings, **rates):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            **rates,
        },
    }


def test_a_users_writes_are_limited_per_user(settings, api, version):
    _rates(settings, user_writes="3/min")
    code = version.procedure.service_code
    answers = [api.post(LIST, {"procedure": code}, format="json") for _ in range(4)]
    assert [r.status_code for r in answers] == [201, 201, 201, 429]
    assert "throttled" in answers[-1].json()["detail"]
    assert int(answers[-1]["Retry-After"]) > 0
    assert Dossier.objects.filter(version=version).count() == 3
    # Reads have their own allowance, and another citizen their own.
    assert api.get(LIST).status_code == 200
    other = APIClient()
    other.force_authenticate(CitizenFactory())
    assert other.post(LIST, {"procedure": code}, format="json").status_code == 201


def test_reads_are_limited_too(settings, api):
    _rates(settings, user_reads="2/min")
    assert [api.get(LIST).status_code for _ in range(3)] == [200, 200, 429]


def test_uploads_have_their_own_limit(settings, api, citizen, version):
    _rates(settings, user_uploads="1/min")
    dossier = DossierFactory(applicant=citizen, version=version)
    document = version.documents.first()

    def send():
        return api.post(
            f"{LIST}{dossier.public_id}/files/",
            {"document": document.pk, "files": [_pdf()]},
            format="multipart",
        )

    assert send().status_code == 201
    assert send().status_code == 429
    assert dossier.files.count() == 1
    # Not a write of the other kinds: the citizen can still change answers.
    ok = api.patch(f"{LIST}{dossier.public_id}/", {"answers": {}}, format="json")
    assert ok.status_code == 200


def _pdf():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("scan.pdf", PDF_BYTES, "application/pdf")


def test_open_drafts_are_capped(settings, api, citizen, version):
    settings.DOSSIER_MAX_OPEN_DRAFTS = 2
    code = version.procedure.service_code
    assert api.post(LIST, {"procedure": code}, format="json").status_code == 201
    assert api.post(LIST, {"procedure": code}, format="json").status_code == 201
    refused = api.post(LIST, {"procedure": code}, format="json")
    assert refused.status_code == 400
    assert refused.json() == {
        "procedure": [
            "You have 2 unfinished drafts: submit or delete one of them (My dossiers) before "
            "starting another."
        ]
    }
    assert Dossier.objects.filter(applicant=citizen).count() == 2
    # Deleting one makes room again.
    draft = Dossier.objects.filter(applicant=citizen).first()
    assert api.delete(f"{LIST}{draft.public_id}/").status_code == 204
    assert api.post(LIST, {"procedure": code}, format="json").status_code == 201


def test_the_cap_is_told_on_the_page_too(settings, client, citizen, version):
    settings.DOSSIER_MAX_OPEN_DRAFTS = 1
    DossierFactory(applicant=citizen, version=version)
    client.force_login(citizen)
    start = reverse("submissions:start", args=[version.procedure.service_code])
    response = client.post(start, HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert response.redirect_chain[-1][0] == start
    assert "Bạn đang có 1 hồ sơ nháp chưa nộp" in response.content.decode()  # Vietnamese first
    assert Dossier.objects.filter(applicant=citizen).count() == 1


def test_too_many_files_in_one_request_is_a_json_400_under_the_api(settings, api, citizen, version):
    """Found by the fuzzer (issue 13): Django refuses a request with more file parts than
    DATA_UPLOAD_MAX_NUMBER_FILES before any view, with its HTML page; under /api/ it is the one
    JSON error shape, with the limits, and nothing is stored."""
    dossier = DossierFactory(applicant=citizen, version=version)
    document = version.documents.first()
    files = [_pdf() for _ in range(settings.DATA_UPLOAD_MAX_NUMBER_FILES + 1)]
    response = api.post(
        f"{LIST}{dossier.public_id}/files/",
        {"document": document.pk, "files": files},
        format="multipart",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert (
        f"Send at most {settings.DATA_UPLOAD_MAX_NUMBER_FILES} files" in response.json()["detail"]
    )
    assert dossier.files.count() == 0


def test_too_many_files_on_a_page_is_djangos_400_page(client, settings, citizen, version):
    dossier = DossierFactory(applicant=citizen, version=version)
    client.force_login(citizen)
    files = [_pdf() for _ in range(settings.DATA_UPLOAD_MAX_NUMBER_FILES + 1)]
    response = client.post(
        reverse("submissions:documents", args=[dossier.public_id]), {"files": files}
    )
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")

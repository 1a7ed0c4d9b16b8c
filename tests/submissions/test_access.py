"""Another user's dossier does not exist for you: every citizen page and API endpoint that names
a dossier answers 404 to anyone but its applicant, whatever the method, and changes nothing.

The walks iterate over the URL configuration itself, so that a page added later is either walked
or makes `test_every_dossier_page_is_walked` fail."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from portal import urls as portal_urls
from submissions import services
from submissions import urls as submission_urls
from submissions.models import Dossier, DossierEvent, DossierFile, State
from tests.factories import (
    PDF_BYTES,
    CitizenFactory,
    DossierFactory,
    OfficerFactory,
    ProcedureVersionFactory,
)

pytestmark = pytest.mark.django_db

# The methods each page that names a dossier is meant for (a 404 is required); any other method
# may get 405 or 404, never more. A new page with a public_id must be added here
# (test_every_dossier_page_is_walked fails until it is).
PAGE_METHODS = {
    "detail": {"GET"},
    "edit": {"GET", "POST"},
    "documents": {"GET", "POST"},
    "remove_file": {"POST"},
    "file": {"GET"},
    "review": {"GET"},
    "submit": {"POST"},
    "withdraw": {"GET", "POST"},
    "delete": {"POST"},
}
# Pages that name no dossier, each tested on its own below.
OTHER_PAGES = {"list", "track", "start"}
API_METHODS = ("get", "post", "put", "patch", "delete")


def _dossier_patterns(patterns) -> list[URLPattern]:
    return [p for p in patterns if "public_id" in p.pattern.converters]


PAGES = _dossier_patterns(submission_urls.urlpatterns)
API_ENDPOINTS = _dossier_patterns(portal_urls.api_patterns)


def pdf(name: str = "scan.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF_BYTES, "application/pdf")


def _kwargs(pattern: URLPattern, dossier, file_id: int) -> dict:
    kwargs = {"public_id": dossier.public_id}
    if "file_id" in pattern.pattern.converters:
        kwargs["file_id"] = file_id
    assert set(kwargs) == set(pattern.pattern.converters), pattern
    return kwargs


def _page_url(pattern: URLPattern, dossier, file_id: int) -> str:
    return reverse(f"submissions:{pattern.name}", kwargs=_kwargs(pattern, dossier, file_id))


def _page_data(dossier) -> dict:
    """A plausible POST for any page: what an attacker would send to change the dossier."""
    requirement = dossier.version.documents.first()
    return {
        "applicant_name": "Kẻ Lạ",
        "applicant_citizen_id": "001090012345",
        "applicant_phone": "0912345678",
        "q_full_name": "Kẻ Lạ",
        "continue": "1",
        "requirement": requirement.pk,
        "files": [pdf()],
        "reason": "Không phải của tôi",
        "note": "Không phải của tôi",
    }


def _state(dossier) -> dict:
    """What no one but the applicant may change."""
    fresh = Dossier.objects.get(pk=dossier.pk)
    files = DossierFile.objects.filter(dossier=fresh).order_by("pk")
    return {
        "state": fresh.state,
        "code": fresh.code,
        "answers": fresh.answers,
        "name": fresh.applicant_name,
        "updated_at": fresh.updated_at,
        "files": list(files.values_list("pk", "name", "sha256", "removed_at")),
        "on_disk": [Path(f.file.path).read_bytes() for f in files],
        "events": DossierEvent.objects.filter(dossier=fresh).count(),
        "supplements": list(fresh.supplements.values_list("pk", "answered_at")),
    }


@pytest.fixture
def owner():
    return CitizenFactory(language="en")


@pytest.fixture
def intruder():
    return CitizenFactory(language="en")


@pytest.fixture
def version():
    return ProcedureVersionFactory(
        published=True,
        level3=True,
        documents=[{"name": "Đơn đề nghị"}, {"name": "Giấy tờ khác", "required": False}],
    )


@pytest.fixture
def owners_dossiers(owner, version):
    """The owner's dossiers in each kind of state the citizen pages treat differently, all with
    files: a draft, a submitted one and one the agency asked to supplement (editable again)."""
    draft = DossierFactory(applicant=owner, version=version, complete=True)
    services.dossier_add_files(
        dossier=draft,
        actor=owner,
        requirement_id=version.documents.get(required=False).pk,
        files=[pdf("them.pdf")],
    )
    submitted = DossierFactory(applicant=owner, version=version, submitted=True)
    supplement = DossierFactory(applicant=owner, version=version, submitted=True)
    services.dossier_request_supplement(
        dossier=supplement,
        actor=OfficerFactory(agency=supplement.agency, roles=["desk"]),
        reason="Thiếu trang 2.",
        items=["Trang 2 của đơn"],
    )
    supplement.refresh_from_db()
    assert (draft.state, submitted.state, supplement.state) == (
        State.DRAFT,
        State.SUBMITTED,
        State.SUPPLEMENT_REQUIRED,
    )
    return [draft, submitted, supplement]


def test_every_dossier_page_is_walked():
    names = {p.name for p in submission_urls.urlpatterns}
    with_dossier = {p.name for p in PAGES}
    assert with_dossier == set(PAGE_METHODS), (
        "a page that names a dossier is missing from PAGE_METHODS (or was removed)"
    )
    assert names - with_dossier == OTHER_PAGES, "a new page: test its access rules here"


def _walk_pages(client, dossiers) -> list[str]:
    """Every page × method for every dossier; returns what did not answer as expected."""
    wrong = []
    for dossier in dossiers:
        file_id = dossier.files.first().pk
        for pattern in PAGES:
            address = _page_url(pattern, dossier, file_id)
            for method in ("GET", "POST"):
                if method == "GET":
                    response = client.get(address)
                else:
                    response = client.post(address, _page_data(dossier))
                expected = {404} if method in PAGE_METHODS[pattern.name] else {404, 405}
                if response.status_code not in expected:
                    wrong.append(f"{method} {address} ({pattern.name}, {dossier.state}): "
                                 f"{response.status_code}, expected {expected}")  # fmt: skip
    return wrong


def test_another_citizens_dossiers_are_404_on_every_page(client, intruder, owners_dossiers):
    before = [_state(d) for d in owners_dossiers]
    client.force_login(intruder)
    assert _walk_pages(client, owners_dossiers) == []
    assert [_state(d) for d in owners_dossiers] == before
    assert not Dossier.objects.filter(applicant=intruder).exists()


def test_an_officer_of_the_agency_is_not_the_applicant(client, owners_dossiers):
    agency = owners_dossiers[0].agency
    officer = OfficerFactory(agency=agency, roles=["desk", "specialist"], is_staff=True)
    before = [_state(d) for d in owners_dossiers]
    client.force_login(officer)
    assert _walk_pages(client, owners_dossiers) == []
    assert [_state(d) for d in owners_dossiers] == before


def test_a_superuser_is_not_the_applicant_either(client, superuser, owners_dossiers):
    client.force_login(superuser)
    assert _walk_pages(client, owners_dossiers) == []


def test_a_missing_dossier_looks_the_same_as_someone_elses(client, intruder, owners_dossiers):
    client.force_login(intruder)
    dossier = owners_dossiers[1]
    theirs = client.get(reverse("submissions:detail", args=[dossier.public_id]))
    missing = client.get(
        reverse("submissions:detail", args=["00000000-0000-4000-8000-000000000000"])
    )
    assert theirs.status_code == missing.status_code == 404
    assert theirs.content == missing.content


def test_anonymous_visitors_are_sent_to_log_in(client, owners_dossiers, version):
    login = reverse("login")
    dossier = owners_dossiers[1]
    addresses = [_page_url(p, dossier, dossier.files.first().pk) for p in PAGES]
    addresses += [
        reverse("submissions:list"),
        reverse("submissions:start", args=[version.procedure.service_code]),
    ]
    before = _state(dossier)
    for address in addresses:
        for response in (client.get(address), client.post(address, _page_data(dossier))):
            assert response.status_code == 302, address
            assert response["Location"] == f"{login}?next={address}", address
    assert _state(dossier) == before
    # Tracking is the one public page.
    assert client.get(reverse("submissions:track")).status_code == 200


def test_my_dossiers_and_the_start_page_show_only_ones_own(client, intruder, owners_dossiers):
    mine = DossierFactory(applicant=intruder, version=owners_dossiers[0].version)
    client.force_login(intruder)
    page = client.get(reverse("submissions:list")).content.decode()
    assert str(mine.public_id) in page
    for dossier in owners_dossiers:
        assert str(dossier.public_id) not in page
        assert dossier.code is None or dossier.code not in page
    start = client.get(
        reverse("submissions:start", args=[mine.version.procedure.service_code])
    ).content.decode()
    assert str(mine.public_id) in start
    assert str(owners_dossiers[0].public_id) not in start


def test_a_file_of_another_dossier_under_ones_own_dossier(client, intruder, owners_dossiers):
    """The intruder's own public_id with the owner's file id: the file is not in that dossier."""
    own = DossierFactory(applicant=intruder, version=owners_dossiers[0].version, complete=True)
    client.force_login(intruder)
    before = [_state(d) for d in owners_dossiers]
    own_before = _state(own)
    for dossier in owners_dossiers:
        for record in dossier.files.all():
            response = client.get(reverse("submissions:file", args=[own.public_id, record.pk]))
            assert response.status_code == 404
            assert not response.has_header("Content-Disposition")
    # Removing it: the same answer as for a file id that does not exist, and nothing changes.
    foreign = owners_dossiers[0].files.first().pk
    removed = client.post(
        reverse("submissions:remove_file", args=[own.public_id, foreign]), follow=True
    )
    nonexistent = client.post(
        reverse("submissions:remove_file", args=[own.public_id, 999_999_999]), follow=True
    )
    assert removed.status_code == nonexistent.status_code == 200
    assert removed.redirect_chain == nonexistent.redirect_chain
    notice = "This file is no longer in the dossier."
    assert notice in removed.content.decode() and notice in nonexistent.content.decode()
    assert [_state(d) for d in owners_dossiers] == before
    assert _state(own) == own_before


def test_the_owner_can_open_the_same_pages(client, owner, owners_dossiers):
    """The walk above would pass for pages that are 404 for everyone: they are not."""
    client.force_login(owner)
    for dossier in owners_dossiers:
        record = dossier.files.first()
        assert (
            client.get(reverse("submissions:detail", args=[dossier.public_id])).status_code == 200
        )
        response = client.get(reverse("submissions:file", args=[dossier.public_id, record.pk]))
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PDF_BYTES
    draft, _submitted, supplement = owners_dossiers
    for dossier in (draft, supplement):
        for name in ("edit", "documents", "review"):
            assert (
                client.get(reverse(f"submissions:{name}", args=[dossier.public_id])).status_code
                == 200
            )


# --- the API -------------------------------------------------------------------------------------


def _api_client(user) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return api


def _api_call(api, method: str, address: str, dossier):
    if method == "post" and address.endswith("/files/"):
        requirement = dossier.version.documents.first().pk
        return api.post(address, {"requirement": requirement, "files": [pdf()]}, format="multipart")
    payload = {
        "answers": {"full_name": "Kẻ Lạ"},
        "applicant": {"name": "Kẻ Lạ"},
        "reason": "Không phải của tôi",
        "note": "Không phải của tôi",
    }
    return getattr(api, method)(address, payload if method != "get" else None, format="json")


def _walk_api(api, dossiers) -> list[str]:
    wrong = []
    for dossier in dossiers:
        file_id = dossier.files.first().pk
        for pattern in API_ENDPOINTS:
            address = reverse(pattern.name, kwargs=_kwargs(pattern, dossier, file_id))
            view = pattern.callback.view_class
            for method in API_METHODS:
                expected = 404 if hasattr(view, method) else 405
                response = _api_call(api, method, address, dossier)
                if response.status_code != expected:
                    wrong.append(f"{method.upper()} {address} ({pattern.name}, {dossier.state}): "
                                 f"{response.status_code}, expected {expected}")  # fmt: skip
    return wrong


def test_the_api_has_dossier_endpoints_to_walk():
    names = {p.name for p in API_ENDPOINTS}
    assert {"api-dossier", "api-dossier-files", "api-dossier-file", "api-dossier-submit"} <= names


def test_another_citizens_dossiers_are_404_in_the_api(intruder, owners_dossiers):
    before = [_state(d) for d in owners_dossiers]
    assert _walk_api(_api_client(intruder), owners_dossiers) == []
    assert [_state(d) for d in owners_dossiers] == before


def test_an_officer_gets_404_in_the_citizens_api(owners_dossiers):
    officer = OfficerFactory(agency=owners_dossiers[0].agency, roles=["desk", "specialist"])
    before = [_state(d) for d in owners_dossiers]
    assert _walk_api(_api_client(officer), owners_dossiers) == []
    assert [_state(d) for d in owners_dossiers] == before


def test_the_api_list_shows_only_ones_own(intruder, owners_dossiers):
    mine = DossierFactory(applicant=intruder, version=owners_dossiers[0].version)
    response = _api_client(intruder).get(reverse("api-dossiers"))
    assert response.status_code == 200
    body = response.content.decode()
    assert str(mine.public_id) in body
    assert all(str(d.public_id) not in body for d in owners_dossiers)


def test_a_file_of_another_dossier_under_ones_own_dossier_in_the_api(intruder, owners_dossiers):
    own = DossierFactory(applicant=intruder, version=owners_dossiers[0].version, complete=True)
    api = _api_client(intruder)
    before = [_state(d) for d in owners_dossiers]
    for dossier in owners_dossiers:
        for record in dossier.files.all():
            address = reverse("api-dossier-file", args=[own.public_id, record.pk])
            assert api.get(address).status_code == 404
            assert api.delete(address).status_code == 404
    assert [_state(d) for d in owners_dossiers] == before


def test_anonymous_api_calls_are_refused(owners_dossiers):
    api = APIClient()
    dossier = owners_dossiers[1]
    for pattern in API_ENDPOINTS:
        address = reverse(pattern.name, kwargs=_kwargs(pattern, dossier, dossier.files.first().pk))
        for method in API_METHODS:
            if hasattr(pattern.callback.view_class, method):
                response = _api_call(api, method, address, dossier)
                assert response.status_code in (401, 403), f"{method} {address}"

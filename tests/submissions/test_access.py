"""Another user's dossier does not exist for you: every citizen page and API endpoint that names
a dossier answers 404 to anyone but its applicant, whatever the method, and changes nothing.

The walks iterate over the URL configuration itself, so that a page added later is either walked
or makes `test_every_dossier_page_is_walked` fail."""

import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from office import actions as office
from office import services as workflow
from office import urls as office_url_conf
from portal import urls as portal_urls
from signing import services as signing_services
from signing.models import Document
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
from tests.submissions.workflow_support import advance, crew, documents_of, fake_sign

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
    "delivery": {"POST"},
    "delete": {"POST"},
    "document": {"GET"},
}
# Pages that name no dossier, each tested on its own below.
OTHER_PAGES = {"list", "track", "start"}
API_METHODS = ("get", "post", "put", "patch", "delete")


def _dossier_patterns(patterns) -> list[URLPattern]:
    return [
        p for p in patterns if isinstance(p, URLPattern) and "public_id" in p.pattern.converters
    ]


PAGES = _dossier_patterns(submission_urls.urlpatterns)
# The citizen's API; the staff's (api-office-*, under /api/v1/office/) answers to officers of the
# dossier's agency and is tested in tests/submissions/test_api_office.py.
API_ENDPOINTS = [
    p for p in _dossier_patterns(portal_urls.api_patterns) if not p.name.startswith("api-office")
]


def pdf(name: str = "scan.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF_BYTES, "application/pdf")


def _kwargs(pattern: URLPattern, dossier, file_id: int) -> dict:
    kwargs = {"public_id": dossier.public_id}
    if "file_id" in pattern.pattern.converters:
        kwargs["file_id"] = file_id
    if "document_id" in pattern.pattern.converters:
        kwargs["document_id"] = _signed_document(dossier).pk
    assert set(kwargs) == set(pattern.pattern.converters), pattern
    return kwargs


def _page_url(pattern: URLPattern, dossier, file_id: int) -> str:
    return reverse(f"submissions:{pattern.name}", kwargs=_kwargs(pattern, dossier, file_id))


def _signed_document(dossier):
    """The dossier's signed slip (each dossier of the walks has one: see `owners_dossiers`)."""
    (document,) = documents_of(dossier, "receipt")
    return document


def _give_a_signed_slip(dossier):
    """A signed document owned by the dossier and addressed to its applicant (a receipt), as the
    signing worker leaves one."""
    document = signing_services.document_request(
        kind="receipt",
        title="Giấy tiếp nhận hồ sơ và hẹn trả kết quả",
        template="documents/form.html",
        context={},
        agency=dossier.agency,
        owner=dossier,
    )
    return fake_sign(document)


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
        "assignee": fresh.assignee_id,
        "due_at": fresh.due_at,
        "documents": list(
            Document.objects.filter(owner_id=fresh.pk).values_list("pk", "status").order_by("pk")
        ),
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
    workflow.dossier_request_supplement(
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
    for dossier in (draft, submitted, supplement):
        _give_a_signed_slip(dossier)
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

    # The same page but for the address asked (its language links lead back to it) and the
    # sign-out form's token (masked afresh on every page).
    def page(response, public_id):
        content = response.content.replace(str(public_id).encode(), b"ID")
        return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"TOKEN", content)

    assert page(theirs, dossier.public_id) == page(missing, "00000000-0000-4000-8000-000000000000")


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
        document = _signed_document(dossier)
        response = client.get(
            reverse("submissions:document", args=[dossier.public_id, document.pk])
        )
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert b"".join(response.streaming_content) == PDF_BYTES
    draft, _submitted, supplement = owners_dossiers
    for dossier in (draft, supplement):
        for name in ("edit", "documents", "review"):
            assert (
                client.get(reverse(f"submissions:{name}", args=[dossier.public_id])).status_code
                == 200
            )


def test_a_document_of_another_dossier_under_ones_own_dossier(client, intruder, owners_dossiers):
    own = DossierFactory(applicant=intruder, version=owners_dossiers[0].version, submitted=True)
    _give_a_signed_slip(own)
    client.force_login(intruder)
    for dossier in owners_dossiers:
        foreign = _signed_document(dossier)
        response = client.get(reverse("submissions:document", args=[own.public_id, foreign.pk]))
        assert response.status_code == 404
        assert not response.has_header("Content-Disposition")
    # The intruder's own slip does download: the 404s above are about whose document it is.
    mine = _signed_document(own)
    assert (
        client.get(reverse("submissions:document", args=[own.public_id, mine.pk])).status_code
        == 200
    )


def test_an_unsigned_document_is_not_served_even_to_the_owner(client, owner, owners_dossiers):
    supplement = owners_dossiers[2]
    (slip,) = documents_of(supplement, "supplement")
    assert slip.status == Document.Status.PENDING
    client.force_login(owner)
    response = client.get(reverse("submissions:document", args=[supplement.public_id, slip.pk]))
    assert response.status_code == 404


@pytest.fixture
def people(agency, other_agency):
    return crew(agency, other_agency)


def test_a_level4_result_is_collected_only_by_its_applicant(client, owner, intruder, people):
    version = ProcedureVersionFactory(
        published=True, level4=True, procedure__agency=people.desk.agency
    )
    dossier = advance(
        DossierFactory(applicant=owner, version=version, submitted=True), State.RESOLVED, people
    )
    (result,) = documents_of(dossier, "result")
    address = reverse("submissions:document", args=[dossier.public_id, result.pk])
    before = _state(dossier)
    for someone in (intruder, people.desk, people.leader, people.stranger):
        client.force_login(someone)
        assert client.get(address).status_code == 404
    client.logout()
    assert client.get(address).status_code == 302
    assert _state(dossier) == before  # still resolved: nobody else's download hands it back
    client.force_login(owner)
    assert client.get(address).status_code == 200
    assert Dossier.objects.get(pk=dossier.pk).state == State.RETURNED


# --- the back-office (/office/) ---------------------------------------------------------------

# The methods each back-office page that names a dossier is meant for (a 404 is required for
# anyone but an officer of the dossier's agency); any other method may get 405 or 404.
OFFICE_PAGE_METHODS = {
    "dossier": {"GET"},
    "certify": {"POST"},
    "file": {"GET"},
    "control_sheet": {"POST"},
    "act": {"POST"},
    "sign": {"GET", "POST"},  # the leader's personal signature
    "sign_pdf": {"GET"},
    "draft_pdf": {"GET"},  # a draft of the result (dự thảo)
}
# intake names no dossier; who may use it: tests/office/test_intake.py; the register of outgoing
# documents (each agency's own): tests/office/test_outgoing_register.py; the statistics and the
# reports of procedure results (the agency's own and its units'): tests/stats/test_dashboard.py,
# tests/stats/test_reports.py
OFFICE_OTHER_PAGES = {"queue", "register", "intake", "outgoing", "statistics", "reports"}
OFFICE_PAGES = _dossier_patterns(office_url_conf.urlpatterns)


def test_every_office_page_is_walked():
    names = {p.name for p in office_url_conf.urlpatterns}
    assert {p.name for p in OFFICE_PAGES} == set(OFFICE_PAGE_METHODS), (
        "a back-office page that names a dossier is missing from OFFICE_PAGE_METHODS"
    )
    assert names - set(OFFICE_PAGE_METHODS) == OFFICE_OTHER_PAGES, "a new page: walk it here"


def _office_addresses(dossier) -> list[tuple[str, str]]:
    """(page name, address) for every back-office page of the dossier; `act` once per action."""
    file_id = dossier.files.first().pk
    addresses = []
    for pattern in OFFICE_PAGES:
        kwargs = {"public_id": dossier.public_id}
        if "file_id" in pattern.pattern.converters:
            kwargs["file_id"] = file_id
        if "component_id" in pattern.pattern.converters:  # none on an online dossier: 404 too
            kwargs["component_id"] = 1
        if "number" in pattern.pattern.converters:  # a result draft's number
            kwargs["number"] = 1
        actions = list(office.ACTIONS) if "action" in pattern.pattern.converters else [None]
        for action in actions:
            if action is not None:
                kwargs["action"] = action
            assert set(kwargs) == set(pattern.pattern.converters), pattern
            addresses.append((pattern.name, reverse(f"office:{pattern.name}", kwargs=kwargs)))
    return addresses


def _office_data(dossier, specialist) -> dict:
    """A plausible POST for every action at once (each form reads its own prefix)."""
    data = {}
    for action in office.ACTIONS:
        data.update(
            {
                f"{action}-expected_state": dossier.state,
                f"{action}-reason": "Không phải của tôi",
                f"{action}-reasons": "Không phải của tôi",
                f"{action}-items": "Giấy tờ",
                f"{action}-note": "Không phải của tôi",
                f"{action}-specialist": specialist.pk,
                f"{action}-decision": "grant",
                f"{action}-result_content": "Cấp",
                f"{action}-received_by": "Kẻ Lạ",
                f"{action}-new_due": "2099-01-01T10:00",
            }
        )
    return data


@pytest.fixture
def agency_dossiers(people, owner):
    """Dossiers of agency A in the states where each action is offered."""
    version = ProcedureVersionFactory(
        published=True, level3=True, procedure__agency=people.desk.agency
    )
    return [
        advance(DossierFactory(applicant=owner, version=version, submitted=True), state, people)
        for state in (State.SUBMITTED, State.RECEIVED, State.PROCESSING, State.PENDING_APPROVAL)
    ]


def _walk_office(client, dossiers, specialist) -> list[str]:
    wrong = []
    for dossier in dossiers:
        for name, address in _office_addresses(dossier):
            for method in ("GET", "POST"):
                if method == "GET":
                    response = client.get(address)
                else:
                    response = client.post(address, _office_data(dossier, specialist))
                expected = {404} if method in OFFICE_PAGE_METHODS[name] else {404, 405}
                if response.status_code not in expected:
                    wrong.append(f"{method} {address} ({name}, {dossier.state}): "
                                 f"{response.status_code}, expected {expected}")  # fmt: skip
    return wrong


@pytest.mark.parametrize("who", ["applicant", "citizen", "other_agency_officer"])
def test_nobody_outside_the_agency_reaches_its_dossiers_in_the_office(
    client, people, owner, agency_dossiers, who
):
    user = {"applicant": owner, "citizen": people.citizen, "other_agency_officer": people.stranger}[
        who
    ]
    before = [_state(d) for d in agency_dossiers]
    documents = Document.objects.count()
    client.force_login(user)
    assert _walk_office(client, agency_dossiers, people.specialist) == []
    assert [_state(d) for d in agency_dossiers] == before
    assert Document.objects.count() == documents  # no control sheet was made either


def test_citizens_get_404_on_the_office_pages_without_a_dossier(client, people, owner):
    for user in (owner, people.citizen):
        client.force_login(user)
        for name in sorted(OFFICE_OTHER_PAGES):
            assert client.get(reverse(f"office:{name}")).status_code == 404, (user, name)


def test_anonymous_visitors_are_sent_to_log_in_from_the_office(client, people, agency_dossiers):
    login = reverse("login")
    before = [_state(d) for d in agency_dossiers]
    addresses = [a for d in agency_dossiers for _name, a in _office_addresses(d)]
    addresses += [reverse(f"office:{name}") for name in sorted(OFFICE_OTHER_PAGES)]
    for address in addresses:
        for response in (
            client.get(address),
            client.post(address, {"accept-expected_state": "submitted"}),
        ):
            assert response.status_code == 302, address
            assert response["Location"] == f"{login}?next={address}", address
    assert [_state(d) for d in agency_dossiers] == before


def test_another_agencys_queue_and_register_do_not_show_the_dossiers(
    client, people, agency_dossiers
):
    today = timezone.localdate()
    register = reverse("office:register")
    # The agency's own desk finds them all in the register of the day...
    client.force_login(people.desk)
    own = client.get(register, {"start": today, "end": today}).content.decode()
    assert all(dossier.code in own for dossier in agency_dossiers)
    # ...another agency's officer in none of its pages.
    client.force_login(people.stranger)
    pages = [client.get(reverse("office:queue"), {"tab": tab}) for tab in ("desk", "all")]
    pages.append(client.get(register, {"start": today, "end": today}))
    for response in pages:
        assert response.status_code == 200
        body = response.content.decode()
        for dossier in agency_dossiers:
            assert dossier.code not in body and str(dossier.public_id) not in body


def test_the_agencys_officer_opens_the_same_office_pages(client, people, agency_dossiers):
    """The walks above would pass for pages that are 404 for everyone: they are not."""
    client.force_login(people.desk)
    for dossier in agency_dossiers:
        page = client.get(reverse("office:dossier", args=[dossier.public_id]))
        assert page.status_code == 200 and dossier.code in page.content.decode()
        record = dossier.files.first()
        response = client.get(reverse("office:file", args=[dossier.public_id, record.pk]))
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PDF_BYTES
    queue = client.get(reverse("office:queue"), {"tab": "all"}).content.decode()
    assert all(d.code in queue for d in agency_dossiers)


def test_the_control_sheet_is_the_agencys_not_the_applicants(
    client, owner, people, agency_dossiers
):
    """Mẫu 05 is an internal record: the office lists and downloads it; the applicant neither
    sees it on their pages nor downloads it (404), while their receipt is theirs."""
    dossier = agency_dossiers[2]  # processing
    client.force_login(people.specialist)
    address = reverse("office:control_sheet", args=[dossier.public_id])
    assert client.post(address).status_code == 302
    (sheet,) = documents_of(dossier, "control_sheet", staff=True)
    sheet = fake_sign(sheet)
    (receipt,) = documents_of(dossier, "receipt")
    receipt = fake_sign(receipt)
    own_download = reverse("submissions:document", args=[dossier.public_id, sheet.pk])
    public_download = reverse("signing:download", args=[sheet.verification_code])
    # The office: listed on its page and in its API, and downloaded.
    page = client.get(reverse("office:dossier", args=[dossier.public_id])).content.decode()
    assert public_download in page
    office_body = (
        _api_client(people.specialist)
        .get(reverse("api-office-dossier", args=[dossier.public_id]))
        .json()
    )
    assert {"receipt", "control_sheet"} <= {d["kind"] for d in office_body["documents"]}
    response = client.get(public_download)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES
    # The applicant: neither on the page nor in the API, and its download is 404.
    client.force_login(owner)
    page = client.get(reverse("submissions:detail", args=[dossier.public_id])).content.decode()
    assert sheet.title not in page and sheet.verification_code not in page
    assert own_download not in page
    assert reverse("submissions:document", args=[dossier.public_id, receipt.pk]) in page
    response = client.get(own_download)
    assert response.status_code == 404
    assert not response.has_header("Content-Disposition")
    body = _api_client(owner).get(reverse("api-dossier", args=[dossier.public_id])).json()
    assert [d["kind"] for d in body["documents"]] == ["receipt"]
    response = client.get(reverse("submissions:document", args=[dossier.public_id, receipt.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES


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

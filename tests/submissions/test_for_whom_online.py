"""Who files for whom, online (issue 14, item 4): a citizen filing in the browser says whether
the dossier is for themself, for a pupil as parent or guardian, for someone they represent, or for
an organisation; the same rule as the desk's (submissions.filers): a subject's name, an
organisation's name, valid enterprise or tax code and address. Bad input is refused in place,
in Vietnamese, and nothing stored changes; the papers, the register and the API show both."""

import re

import pytest
from django.urls import reverse

from office import slips
from submissions import services
from submissions.models import DocumentKind, FilerRole
from tests.factories import DossierFactory
from tests.submissions.workflow_support import fresh

pytestmark = pytest.mark.django_db

APPLICANT = {
    "applicant_name": "Trần Thị Phụ Huynh",
    "applicant_citizen_id": "001185012345",
    "applicant_phone": "0987654321",
}


@pytest.fixture
def dossier():
    return DossierFactory(complete=True)


def post(client, dossier, data, *, final=True):
    client.force_login(dossier.applicant)
    url = reverse("submissions:edit", args=[dossier.public_id])
    body = {**APPLICANT, **data}
    for spec in dossier.version.form_schema:
        body.setdefault(f"q_{spec['name']}", dossier.answers.get(spec["name"], ""))
    body["continue" if final else "save"] = "1"
    return client.post(url, body)


def test_the_form_asks_for_whom_with_the_filer_themself_first(client, dossier):
    client.force_login(dossier.applicant)
    page = client.get(reverse("submissions:edit", args=[dossier.public_id])).content.decode()
    assert 'id="for-whom"' in page
    assert re.search(r'<input type="radio" name="filer_role" value="self"[^>]* checked>', page)
    assert 'data-shown-when="filer_role=parent,representative"' in page


def test_a_parent_files_for_their_child(client, dossier):
    response = post(
        client,
        dossier,
        {
            "filer_role": "parent",
            "subject_name": "  Lê   Minh Khôi ",
            "subject_birth_date": "02/09/2015",
            "org_name": "left over from another choice",
        },
    )
    assert response.status_code == 302
    stored = fresh(dossier)
    assert (stored.filer_role, stored.subject_name, str(stored.subject_birth_date)) == (
        FilerRole.PARENT,
        "Lê Minh Khôi",
        "2015-09-02",
    )
    assert stored.org_name == ""  # what belongs to another choice is not kept
    review = client.get(reverse("submissions:review", args=[dossier.public_id])).content.decode()
    assert "Lê Minh Khôi" in review and "02/09/2015" in review
    services.dossier_submit(dossier=stored, actor=stored.applicant)
    facts = slips.BUILDERS[DocumentKind.RECEIPT](fresh(dossier), {})["facts"]
    assert [
        "Chủ hồ sơ",
        "Lê Minh Khôi — người nộp là cha, mẹ hoặc người giám hộ của chủ hồ sơ",
    ] in facts


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"filer_role": "parent", "subject_name": " "},
            "subject_name",
            "Hãy ghi họ và tên người được nộp hồ sơ thay (chủ hồ sơ).",
        ),
        (
            {
                "filer_role": "representative",
                "subject_name": "Lê Văn B",
                "subject_id_number": "123",
            },
            "subject_id_number",
            None,  # the citizen ID rule's own message
        ),
        (
            {
                "filer_role": "organisation",
                "org_name": "Công ty TNHH Ánh Dương",
                "org_tax_code": "0105689123",  # the check digit is 2
                "org_address": "18 Quán Thánh",
            },
            "org_tax_code",
            "Mã số doanh nghiệp/mã số thuế không hợp lệ",
        ),
        ({"filer_role": "organisation", "org_tax_code": "0105689122"}, "org_name", None),
        ({"filer_role": "someone"}, "filer_role", None),
    ],
)
def test_bad_input_is_refused_in_place_and_nothing_changes(client, dossier, data, field, message):
    before = fresh(dossier)
    response = post(client, dossier, data)
    assert response.status_code == 200
    form = response.context["form"]
    assert field in form.errors
    if message:
        assert form.errors[field][0].startswith(message)
    page = response.content.decode()
    assert f'id="id_{field}_error"' in page or 'name="filer_role"' in page
    after = fresh(dossier)
    assert (after.filer_role, after.subject_name, after.org_name, after.answers) == (
        before.filer_role,
        before.subject_name,
        before.org_name,
        before.answers,
    )


def test_a_draft_may_leave_the_subject_for_later_but_cannot_be_submitted_so(client, dossier):
    assert post(client, dossier, {"filer_role": "representative"}, final=False).status_code == 302
    assert fresh(dossier).filer_role == FilerRole.REPRESENTATIVE
    problems = services.dossier_missing(fresh(dossier))
    assert any("Hãy ghi họ và tên người được nộp hồ sơ thay (chủ hồ sơ)." in p for p in problems)


def test_an_organisation_files_and_the_api_keeps_what_the_form_said(client, dossier):
    # A procedure open to organisations as to individuals.
    type(dossier.version).objects.filter(pk=dossier.version_id).update(applicant_type="both")
    organisation = {
        "filer_role": "organisation",
        "org_name": "Công ty TNHH Giáo dục Ánh Dương",
        "org_tax_code": "0105689122",
        "org_address": "18 Phố Quán Thánh, Hà Nội",
        "org_representative": "Phạm Thị Lan",
    }
    assert post(client, dossier, organisation).status_code == 302
    # A PATCH of the answers through the API (which has no for-whom fields) leaves them.
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(dossier.applicant)
    url = reverse("api-dossier", args=[dossier.public_id])
    patched = api.patch(url, {"applicant": {"phone": "0912000111"}}, format="json")
    assert patched.status_code == 200, patched.content
    stored = fresh(dossier)
    assert (stored.applicant_phone, stored.filer_role, stored.org_tax_code) == (
        "0912000111",
        FilerRole.ORGANISATION,
        "0105689122",
    )
    services.dossier_submit(dossier=stored, actor=stored.applicant)
    facts = slips.BUILDERS[DocumentKind.RECEIPT](fresh(dossier), {})["facts"]
    assert [
        "Tổ chức đề nghị",
        "Công ty TNHH Giáo dục Ánh Dương, mã số doanh nghiệp/mã số thuế 0105689122, "
        "18 Phố Quán Thánh, Hà Nội; người đại diện theo pháp luật: Phạm Thị Lan",
    ] in facts


def test_a_number_typed_in_groups_is_read_whole():
    """Found in review: the subject's ID was cut to 12 characters before its spaces were taken
    out, so "079 012 345 678" became "079012345" and was refused."""
    from submissions.filers import check_for_whom

    details, problems = check_for_whom(
        {
            "filer_role": "parent",
            "subject_name": "Lê Minh Khôi",
            "subject_id_number": "079 215 012 345",
        }
    )
    assert problems == {} and details["subject_id_number"] == "079215012345"
    details, problems = check_for_whom(
        {"filer_role": "organisation", "org_name": "Công ty", "org_address": "Hà Nội",
         "org_tax_code": "0105 689 122"}
    )  # fmt: skip
    assert problems == {} and details["org_tax_code"] == "0105689122"


@pytest.mark.parametrize(
    ("applicant_type", "role", "refused"),
    [
        ("organization", "self", "Thủ tục này dành cho tổ chức: hãy nộp cho tổ chức."),
        ("organization", "parent", "Thủ tục này dành cho tổ chức: hãy nộp cho tổ chức."),
        ("organization", "organisation", None),
        ("individual", "organisation", "Thủ tục này dành cho cá nhân: không nộp cho tổ chức."),
        ("individual", "parent", None),
        ("both", "organisation", None),
        ("both", "self", None),
    ],
)
def test_whom_one_files_for_follows_whom_the_procedure_serves(applicant_type, role, refused):
    """Found in review: an organisations-only procedure (founding a school) could be filed for
    oneself, an individuals-only one for an organisation."""
    from submissions.filers import check_for_whom

    values = {
        "filer_role": role, "subject_name": "Lê Minh Khôi", "org_name": "Công ty",
        "org_tax_code": "0105689122", "org_address": "Hà Nội",
    }  # fmt: skip
    _details, problems = check_for_whom(values, applicant_type=applicant_type)
    assert problems.get("filer_role") == ([refused] if refused else None)


def test_the_online_form_refuses_an_organisation_for_an_individuals_procedure(client, dossier):
    assert dossier.version.applicant_type == "individual"
    response = post(
        client,
        dossier,
        {"filer_role": "organisation", "org_name": "Công ty", "org_tax_code": "0105689122",
         "org_address": "Hà Nội"},
    )  # fmt: skip
    assert response.status_code == 200
    assert response.context["form"].errors["filer_role"] == [
        "Thủ tục này dành cho cá nhân: không nộp cho tổ chức."
    ]
    assert fresh(dossier).filer_role == FilerRole.SELF

"""The citizen's filing pages through the Django test client: the whole flow, bad input (a clear
message on the page and nothing stored changed), supplements, withdrawal, deleting a draft, public
tracking and the submission email."""

import html
import re
import struct
import threading
import zlib
from pathlib import Path

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import translation

from office import services as workflow
from submissions import services
from submissions.forms import APPLICANT_FIELDS
from submissions.models import Dossier, DossierFile, State
from tests.factories import (
    PASSWORD,
    PDF_BYTES,
    CitizenFactory,
    DossierFactory,
    OfficerFactory,
    ProcedureVersionFactory,
    png_bytes,
)
from tests.submissions.workflow_support import (
    PROPOSAL_REASONS,
    SEND_BACK_NOTE,
    STOP_REASON,
    crew,
    through_internal_steps,
)

pytestmark = pytest.mark.django_db

SCHEMA = [
    {"name": "student_name", "label": "Student name", "type": "text", "required": True,
     "max_length": 20},
    {"name": "purpose", "label": "Purpose", "type": "textarea"},
    {"name": "graduation_year", "label": "Graduation year", "type": "number", "required": True,
     "min": 1975, "max": 2025},
    {"name": "birth_date", "label": "Date of birth", "type": "date", "required": True,
     "min": "1950-01-01", "max": "2020-12-31"},
    {"name": "copies", "label": "Copies", "type": "choice", "required": True,
     "choices": [{"value": "1", "label": "One copy"}, {"value": "2", "label": "Two copies"}]},
    {"name": "delivery", "label": "Delivery", "type": "multichoice",
     "choices": [{"value": "post", "label": "By post"}, {"value": "desk", "label": "At the desk"}]},
    {"name": "agree", "label": "I confirm", "type": "checkbox"},
    {"name": "contact_email", "label": "Contact email", "type": "email"},
    {"name": "contact_phone", "label": "Contact phone", "type": "phone"},
    {"name": "parent_id", "label": "Parent's citizen ID", "type": "citizen_id"},
]  # fmt: skip
DOCUMENTS = [
    {"name": "Application form", "required": True},
    {"name": "Transcript", "required": True},
    {"name": "Other papers", "required": False},
]
# What the edit page posts for a complete, valid dossier, and what is stored from it.
VALID_POST = {
    "applicant_name": "Nguyễn Thị An",
    "applicant_citizen_id": "001190012345",
    "applicant_phone": "0912345678",
    "applicant_email": "an.nguyen@example.vn",
    "applicant_address": "1 Tràng Tiền, Hà Nội",
    "q_student_name": "Trần Minh Khoa",
    "q_purpose": "Nộp hồ sơ du học",
    "q_graduation_year": "2008",
    "q_birth_date": "1990-05-17",
    "q_copies": "2",
    "q_delivery": ["post", "desk"],
    "q_agree": "on",
    "q_contact_email": "khoa@example.vn",
    "q_contact_phone": "+84912345678",
    "q_parent_id": "001060012345",
}
VALID_ANSWERS = {
    "student_name": "Trần Minh Khoa",
    "purpose": "Nộp hồ sơ du học",
    "graduation_year": 2008,
    "birth_date": "1990-05-17",
    "copies": "2",
    "delivery": ["post", "desk"],
    "agree": True,
    "contact_email": "khoa@example.vn",
    "contact_phone": "+84912345678",
    "parent_id": "001060012345",
}


# --- helpers -------------------------------------------------------------------------------------


def pdf(name: str = "giay-to.pdf", content: bytes = PDF_BYTES) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, "application/pdf")


def png(name: str = "anh.png", content: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content if content is not None else png_bytes(), "image/png")


def png_bomb(width: int, height: int) -> bytes:
    """A real PNG (1-bit grey, all black) of the given size: a few kilobytes on disk, gigabytes
    once decoded."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte, then the row's bits
    packer = zlib.compressobj(9)
    data = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )


def text(response) -> str:
    return response.content.decode()


def page_messages(response) -> list[str]:
    """The flash messages shown at the top of the page."""
    found = re.findall(r'<p class="message message-\w+">(.*?)</p>', text(response), re.S)
    return [html.unescape(m).strip() for m in found]


def field_errors(response, name: str) -> list[str]:
    """The errors shown with one field (`name` as in the form, e.g. q_copies)."""
    match = re.search(
        rf'<ul class="field-errors" id="id_{name}_error">(.*?)</ul>', text(response), re.S
    )
    if match is None:
        return []
    return [html.unescape(e).strip() for e in re.findall(r"<li>(.*?)</li>", match.group(1), re.S)]


def slot_errors(response, requirement_id: int) -> list[str]:
    """The errors shown under one document of the documents page."""
    match = re.search(
        rf'<section class="slot[^"]*" id="requirement-{requirement_id}"(.*?)</section>',
        text(response),
        re.S,
    )
    assert match, f"no slot {requirement_id} on the page"
    errors = re.search(r'<ul class="field-errors" role="alert">(.*?)</ul>', match.group(1), re.S)
    if errors is None:
        return []
    return [html.unescape(e).strip() for e in re.findall(r"<li>(.*?)</li>", errors.group(1), re.S)]


def missing_list(response) -> list[str]:
    """What the review page says is still missing."""
    match = re.search(r'<div class="form-errors" role="alert" id="missing">(.*?)</div>',
                      text(response), re.S)  # fmt: skip
    if match is None:
        return []
    return [html.unescape(e).strip() for e in re.findall(r"<li>(.*?)</li>", match.group(1), re.S)]


def files_on_disk(settings) -> list[str]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def snapshot(dossier, settings) -> dict:
    """Everything a failed request must leave as it was."""
    dossier = Dossier.objects.get(pk=dossier.pk)
    return {
        "state": dossier.state,
        "applicant": {name: getattr(dossier, name) for name in APPLICANT_FIELDS},
        "answers": dossier.answers,
        "updated_at": dossier.updated_at,
        "files": list(
            DossierFile.objects.filter(dossier=dossier)
            .order_by("pk")
            .values_list("pk", "name", "sha256", "requirement_id", "removed_at")
        ),
        "on_disk": files_on_disk(settings),
    }


def url(name: str, dossier, *args) -> str:
    return reverse(f"submissions:{name}", args=[dossier.public_id, *args])


# --- fixtures ------------------------------------------------------------------------------------


@pytest.fixture
def version():
    return ProcedureVersionFactory(
        published=True, level3=True, form_schema=SCHEMA, documents=DOCUMENTS
    )


@pytest.fixture
def documents(version):
    """The version's documents by name."""
    return {document.name: document for document in version.documents.all()}


@pytest.fixture
def citizen():
    # Pages in English, so that assertions can read the messages.
    return CitizenFactory(email="an.nguyen@example.vn", full_name="Nguyễn Thị An", language="en")


@pytest.fixture
def logged_in(client, citizen):
    client.force_login(citizen)
    return client


def make_dossier(applicant, version, *, submit: bool = False):
    """A dossier with every answer and a PDF for each required document; submitted if asked."""
    dossier = DossierFactory(applicant=applicant, version=version, answers=dict(VALID_ANSWERS))
    for document in version.documents.filter(required=True):
        services.dossier_add_files(
            dossier=dossier,
            actor=applicant,
            requirement_id=document.pk,
            files=[pdf(f"{document.name}.pdf")],
        )
    if submit:
        services.dossier_submit(dossier=dossier, actor=applicant)
    dossier.refresh_from_db()
    return dossier


@pytest.fixture
def draft(citizen, version):
    return make_dossier(citizen, version)


# --- the whole flow ------------------------------------------------------------------------------


def test_the_whole_filing_flow(
    client, citizen, version, documents, settings, django_capture_on_commit_callbacks
):
    service_code = version.procedure.service_code
    start_url = reverse("submissions:start", args=[service_code])

    # The procedure's "File online" button leads to the start page, which asks to log in first.
    response = client.get(reverse("procedures:file", args=[service_code]))
    assert response.status_code == 302 and response["Location"] == start_url
    response = client.get(start_url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={start_url}"
    response = client.post(
        reverse("login"),
        {"username": citizen.email, "password": PASSWORD, "next": start_url},
    )
    assert response.status_code == 302 and response["Location"] == start_url

    response = client.get(start_url)
    assert response.status_code == 200
    assert "Start a new dossier" in text(response)
    assert "Student name" in text(response) and "Transcript" in text(response)

    response = client.post(start_url)
    dossier = Dossier.objects.get(applicant=citizen)
    assert response.status_code == 302 and response["Location"] == url("edit", dossier)
    assert dossier.state == State.DRAFT and dossier.code is None
    # Prefilled from the profile.
    assert dossier.applicant_name == citizen.full_name
    assert dossier.applicant_citizen_id == citizen.citizen_id
    assert dossier.applicant_phone == citizen.phone

    # The start page now offers the draft to continue.
    assert url("edit", dossier) in text(client.get(start_url))

    # Step 1: save a draft, then continue.
    response = client.get(url("edit", dossier))
    assert response.status_code == 200
    assert f'value="{citizen.citizen_id}"' in text(response)
    partial = {**VALID_POST, "q_copies": "", "save": "1"}
    response = client.post(url("edit", dossier), partial)
    assert response.status_code == 302 and response["Location"] == url("edit", dossier)
    assert page_messages(client.get(url("edit", dossier))) == [
        "Draft saved. You can come back to it at any time."
    ]
    dossier.refresh_from_db()
    assert "copies" not in dossier.answers
    assert dossier.answers["student_name"] == "Trần Minh Khoa"

    response = client.post(url("edit", dossier), {**VALID_POST, "continue": "1"})
    assert response.status_code == 302 and response["Location"] == url("documents", dossier)
    dossier.refresh_from_db()
    assert dossier.answers == VALID_ANSWERS
    assert dossier.applicant_citizen_id == "001190012345"
    assert dossier.applicant_address == "1 Tràng Tiền, Hà Nội"

    # Step 2: two files for one document in one post.
    form = documents["Application form"]
    response = client.get(url("documents", dossier))
    assert response.status_code == 200
    assert f'id="files-{form.pk}"' in text(response)
    response = client.post(
        url("documents", dossier),
        {"requirement": form.pk, "files": [pdf("don-de-nghi.pdf"), png("trang-2.png")]},
    )
    assert response.status_code == 302
    assert response["Location"] == f"{url('documents', dossier)}#requirement-{form.pk}"
    stored = list(dossier.files.order_by("pk"))
    assert [(f.name, f.content_type, f.requirement_id) for f in stored] == [
        ("don-de-nghi.pdf", "application/pdf", form.pk),
        ("trang-2.png", "image/png", form.pk),
    ]
    assert stored[0].file.read() == PDF_BYTES
    response = client.get(url("documents", dossier))
    assert page_messages(response) == ["Added: don-de-nghi.pdf, trang-2.png."]
    assert "don-de-nghi.pdf" in text(response) and "trang-2.png" in text(response)

    # Step 3: the review shows the answers as entered and what is still missing.
    response = client.get(url("review", dossier))
    assert response.status_code == 200
    page = text(response)
    for shown in ("Trần Minh Khoa", "17/05/1990", "Two copies", "By post, At the desk", "2008"):
        assert shown in page
    assert "don-de-nghi.pdf" in page
    assert missing_list(response) == ["Attach: Transcript"]

    # Submitting now is refused with the same list.
    response = client.post(url("submit", dossier))
    assert response.status_code == 400
    assert missing_list(response) == ["Attach: Transcript"]
    dossier.refresh_from_db()
    assert dossier.state == State.DRAFT and dossier.code is None

    client.post(
        url("documents", dossier),
        {"requirement": documents["Transcript"].pk, "files": [pdf("hoc-ba.pdf")]},
    )
    response = client.get(url("review", dossier))
    assert missing_list(response) == []
    assert "Submit the dossier" in text(response)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("submit", dossier))
    dossier.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == f"{url('detail', dossier)}?submitted=1"
    assert dossier.state == State.SUBMITTED
    assert dossier.code.startswith(f"{dossier.agency.code}-")

    # The confirmation, the code and the timeline.
    response = client.get(response["Location"])
    assert response.status_code == 200
    page = text(response)
    assert "Your dossier has been submitted" in page
    assert f'<strong class="dossier-code" id="submitted-code">{dossier.code}</strong>' in page
    timeline = re.search(r'<ol class="timeline">(.*?)</ol>', page, re.S).group(1)
    assert "<strong>Submitted</strong>" in timeline
    assert "national portal status 1" in page
    # Without ?submitted=1 there is no confirmation box (a reload later is just the record).
    assert "Your dossier has been submitted" not in text(client.get(url("detail", dossier)))

    # One email, with the code and the tracking link.
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [VALID_POST["applicant_email"]]
    assert dossier.code in message.subject
    assert dossier.code in message.body
    assert f"{settings.SITE_URL}{reverse('submissions:track')}" in message.body

    # My dossiers lists it by its code.
    response = client.get(reverse("submissions:list"))
    assert response.status_code == 200
    assert f'<a href="{url("detail", dossier)}">{dossier.code}</a>' in text(response)


def test_submitting_twice_keeps_one_code_and_one_email(
    logged_in, draft, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = logged_in.post(url("submit", draft))
        second = logged_in.post(url("submit", draft))
    draft.refresh_from_db()
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert draft.events.filter(action="submit").count() == 1
    assert len(mail.outbox) == 1


def test_review_lists_exactly_what_is_missing(logged_in, citizen, version, documents):
    dossier = DossierFactory(applicant=citizen, version=version, applicant_phone="")
    answers = {k: v for k, v in VALID_ANSWERS.items() if k not in {"copies", "birth_date"}}
    dossier.answers = answers
    dossier.save()
    services.dossier_add_files(
        dossier=dossier,
        actor=citizen,
        requirement_id=documents["Transcript"].pk,
        files=[pdf()],
    )
    expected = [
        "Phone: This field is required.",
        "Date of birth: This field is required.",
        "Copies: This field is required.",
        "Attach: Application form",
    ]
    assert missing_list(logged_in.get(url("review", dossier))) == expected

    response = logged_in.post(url("submit", dossier))
    assert response.status_code == 400
    assert missing_list(response) == expected
    # The optional document is not asked for.
    assert "Other papers" not in " ".join(missing_list(response))
    dossier.refresh_from_db()
    assert dossier.state == State.DRAFT and dossier.code is None
    assert not dossier.events.exists()


def test_a_draft_may_be_saved_incomplete_but_continuing_needs_the_required_answers(
    logged_in, citizen, version, settings
):
    dossier = DossierFactory(applicant=citizen, version=version)
    response = logged_in.post(
        url("edit", dossier), {"applicant_name": "Nguyễn Thị An", "q_purpose": "x", "save": "1"}
    )
    assert response.status_code == 302
    assert page_messages(logged_in.get(response["Location"])) == [
        "Draft saved. You can come back to it at any time."
    ]
    dossier.refresh_from_db()
    assert dossier.answers == {"purpose": "x"}
    # Emptied in the form, so emptied in the draft too.
    assert dossier.applicant_citizen_id == "" and dossier.applicant_phone == ""

    before = snapshot(dossier, settings)
    response = logged_in.post(
        url("edit", dossier),
        {"applicant_name": "Nguyễn Thị An", "q_purpose": "changed", "continue": "1"},
    )
    assert response.status_code == 200
    assert page_messages(response) == ["Some answers need correcting: see the marked fields."]
    for name in (
        "applicant_citizen_id",
        "applicant_phone",
        "q_student_name",
        "q_graduation_year",
        "q_birth_date",
        "q_copies",
    ):
        assert field_errors(response, name) == ["This field is required."], name
    for name in ("applicant_name", "applicant_email", "q_purpose", "q_delivery", "q_parent_id"):
        assert field_errors(response, name) == [], name
    # What was typed is still in the form.
    assert "changed</textarea>" in text(response)
    assert snapshot(dossier, settings) == before


# --- bad answers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("q_student_name", "x" * 21, "Ensure this value has at most 20 characters (it has 21)."),
        ("q_graduation_year", "two thousand", "Enter a number."),
        ("q_graduation_year", "1974", "Ensure this value is greater than or equal to 1975."),
        ("q_graduation_year", "2026", "Ensure this value is less than or equal to 2025."),
        ("q_birth_date", "2020-13-45", "Enter a valid date."),
        ("q_birth_date", "17.05.1990", "Enter a valid date."),
        ("q_birth_date", "1949-12-31", "Ensure this value is greater than or equal to 1950-01-01."),
        ("q_birth_date", "2021-01-01", "Ensure this value is less than or equal to 2020-12-31."),
        ("q_copies", "9", "Select a valid choice. 9 is not one of the available choices."),
        (
            "q_delivery",
            ["post", "fax"],
            "Select a valid choice. fax is not one of the available choices.",
        ),
        ("q_contact_email", "khoa@", "Enter a valid email address."),
        (
            "q_contact_phone",
            "12345",
            "Enter a Vietnamese phone number, for example 0912345678 or +84912345678.",
        ),
        ("q_parent_id", "00106001234", "A citizen ID number has exactly 12 digits."),
        ("q_parent_id", "00106001234A", "A citizen ID number has exactly 12 digits."),
        (
            "q_parent_id",
            "003060012345",
            "003 is not a known province code: the first 3 digits are wrong.",
        ),
        (
            "q_parent_id",
            "001299012345",
            "The 4th to 6th digits give a birth year (2099) in the future.",
        ),
        (
            "applicant_citizen_id",
            "999190012345",
            "999 is not a known province code: the first 3 digits are wrong.",
        ),
        (
            "applicant_phone",
            "+1 555 0100",
            "Enter a Vietnamese phone number, for example 0912345678 or +84912345678.",
        ),
        ("applicant_email", "not an email", "Enter a valid email address."),
    ],
)
@pytest.mark.parametrize("button", ["save", "continue"])
def test_a_bad_answer_is_shown_on_its_field_and_nothing_is_stored(
    logged_in, draft, settings, field, value, message, button
):
    before = snapshot(draft, settings)
    assert before["files"], "the draft has files that must stay"
    response = logged_in.post(url("edit", draft), {**VALID_POST, field: value, button: "1"})
    assert response.status_code == 200
    assert page_messages(response) == ["Some answers need correcting: see the marked fields."]
    assert field_errors(response, field) == [message]
    others = [f for f in (*APPLICANT_FIELDS, *(f"q_{s['name']}" for s in SCHEMA)) if f != field]
    assert all(field_errors(response, other) == [] for other in others)
    assert snapshot(draft, settings) == before


# --- bad uploads ---------------------------------------------------------------------------------


def _executable() -> bytes:
    return b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200 + b"PE\x00\x00"


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (
            lambda: pdf("hoc-ba.pdf", _executable()),
            "hoc-ba.pdf is not a PDF, JPEG, PNG file. Its content was checked, not its name: "
            "renaming a file does not change its type.",
        ),
        (lambda: pdf("trong.pdf", b""), "trong.pdf is empty."),
        (
            lambda: pdf("scan-lon.pdf", b"%PDF-1.4\n" + b"0" * (1024 * 1024) + b"\n%%EOF\n"),
            "scan-lon.pdf is 1.0 MB; a file may be at most 1 MB.",
        ),
        (
            lambda: png("bom.png", png_bomb(8000, 8000)),
            "bom.png is an image of 8000 × 8000 pixels, more than this portal accepts. "
            "Scan or photograph it at a lower resolution.",
        ),
        (
            lambda: png("bom.png", png_bomb(30000, 30000)),
            "bom.png is an image too large to open safely.",
        ),
        (
            lambda: pdf("cut.pdf", PDF_BYTES[: len(PDF_BYTES) // 2]),
            "cut.pdf is not a complete PDF file (it may be damaged or cut short).",
        ),
    ],
    ids=["renamed-executable", "empty", "over-the-limit", "bomb-over-portal", "bomb-over-pillow",
         "truncated-pdf"],
)  # fmt: skip
def test_a_bad_file_is_refused_with_its_name_and_nothing_is_stored(
    logged_in, draft, documents, settings, upload, message
):
    settings.UPLOAD_MAX_FILE_MB = 1
    slot = documents["Other papers"]
    before = snapshot(draft, settings)
    response = logged_in.post(
        url("documents", draft), {"requirement": slot.pk, "files": [pdf("tot.pdf"), upload()]}
    )
    assert response.status_code == 400
    assert page_messages(response) == ["Nothing was added: see the message under the document."]
    assert slot_errors(response, slot.pk) == [message]
    # Not even the good file sent with it.
    assert snapshot(draft, settings) == before


def test_a_bomb_is_a_tiny_file():
    assert len(png_bomb(30000, 30000)) < 200_000


def test_every_bad_file_of_a_post_is_named(logged_in, draft, documents, settings):
    slot = documents["Other papers"]
    before = snapshot(draft, settings)
    response = logged_in.post(
        url("documents", draft),
        {"requirement": slot.pk, "files": [pdf("a.pdf", b""), pdf("b.pdf", b"plain text")]},
    )
    assert response.status_code == 400
    assert slot_errors(response, slot.pk) == [
        "a.pdf is empty.",
        "b.pdf is not a PDF, JPEG, PNG file. Its content was checked, not its name: "
        "renaming a file does not change its type.",
    ]
    assert snapshot(draft, settings) == before


def test_no_file_chosen(logged_in, draft, documents, settings):
    slot = documents["Other papers"]
    before = snapshot(draft, settings)
    response = logged_in.post(url("documents", draft), {"requirement": slot.pk})
    assert response.status_code == 400
    assert slot_errors(response, slot.pk) == ["Choose at least one file."]
    assert snapshot(draft, settings) == before


@pytest.mark.parametrize("requirement", ["other-version", "not-a-number", "absent"])
def test_a_file_for_a_document_not_of_this_procedure_is_refused(
    logged_in, draft, settings, requirement
):
    other = ProcedureVersionFactory(published=True, level3=True).documents.get()
    data = {"files": [pdf()]}
    if requirement == "other-version":
        data["requirement"] = other.pk
    elif requirement == "not-a-number":
        data["requirement"] = "1 OR 1=1"
    before = snapshot(draft, settings)
    response = logged_in.post(url("documents", draft), data)
    assert response.status_code == 400
    # There is no slot on the page to show it under, so it is said at the top.
    assert page_messages(response) == ["Choose which document these files are for."]
    assert snapshot(draft, settings) == before
    assert not DossierFile.objects.filter(requirement=other).exists()


def _multipart(boundary: str, fields: dict, filename: str, content: bytes) -> bytes:
    """A multipart body written by hand: Django's test client strips folders from file names
    before sending, a hostile client does not."""
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{filename}"\r\n'
        "Content-Type: application/pdf\r\n\r\n".encode()
        + content
        + b"\r\n"
    )
    return b"".join(parts) + f"--{boundary}--\r\n".encode()


@pytest.mark.parametrize(
    ("sent", "shown"),
    [
        ("../../../etc/passwd.pdf", "passwd.pdf"),
        ("..\\..\\windows\\win.ini.pdf", "win.ini.pdf"),
        ("../../.hidden<script>.pdf", "hidden script.pdf"),
        ("....pdf", "file.pdf"),
        ("hồ sơ\x07 gốc.exe", "hồ sơ gốc.pdf"),
    ],
)
def test_a_file_name_with_a_path_is_stored_cleanly(
    logged_in, draft, documents, settings, sent, shown
):
    slot = documents["Other papers"]
    boundary = "----dvc-test-boundary"
    body = _multipart(boundary, {"requirement": slot.pk}, sent, PDF_BYTES)
    response = logged_in.post(
        url("documents", draft), body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert response.status_code == 302
    record = draft.files.get(requirement=slot)
    assert record.name == shown
    # Stored under a random name in the dossier's own folder, never where the name pointed.
    assert re.fullmatch(rf"dossiers/{draft.public_id}/[0-9a-f]{{32}}\.pdf", record.file.name)
    path = Path(record.file.path).resolve()
    assert path.is_relative_to(Path(settings.MEDIA_ROOT).resolve() / "dossiers")
    assert path.read_bytes() == PDF_BYTES
    page = text(logged_in.get(url("documents", draft)))
    assert html.escape(shown) in page


def test_the_dossier_size_limit(logged_in, draft, documents, settings):
    settings.UPLOAD_MAX_DOSSIER_MB = 1
    slot = documents["Other papers"]
    big = b"%PDF-1.4\n" + b"0" * (700 * 1024) + b"\n%%EOF\n"
    assert (
        logged_in.post(
            url("documents", draft), {"requirement": slot.pk, "files": [pdf("a.pdf", big)]}
        ).status_code
        == 302
    )
    before = snapshot(draft, settings)
    response = logged_in.post(
        url("documents", draft), {"requirement": slot.pk, "files": [pdf("b.pdf", big)]}
    )
    assert response.status_code == 400
    [error] = slot_errors(response, slot.pk)
    assert error.startswith("These files would bring the dossier to 1.4 MB;")
    assert "at most 1 MB" in error
    assert snapshot(draft, settings) == before


def test_a_draft_file_is_removed_for_good(
    logged_in, draft, documents, settings, django_capture_on_commit_callbacks
):
    record = draft.files.get(requirement=documents["Transcript"])
    path = Path(record.file.path)
    with django_capture_on_commit_callbacks(execute=True):
        response = logged_in.post(url("remove_file", draft, record.pk))
    assert response.status_code == 302 and response["Location"] == url("documents", draft)
    assert not DossierFile.objects.filter(pk=record.pk).exists()
    assert not path.exists()
    response = logged_in.get(url("documents", draft))
    assert page_messages(response) == ["The file was removed."]
    # Removing it again: a clear message, nothing else changes.
    before = snapshot(draft, settings)
    response = logged_in.post(url("remove_file", draft, record.pk), follow=True)
    assert page_messages(response) == ["This file is no longer in the dossier."]
    assert snapshot(draft, settings) == before


def test_a_submitted_dossier_cannot_be_edited_through_the_pages(
    logged_in, citizen, version, documents, settings
):
    dossier = make_dossier(citizen, version, submit=True)
    record = dossier.files.first()
    before = snapshot(dossier, settings)
    refusal = "This dossier can no longer be changed (it is now: Submitted)."
    for attempt in (
        lambda: logged_in.get(url("edit", dossier)),
        lambda: logged_in.post(
            url("edit", dossier), {**VALID_POST, "q_student_name": "Khác", "save": 1}
        ),
        lambda: logged_in.get(url("documents", dossier)),
        lambda: logged_in.post(
            url("documents", dossier),
            {"requirement": documents["Other papers"].pk, "files": [pdf()]},
        ),
        lambda: logged_in.post(url("remove_file", dossier, record.pk)),
    ):
        response = attempt()
        assert response.status_code == 302 and response["Location"] == url("detail", dossier)
        assert page_messages(logged_in.get(response["Location"])) == [refusal]
    # The review page of a submitted dossier is its record.
    assert logged_in.get(url("review", dossier))["Location"] == url("detail", dossier)
    assert snapshot(dossier, settings) == before


# --- supplement ----------------------------------------------------------------------------------


def test_supplement_edit_add_remove_and_resubmit(
    logged_in, citizen, version, documents, settings, django_capture_on_commit_callbacks
):
    dossier = make_dossier(citizen, version, submit=True)
    transcript = dossier.files.get(requirement=documents["Transcript"])
    officer = OfficerFactory(agency=dossier.agency, roles=["desk"])
    workflow.dossier_request_supplement(
        dossier=dossier,
        actor=officer,
        reason="The transcript scan cannot be read.",
        items=["A clear scan of the transcript", "The page with the school's stamp"],
    )
    dossier.refresh_from_db()
    assert dossier.state == State.SUPPLEMENT_REQUIRED

    response = logged_in.get(url("detail", dossier))
    page = text(response)
    assert "The agency asks you for more" in page
    assert "The transcript scan cannot be read." in page
    assert "<li>A clear scan of the transcript</li>" in page
    stamp = html.escape("The page with the school's stamp")
    assert f"<li>{stamp}</li>" in page
    assert f'href="{url("edit", dossier)}">Answer the request</a>' in page
    assert "national portal status 5" in page

    # Correct an answer, add the new scan, remove the unreadable one.
    response = logged_in.post(
        url("edit", dossier), {**VALID_POST, "q_purpose": "Du học Nhật Bản", "continue": "1"}
    )
    assert response.status_code == 302 and response["Location"] == url("documents", dossier)
    response = logged_in.post(
        url("documents", dossier),
        {"requirement": documents["Transcript"].pk, "files": [pdf("hoc-ba-ro.pdf")]},
    )
    assert response.status_code == 302
    response = logged_in.post(url("remove_file", dossier, transcript.pk))
    assert response.status_code == 302
    transcript.refresh_from_db()
    assert transcript.removed_at is not None  # kept for the history
    assert Path(transcript.file.path).exists()
    added = dossier.files.get(name="hoc-ba-ro.pdf")
    assert added.round == 1

    page = text(logged_in.get(url("detail", dossier)))
    removed_section = re.search(r"<details>(.*?)</details>", page, re.S).group(1)
    assert "Replaced or removed files" in removed_section
    assert f"{transcript.name}</a>" in removed_section
    assert "hoc-ba-ro.pdf" not in removed_section
    current = page[page.index("<h2>Documents</h2>") : page.index("<details>")]
    assert "hoc-ba-ro.pdf" in current and f">{transcript.name}<" not in current
    # A removed file can still be opened from the history.
    assert logged_in.get(url("file", dossier, transcript.pk)).status_code == 200

    response = logged_in.get(url("review", dossier))
    assert response.status_code == 200
    assert "Send the supplement" in text(response)
    assert "Du học Nhật Bản" in text(response)
    with django_capture_on_commit_callbacks(execute=True):
        response = logged_in.post(url("submit", dossier), {"note": "Đã gửi bản scan rõ hơn."})
    assert response.status_code == 302 and response["Location"] == url("detail", dossier)
    dossier.refresh_from_db()
    assert dossier.state == State.SUBMITTED
    assert dossier.answers["purpose"] == "Du học Nhật Bản"
    assert dossier.supplements.get().answered_at is not None
    event = dossier.events.order_by("pk").last()
    assert (event.action, event.from_state, event.to_state, event.note) == (
        "resubmit",
        State.SUPPLEMENT_REQUIRED,
        State.SUBMITTED,
        "Đã gửi bản scan rõ hơn.",
    )
    response = logged_in.get(url("detail", dossier))
    assert page_messages(response) == ["Your supplement was sent to the agency."]
    assert "The agency asks you for more" not in text(response)
    # The applicant gets the resubmission by email, with their note.
    [message] = mail.outbox
    assert message.to == [dossier.applicant_email]
    assert "Đã gửi bản scan rõ hơn." in message.body
    # Once resubmitted it is closed again.
    assert logged_in.get(url("edit", dossier))["Location"] == url("detail", dossier)


def test_resubmitting_a_supplement_still_needs_the_required_documents(
    logged_in, citizen, version, documents, settings
):
    dossier = make_dossier(citizen, version, submit=True)
    workflow.dossier_request_supplement(
        dossier=dossier,
        actor=OfficerFactory(agency=dossier.agency, roles=["desk"]),
        reason="Wrong file.",
        items=["The right transcript"],
    )
    transcript = dossier.files.get(requirement=documents["Transcript"])
    logged_in.post(url("remove_file", dossier, transcript.pk))
    before = snapshot(dossier, settings)
    response = logged_in.post(url("submit", dossier), {"note": "x"})
    assert response.status_code == 400
    assert missing_list(response) == ["Attach: Transcript"]
    assert snapshot(dossier, settings) == before


# --- withdraw and delete -------------------------------------------------------------------------


def test_withdraw_needs_a_reason(logged_in, citizen, version, settings):
    dossier = make_dossier(citizen, version, submit=True)
    response = logged_in.get(url("withdraw", dossier))
    assert response.status_code == 200 and 'name="reason"' in text(response)

    before = snapshot(dossier, settings)
    for reason in ("", "   \n "):
        response = logged_in.post(url("withdraw", dossier), {"reason": reason})
        assert response.status_code == 200
        assert field_errors(response, "reason") == ["This field is required."]
        assert snapshot(dossier, settings) == before

    response = logged_in.post(url("withdraw", dossier), {"reason": "Nộp nhầm thủ tục."})
    assert response.status_code == 302 and response["Location"] == url("detail", dossier)
    dossier.refresh_from_db()
    assert dossier.state == State.WITHDRAWN and dossier.closed_at is not None
    assert dossier.events.order_by("pk").last().note == "Nộp nhầm thủ tục."
    response = logged_in.get(url("detail", dossier))
    page = text(response)
    assert page_messages(response) == ["The dossier was withdrawn."]
    assert "<dd>Withdrawn <small>(national portal status 7)</small></dd>" in page
    assert "Nộp nhầm thủ tục." in page
    assert url("withdraw", dossier) not in page

    # Withdrawing again: refused with the reason why.
    response = logged_in.get(url("withdraw", dossier))
    assert response["Location"] == url("detail", dossier)
    assert page_messages(logged_in.get(url("detail", dossier))) == [
        "This dossier can no longer be withdrawn (it is now: Withdrawn)."
    ]
    response = logged_in.post(url("withdraw", dossier), {"reason": "again"}, follow=True)
    assert page_messages(response) == [
        "This dossier can no longer be withdrawn (it is now: Withdrawn)."
    ]
    assert dossier.events.filter(action="withdraw").count() == 1


def test_delete_a_draft(logged_in, draft, settings, django_capture_on_commit_callbacks):
    paths = [Path(f.file.path) for f in draft.files.all()]
    assert paths and all(p.exists() for p in paths)
    page = text(logged_in.get(url("detail", draft)))
    assert f'action="{url("delete", draft)}"' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = logged_in.post(url("delete", draft))
    assert response.status_code == 302 and response["Location"] == reverse("submissions:list")
    assert not Dossier.objects.filter(pk=draft.pk).exists()
    assert not DossierFile.objects.filter(dossier_id=draft.pk).exists()
    assert not any(p.exists() for p in paths)
    response = logged_in.get(reverse("submissions:list"))
    assert page_messages(response) == ["The draft was deleted."]
    assert "You have no dossiers yet." in text(response)
    assert logged_in.get(url("detail", draft)).status_code == 404


def test_a_submitted_dossier_cannot_be_deleted(logged_in, citizen, version, settings):
    dossier = make_dossier(citizen, version, submit=True)
    assert f'action="{url("delete", dossier)}"' not in text(logged_in.get(url("detail", dossier)))
    before = snapshot(dossier, settings)
    response = logged_in.post(url("delete", dossier), follow=True)
    assert page_messages(response) == ["Only a draft that was never submitted can be deleted."]
    assert snapshot(dossier, settings) == before


# --- the history the applicant sees -------------------------------------------------------------


def test_the_history_page_leaves_out_the_agencys_internal_notes(
    logged_in, citizen, version, other_agency
):
    dossier = make_dossier(citizen, version, submit=True)
    people = crew(dossier.agency, other_agency)
    dossier = through_internal_steps(dossier, people)
    response = logged_in.get(url("detail", dossier))
    assert response.status_code == 200
    page = text(response)
    timeline = re.search(r'<ol class="timeline">(.*?)</ol>', page, re.S).group(1)
    # Every step is there (the state it led to)...
    assert len(re.findall(r"<strong>.*?</strong>", timeline)) == 6
    # ...with the one note addressed to the applicant: not who the specialist is, not the
    # proposal's reasons, not the leader's remarks to the specialist.
    notes = [html.unescape(n).strip() for n in re.findall(r"<p>(.*?)</p>", timeline, re.S)]
    assert notes == [STOP_REASON]
    for internal in (people.specialist.full_name, PROPOSAL_REASONS, SEND_BACK_NOTE):
        assert internal not in page and html.escape(internal) not in page, internal
    # Left out of the page only: the history itself keeps them.
    stored = dict(dossier.events.values_list("action", "note"))
    assert (stored["assign"], stored["send_back"]) == (people.specialist.full_name, SEND_BACK_NOTE)


# --- public tracking -----------------------------------------------------------------------------

TRACK = reverse("submissions:track")


@pytest.fixture
def tracked(citizen, version):
    """A dossier with a history that has notes: submitted, asked for more, answered."""
    dossier = make_dossier(citizen, version, submit=True)
    dossier.applicant_address = "99 Phố Bí Mật"
    dossier.save()
    workflow.dossier_request_supplement(
        dossier=dossier,
        actor=OfficerFactory(agency=dossier.agency, roles=["desk"]),
        reason="Internal note: the stamp looks odd.",
        items=["A new scan"],
    )
    services.dossier_resubmit(dossier=dossier, actor=citizen, note="Applicant's private note.")
    dossier.refresh_from_db()
    return dossier


@pytest.fixture
def anonymous(client):
    client.cookies["dvc_language"] = "en"
    return client


def _normalised(response, *values: str) -> str:
    """The page without its CSRF token and with what was typed blanked out."""
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text(response))
    for value in values:
        page = page.replace(value, "TYPED")
    return page


def test_tracking_shows_the_status_and_timeline_but_nothing_personal(anonymous, tracked):
    response = anonymous.get(TRACK)
    assert response.status_code == 200 and 'name="code"' in text(response)

    response = anonymous.post(
        TRACK, {"code": f"  {tracked.code.lower()} ", "secret": tracked.applicant_citizen_id}
    )
    assert response.status_code == 200
    page = text(response)
    result = re.search(r'<section class="track-result".*?</section>', page, re.S).group(0)
    assert f'<span class="dossier-code">{tracked.code}</span>' in result
    assert '<strong class="track-state">Submitted</strong>' in result
    assert tracked.version.name in result and tracked.agency.name in result
    steps = re.findall(r"<strong>(.*?)</strong>", re.search(r"<ol.*?</ol>", result, re.S)[0])
    assert steps == ["Submitted", "Supplement requested", "Submitted"]
    for private in (
        tracked.applicant_name,
        tracked.applicant_phone,
        tracked.applicant_email,
        tracked.applicant_address,
        VALID_ANSWERS["student_name"],
        VALID_ANSWERS["purpose"],
        "Internal note",
        "private note",
        "A new scan",
        "Transcript.pdf",
    ):
        assert html.escape(private) not in page, private
        assert private not in page, private


def test_tracking_by_phone_in_another_spelling(anonymous, tracked):
    international = "+84 " + tracked.applicant_phone[1:]
    response = anonymous.post(TRACK, {"code": tracked.code, "secret": international})
    assert response.status_code == 200
    assert '<strong class="track-state">Submitted</strong>' in text(response)


def test_a_wrong_id_and_an_unknown_code_look_the_same(anonymous, tracked, citizen, version):
    draft = DossierFactory(applicant=citizen, version=version)
    wrong_id = "001090099999"
    unknown_code = tracked.code[:-4] + "9999"
    responses = [
        anonymous.post(TRACK, {"code": tracked.code, "secret": wrong_id}),
        anonymous.post(TRACK, {"code": unknown_code, "secret": wrong_id}),
        # A draft has no code; its public id is no code either.
        anonymous.post(TRACK, {"code": str(draft.public_id), "secret": wrong_id}),
    ]
    message = (
        "No dossier matches this code and citizen ID number or phone. Check both and try again."
    )
    for response in responses:
        assert response.status_code == 404
        assert message in text(response)
        assert "track-result" not in text(response)
        assert tracked.get_state_display() not in text(response).split("</form>")[1]
    first = _normalised(responses[0], tracked.code, wrong_id)
    assert _normalised(responses[1], unknown_code, wrong_id) == first
    assert _normalised(responses[2], str(draft.public_id), wrong_id) == first


def test_too_many_failures_block_even_a_right_pair(anonymous, tracked, settings):
    settings.TRACKING_MAX_FAILURES = 3
    for _attempt in range(3):
        response = anonymous.post(TRACK, {"code": tracked.code, "secret": "001090099999"})
        assert response.status_code == 404
    response = anonymous.post(TRACK, {"code": tracked.code, "secret": tracked.applicant_citizen_id})
    assert response.status_code == 429
    assert "Too many unsuccessful attempts. Try again in 15 minutes." in text(response)
    assert "track-result" not in text(response)
    # The same code from another address is also refused (the code has its own counter).
    response = anonymous.post(
        TRACK,
        {"code": tracked.code, "secret": tracked.applicant_citizen_id},
        REMOTE_ADDR="203.0.113.9",
    )
    assert response.status_code == 429


def test_failures_across_codes_from_one_address_are_limited(anonymous, tracked, settings):
    settings.TRACKING_MAX_FAILURES = 3
    for n in range(3):
        anonymous.post(TRACK, {"code": f"X-{n}", "secret": "001090099999"})
    response = anonymous.post(TRACK, {"code": tracked.code, "secret": tracked.applicant_citizen_id})
    assert response.status_code == 429
    # Another address may still track this dossier.
    response = anonymous.post(
        TRACK,
        {"code": tracked.code, "secret": tracked.applicant_citizen_id},
        REMOTE_ADDR="203.0.113.9",
    )
    assert response.status_code == 200


def test_a_successful_tracking_does_not_count_as_a_failure(anonymous, tracked, settings):
    settings.TRACKING_MAX_FAILURES = 2
    for _attempt in range(5):
        response = anonymous.post(
            TRACK, {"code": tracked.code, "secret": tracked.applicant_citizen_id}
        )
        assert response.status_code == 200


def test_a_success_after_failures_does_not_use_up_the_allowance(anonymous, tracked, settings):
    """Counted before the lookup, given back when it succeeds: with one failure left, the right
    pair still opens the dossier, as often as asked, and leaves that one failure."""
    settings.TRACKING_MAX_FAILURES = 3
    right = {"code": tracked.code, "secret": tracked.applicant_citizen_id}
    wrong = {"code": tracked.code, "secret": "001090099999"}
    for _attempt in range(2):
        assert anonymous.post(TRACK, wrong).status_code == 404
    for _attempt in range(4):
        response = anonymous.post(TRACK, right)
        assert response.status_code == 200
        assert "track-result" in text(response)
    assert anonymous.post(TRACK, wrong).status_code == 404  # the third failure is still allowed
    assert anonymous.post(TRACK, right).status_code == 429  # and now the allowance is used up


@pytest.mark.django_db(transaction=True)
def test_parallel_wrong_guesses_get_no_more_than_the_allowance(settings):
    """A burst of wrong guesses at the same moment: each is counted before its lookup, so no more
    than TRACKING_MAX_FAILURES of them are looked up (404), whatever the timing; the rest 429."""
    settings.TRACKING_MAX_FAILURES = 3
    dossier = DossierFactory(submitted=True)
    guesses = 12
    barrier = threading.Barrier(guesses, timeout=30)
    answers: list[int] = []

    def guess(n: int):
        try:
            client = Client()
            barrier.wait()
            # Citizen IDs of another province: none is the applicant's (factories: 001090…).
            response = client.post(TRACK, {"code": dossier.code, "secret": f"07909{n:07d}"})
            answers.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=guess, args=(n,), daemon=True) for n in range(guesses)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    # Each attempt counts against the address and the code: racing threads can be refused on
    # either, so fewer than the allowance may get through, but never more.
    assert len(answers) == guesses and set(answers) <= {404, 429}
    assert answers.count(404) <= 3
    # The right pair is refused too now, from this address and for this code.
    right = {"code": dossier.code, "secret": dossier.applicant_citizen_id}
    assert Client().post(TRACK, right).status_code == 429


def test_tracking_form_errors(anonymous):
    response = anonymous.post(TRACK, {"code": "", "secret": ""})
    assert response.status_code == 200
    assert field_errors(response, "code") == ["This field is required."]
    assert field_errors(response, "secret") == ["This field is required."]


def test_tracking_error_in_vietnamese_and_in_english(client, tracked):
    """Vietnamese by default; the language switch turns the same message into English."""
    data = {"code": tracked.code, "secret": "001090099999"}
    response = client.post(TRACK, data)
    assert response.status_code == 404
    assert '<html lang="vi">' in text(response)
    with translation.override("vi"):
        vietnamese = translation.gettext(
            "No dossier matches this code and citizen ID number or phone. Check both and try again."
        )
    assert html.escape(vietnamese) in text(response)

    switched = client.get(reverse("switch_language", args=["en"]), {"next": TRACK})
    assert switched.status_code == 302 and switched["Location"] == TRACK
    response = client.post(TRACK, data)
    assert response.status_code == 404
    assert '<html lang="en">' in text(response)
    assert (
        "No dossier matches this code and citizen ID number or phone. Check both and try again."
        in text(response)
    )

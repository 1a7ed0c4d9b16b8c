"""The citizen's dossier API (/api/v1/dossiers/) and public tracking (/api/v1/track/)."""

import hashlib
import re
import threading
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import translation
from rest_framework.test import APIClient

from office import services as workflow
from procedures.form_schema import schema_errors
from signing.models import Document
from submissions import services
from submissions.models import DailySequence, Dossier, DossierEvent, DossierFile
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

LIST = "/api/v1/dossiers/"
TRACK = "/api/v1/track/"

# Every field type of procedures/form_schema.py, with its constraints.
FULL_SCHEMA = [
    {"name": "full_name", "label": "Họ và tên người được cấp", "type": "text",
     "required": True, "max_length": 50},
    {"name": "reason", "label": "Lý do", "type": "textarea", "max_length": 200},
    {"name": "graduation_year", "label": "Năm tốt nghiệp", "type": "number", "required": True,
     "min": 1975, "max": 2026},
    {"name": "birth_date", "label": "Ngày sinh", "type": "date", "min": "1950-01-01",
     "max": "2020-12-31"},
    {"name": "copies", "label": "Số bản sao", "type": "choice",
     "choices": [{"value": "1", "label": "1 bản"}, {"value": "2", "label": "2 bản"}]},
    {"name": "delivery", "label": "Hình thức nhận", "type": "multichoice",
     "choices": [{"value": "post", "label": "Bưu điện"}, {"value": "desk", "label": "Tại quầy"}]},
    {"name": "agree", "label": "Tôi cam đoan", "type": "checkbox", "required": True},
    {"name": "contact_email", "label": "Email liên hệ", "type": "email"},
    {"name": "contact_phone", "label": "Điện thoại liên hệ", "type": "phone"},
    {"name": "holder_id", "label": "Số CCCD người được cấp", "type": "citizen_id"},
]  # fmt: skip

# As the form stores them (AnswersForm.values).
VALID = {
    "full_name": "Nguyễn Văn An",
    "reason": "Sai ngày sinh trên bằng",
    "graduation_year": 2010,
    "birth_date": "1992-05-17",
    "copies": "2",
    "delivery": ["post"],
    "agree": True,
    "contact_email": "an@example.vn",
    "contact_phone": "0912345678",
    "holder_id": "001092012345",
}


@pytest.fixture
def citizen():
    return CitizenFactory(
        email="an@example.vn",
        full_name="Nguyễn Văn An",
        citizen_id="001090012345",
        phone="0912345678",
        address="12 Phố Huế, Hà Nội",
    )


@pytest.fixture
def version(agency):
    assert schema_errors(FULL_SCHEMA) == []
    return ProcedureVersionFactory(
        procedure__code="2.001914",
        procedure__agency=agency,
        name="Chỉnh sửa nội dung văn bằng, chứng chỉ",
        published=True,
        level3=True,
        form_schema=FULL_SCHEMA,
        documents=[
            {"name": "Đơn đề nghị chỉnh sửa"},
            {"name": "Bản sao văn bằng"},
            {"name": "Giấy ủy quyền", "required": False},
        ],
    )


@pytest.fixture
def api(citizen):
    client = APIClient()
    client.force_authenticate(citizen)
    return client


@pytest.fixture
def draft(citizen, version):
    return DossierFactory(applicant=citizen, version=version, answers=dict(VALID))


def url(dossier, tail: str = "") -> str:
    return f"{LIST}{dossier.public_id}/{tail}"


def upload(name: str, content: bytes, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type)


def stored_names(settings, dossier) -> list[str]:
    folder = settings.MEDIA_ROOT / "dossiers" / str(dossier.public_id)
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def snapshot(dossier) -> dict:
    dossier = Dossier.objects.get(pk=dossier.pk)
    return {
        "state": dossier.state,
        "code": dossier.code,
        "answers": dossier.answers,
        "applicant": [
            dossier.applicant_name,
            dossier.applicant_citizen_id,
            dossier.applicant_phone,
            dossier.applicant_email,
            dossier.applicant_address,
        ],
        "updated_at": dossier.updated_at,
        "files": list(dossier.files.values_list("pk", "removed_at")),
        "events": dossier.events.count(),
    }


# --- the whole journey ----------------------------------------------------------------------------


def test_the_whole_filing_through_the_api_with_a_token(citizen, version, agency):
    token = APIClient().post(
        "/api/v1/auth/token/", {"email": citizen.email, "password": PASSWORD}, format="json"
    )
    assert token.status_code == 200
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.json()['token']}")

    # Start: a draft prefilled from the profile.
    created = api.post(LIST, {"procedure": "2.001914.000.00.12.H26"}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    dossier = Dossier.objects.get(public_id=body["id"])
    assert dossier.applicant == citizen and dossier.version == version
    assert body["code"] is None and body["state"] == "draft" and body["status_code"] is None
    assert body["procedure"] == "2.001914.000.00.12.H26"
    assert body["procedure_name"] == "Chỉnh sửa nội dung văn bằng, chứng chỉ"
    assert body["procedure_version"] == 1
    assert (body["agency"], body["agency_name"]) == (agency.code, agency.name)
    assert body["applicant"] == {
        "name": "Nguyễn Văn An",
        "citizen_id": "001090012345",
        "phone": "0912345678",
        "email": "an@example.vn",
        "address": "12 Phố Huế, Hà Nội",
    }
    assert body["answers"] == {} and body["files"] == [] and body["timeline"] == []
    assert "Đính kèm: Đơn đề nghị chỉnh sửa" in body["missing"]
    assert "Đính kèm: Giấy ủy quyền" not in body["missing"]  # optional

    # Answer, in the formats a person types: stored normalised.
    answers = {**VALID, "graduation_year": "2010", "birth_date": "17/05/1992"}
    patched = api.patch(
        url(dossier),
        {"answers": answers, "applicant": {"address": "5 Lý Thường Kiệt, Hà Nội"}},
        format="json",
    )
    assert patched.status_code == 200, patched.content
    assert patched.json()["answers"] == VALID
    assert patched.json()["applicant"]["address"] == "5 Lý Thường Kiệt, Hà Nội"
    assert patched.json()["applicant"]["name"] == "Nguyễn Văn An"  # not given: kept
    dossier.refresh_from_db()
    assert dossier.answers == VALID

    # Attach a PNG and a PDF.
    application, diploma, _proxy = version.documents.order_by("order")
    png = png_bytes()
    response = api.post(
        url(dossier, "files/"),
        {"document": application.pk, "files": [upload("Đơn đề nghị.png", png, "image/png")]},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    [png_out] = response.json()
    assert png_out["document"] == application.pk
    assert png_out["document_name"] == "Đơn đề nghị chỉnh sửa"
    assert png_out["name"] == "Đơn đề nghị.png"
    assert png_out["content_type"] == "image/png"
    assert png_out["size"] == len(png)
    assert png_out["sha256"] == hashlib.sha256(png).hexdigest()
    assert png_out["round"] == 0
    assert png_out["download_url"] == (
        f"http://testserver/api/v1/dossiers/{dossier.public_id}/files/{png_out['id']}/"
    )
    response = api.post(
        url(dossier, "files/"),
        {"document": diploma.pk, "files": [upload("van-bang.pdf", PDF_BYTES)]},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    assert api.get(url(dossier)).json()["missing"] == []

    # Submit: the code of the receiving agency and day.
    submitted = api.post(url(dossier, "submit/"))
    assert submitted.status_code == 200, submitted.content
    body = submitted.json()
    assert re.fullmatch(rf"{re.escape(agency.code)}-\d{{6}}-0001", body["code"])
    assert body["state"] == "submitted" and body["status_code"] == 1
    assert body["submitted_at"] and body["is_editable"] is False and body["can_withdraw"]

    # Read it back: code, files, timeline (no actor).
    body = api.get(url(dossier)).json()
    assert body["code"] == submitted.json()["code"]
    assert [f["name"] for f in body["files"]] == ["Đơn đề nghị.png", "van-bang.pdf"]
    assert body["removed_files"] == [] and body["supplement"] is None
    [event] = body["timeline"]
    assert set(event) == {
        "action", "from_state", "to_state", "label", "status_code", "note", "created_at"
    }  # fmt: skip
    assert (event["action"], event["from_state"], event["to_state"]) == (
        "submit",
        "draft",
        "submitted",
    )
    assert event["status_code"] == 1 and event["label"]
    download = api.get(png_out["download_url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == png
    assert [d["id"] for d in api.get(LIST).json()["results"]] == [str(dossier.public_id)]

    # Anyone with the code and the citizen ID sees where it is, and nothing personal.
    public = APIClient().post(
        TRACK, {"code": body["code"].lower(), "secret": "001090012345"}, format="json"
    )
    assert public.status_code == 200, public.content
    tracked = public.json()
    assert set(tracked) == {
        "code", "procedure_name", "agency_name", "receiving_agency_name", "state", "state_label",
        "status_code", "submitted_at", "received_at", "due_at", "timeline",
    }  # fmt: skip
    assert tracked["code"] == body["code"] and tracked["status_code"] == 1
    assert tracked["agency_name"] == agency.name
    assert tracked["receiving_agency_name"] is None  # no centre receives for this agency
    assert tracked["timeline"] == [
        {"label": event["label"], "status_code": 1, "created_at": event["created_at"]}
    ]
    for personal in ("Nguyễn Văn An", "001090012345", "0912345678", "an@example.vn", "Lý Thường"):
        assert personal not in public.content.decode()


def test_the_list_is_mine_only_and_paginated(api, citizen, django_assert_num_queries):
    mine = [DossierFactory(applicant=citizen) for _ in range(3)]
    DossierFactory()  # someone else's
    with django_assert_num_queries(2):  # count + page, however many dossiers
        body = api.get(LIST).json()
    assert body["count"] == 3
    assert {d["id"] for d in body["results"]} == {str(d.public_id) for d in mine}
    DossierFactory.create_batch(3, applicant=citizen)
    with django_assert_num_queries(2):
        assert api.get(LIST).json()["count"] == 6


def test_the_detail_lists_the_issued_documents(api, citizen):
    dossier = DossierFactory(submitted=True, applicant=citizen)
    common = {"template": "documents/slip.html", "agency": dossier.agency, "owner": dossier}
    pending = Document.objects.create(kind="receipt", title="Giấy tiếp nhận", key="k1", **common)
    signed = Document.objects.create(
        kind="result", title="Kết quả", key="k2", status="signed", **common
    )
    documents = api.get(url(dossier)).json()["documents"]
    assert documents == [
        {
            "kind": "receipt",
            "title": "Giấy tiếp nhận",
            "status": "pending",
            "verification_url": f"http://testserver/verify/{pending.verification_code}/",
            "download_url": None,
        },
        {
            "kind": "result",
            "title": "Kết quả",
            "status": "signed",
            "verification_url": f"http://testserver/verify/{signed.verification_code}/",
            # The applicant's own download, not the public one.
            "download_url": (
                f"http://testserver/dossiers/{dossier.public_id}/documents/{signed.pk}/pdf/"
            ),
        },
    ]


def test_the_detail_lists_only_the_documents_addressed_to_the_applicant(api, citizen):
    dossier = DossierFactory(submitted=True, applicant=citizen)
    common = {"template": "documents/form.html", "agency": dossier.agency, "owner": dossier}
    receipt = Document.objects.create(
        kind="receipt", title="Giấy tiếp nhận", key="k1", status="signed", **common
    )
    Document.objects.create(
        kind="control_sheet", title="Phiếu kiểm soát", key="k2", status="signed", **common
    )
    documents = api.get(url(dossier)).json()["documents"]
    assert [(d["kind"], d["download_url"]) for d in documents] == [
        ("receipt", f"http://testserver/dossiers/{dossier.public_id}/documents/{receipt.pk}/pdf/")
    ]


def test_the_timeline_leaves_out_the_agencys_internal_notes(api, citizen, other_agency):
    dossier = DossierFactory(submitted=True, applicant=citizen)
    people = crew(dossier.agency, other_agency)
    dossier = through_internal_steps(dossier, people)
    timeline = api.get(url(dossier)).json()["timeline"]
    assert [(e["action"], e["note"]) for e in timeline] == [
        ("submit", ""),
        ("accept", ""),
        ("assign", ""),  # not who the specialist is
        ("propose", ""),  # not the proposal's reasons
        ("send_back", ""),  # not the leader's remarks
        ("stop", STOP_REASON),  # addressed to the applicant
    ]
    body = api.get(url(dossier)).content.decode()
    for internal in (people.specialist.full_name, PROPOSAL_REASONS, SEND_BACK_NOTE):
        assert internal not in body, internal
    assert dossier.events.get(action="send_back").note == SEND_BACK_NOTE  # stored as it was


# --- starting -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("procedure", "message"),
    [
        ("9.999999.000.00.12.H26", "There is no published procedure with this code."),
        ("level2", "This procedure cannot be filed online."),
        ("", "This field may not be blank."),
    ],
)
def test_start_refuses_what_cannot_be_filed_online(api, agency, procedure, message):
    level2 = ProcedureVersionFactory(
        procedure__code="1.010020", procedure__agency=agency, published=True, level2=True
    )
    if procedure == "level2":
        procedure = level2.procedure.service_code
    response = api.post(LIST, {"procedure": procedure}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.json() == {"procedure": [message]}
    assert Dossier.objects.count() == 0


# --- answers --------------------------------------------------------------------------------------


def test_patch_merges_with_what_is_stored(api, draft):
    response = api.patch(
        url(draft),
        {"answers": {"reason": "Sai tên", "copies": None}, "applicant": {"phone": "+84987654321"}},
        format="json",
    )
    assert response.status_code == 200, response.content
    draft.refresh_from_db()
    expected = {**VALID, "reason": "Sai tên"}
    del expected["copies"]  # null clears an answer
    assert draft.answers == expected
    assert draft.applicant_phone == "+84987654321"
    assert draft.applicant_name == "Nguyễn Văn An"
    assert draft.applicant_citizen_id == "001090012345"


@pytest.mark.parametrize(
    ("where", "name", "value", "message"),
    [
        ("answers", "full_name", "A" * 51, "at most 50 characters (it has 51)"),
        ("answers", "reason", "x" * 201, "at most 200 characters (it has 201)"),
        ("answers", "graduation_year", 1974, "greater than or equal to 1975"),
        ("answers", "graduation_year", 2027, "less than or equal to 2026"),
        ("answers", "graduation_year", "hai nghìn", "Enter a number."),
        ("answers", "graduation_year", True, "Enter a number."),
        ("answers", "birth_date", "2020-02-30", "Enter a valid date."),
        ("answers", "birth_date", "hôm qua", "Enter a valid date."),
        ("answers", "birth_date", "1949-12-31", "greater than or equal to 1950-01-01"),
        ("answers", "birth_date", "2021-01-01", "less than or equal to 2020-12-31"),
        ("answers", "copies", "3", "Select a valid choice. 3 is not one of"),
        ("answers", "delivery", ["post", "drone"], "Select a valid choice. drone is not one of"),
        ("answers", "delivery", "post", "Enter a list of values."),
        ("answers", "contact_email", "an@", "Enter a valid email address."),
        ("answers", "contact_phone", "12345", "Enter a Vietnamese phone number"),
        ("answers", "holder_id", "12345", "exactly 12 digits"),
        ("answers", "holder_id", "999090012345", "not a known province code"),
        ("answers", "full_name", ["Nguyễn", "An"], "Give one value, not a list."),
        ("answers", "nickname", "An", "This procedure asks no question with this name."),
        ("applicant", "name", "A" * 151, "at most 150 characters"),
        ("applicant", "citizen_id", "0010900123", "exactly 12 digits"),
        ("applicant", "phone", "091234", "Enter a Vietnamese phone number"),
        ("applicant", "email", "an.example.vn", "Enter a valid email address."),
    ],
)
def test_a_wrong_value_is_refused_and_nothing_is_stored(api, draft, where, name, value, message):
    before = snapshot(draft)
    # A valid change next to the wrong one is not stored either.
    payload = {"answers": {"reason": "Đổi lý do"}, "applicant": {"address": "Nơi khác"}}
    payload[where][name] = value
    response = api.patch(url(draft), payload, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400, response.content
    body = response.json()
    assert set(body) == {"answers", "applicant"}
    other = "applicant" if where == "answers" else "answers"
    assert body[other] == {}
    assert list(body[where]) == [name]
    assert message in " ".join(body[where][name])
    assert snapshot(draft) == before


def test_malformed_patch_bodies_are_refused(api, draft):
    before = snapshot(draft)
    response = api.patch(
        url(draft), {"applicant": {"fullname": "An"}}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert response.json() == {"applicant": {"fullname": ["Unknown field."]}}
    response = api.patch(url(draft), {"answers": ["An"]}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"answers"}
    assert snapshot(draft) == before


def test_errors_speak_the_requests_language(citizen, draft):
    from rest_framework.authtoken.models import Token

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=citizen).key}")
    bad = {"answers": {"contact_email": "an@"}}

    english = api.patch(url(draft), bad, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert english.json()["answers"] == {"contact_email": ["Enter a valid email address."]}
    assert api.get(url(draft), HTTP_ACCEPT_LANGUAGE="en").json()["state_label"] == "Draft"

    vietnamese = api.patch(url(draft), bad, format="json")  # the default language
    with translation.override("vi"):
        expected = translation.gettext("Enter a valid email address.")
    assert expected != "Enter a valid email address."
    assert vietnamese.json()["answers"] == {"contact_email": [expected]}
    assert api.get(url(draft)).json()["state_label"] == "Bản nháp"
    assert api.get(f"{LIST}{uuid.uuid4()}/").json() == {"detail": "Không tìm thấy."}


# --- files ----------------------------------------------------------------------------------------


def _big_pdf() -> bytes:
    return b"%PDF-1.4\n" + b"0" * (1024 * 1024 + 100) + b"\n%%EOF\n"


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ([("trong.pdf", b"")], "trong.pdf is empty."),
        (
            [("chuong-trinh.pdf", b"MZ\x90\x00\x03" + b"\x00" * 200)],
            "chuong-trinh.pdf is not a PDF, JPEG, PNG file.",
        ),
        ([("ban-quet.pdf", "big")], "ban-quet.pdf is 1.0 MB; a file may be at most 1 MB."),
        (
            [("tot.pdf", PDF_BYTES), ("hong.png", b"\x89PNG\r\n\x1a\nnot really")],
            "hong.png is not a readable image (it may be damaged).",
        ),
        ([], "Choose at least one file."),
    ],
)
def test_a_bad_upload_stores_nothing(api, draft, settings, files, message):
    settings.UPLOAD_MAX_FILE_MB = 1
    document = draft.version.documents.order_by("order").first()
    services.dossier_add_files(
        dossier=draft,
        actor=draft.applicant,
        requirement_id=document.pk,
        files=[upload("da-co.pdf", PDF_BYTES)],
    )
    before, on_disk = snapshot(draft), stored_names(settings, draft)
    payload = {"document": document.pk}
    if files:
        payload["files"] = [
            upload(name, _big_pdf() if content == "big" else content) for name, content in files
        ]
    response = api.post(
        url(draft, "files/"), payload, format="multipart", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400, response.content
    [problem] = response.json()["files"]
    assert problem.startswith(message)
    assert snapshot(draft) == before
    assert stored_names(settings, draft) == on_disk and len(on_disk) == 1


@pytest.mark.parametrize("document", ["another version's", "not a number", None])
def test_files_for_an_unknown_document_are_refused(api, draft, settings, document):
    if document == "another version's":
        document = ProcedureVersionFactory(published=True, level3=True).documents.get().pk
    payload = {"files": [upload("don.pdf", PDF_BYTES)]}
    if document is not None:
        payload["document"] = document
    response = api.post(
        url(draft, "files/"), payload, format="multipart", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert response.json() == {"document": ["Choose which document these files are for."]}
    assert draft.files.count() == 0 and stored_names(settings, draft) == []


def test_download_is_a_sandboxed_attachment(api, draft):
    document = draft.version.documents.order_by("order").first()
    [record] = services.dossier_add_files(
        dossier=draft,
        actor=draft.applicant,
        requirement_id=document.pk,
        files=[upload("Bản sao.pdf", PDF_BYTES)],
    )
    # Asking for the file's own type works too.
    response = api.get(url(draft, f"files/{record.pk}/"), HTTP_ACCEPT="application/pdf")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == "attachment; filename*=UTF-8''B%E1%BA%A3n%20sao.pdf"
    assert response["Content-Security-Policy"].startswith("sandbox;")
    assert response["Cache-Control"] == "private, no-store"


def test_removing_a_drafts_file_deletes_it(
    api, draft, settings, django_capture_on_commit_callbacks
):
    document = draft.version.documents.order_by("order").first()
    [record] = services.dossier_add_files(
        dossier=draft,
        actor=draft.applicant,
        requirement_id=document.pk,
        files=[upload("don.pdf", PDF_BYTES)],
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = api.delete(url(draft, f"files/{record.pk}/"))
    assert response.status_code == 204
    assert not DossierFile.objects.filter(pk=record.pk).exists()
    assert stored_names(settings, draft) == []
    assert api.delete(url(draft, f"files/{record.pk}/")).status_code == 404


def test_delete_draft(api, draft, settings, django_capture_on_commit_callbacks):
    document = draft.version.documents.order_by("order").first()
    services.dossier_add_files(
        dossier=draft,
        actor=draft.applicant,
        requirement_id=document.pk,
        files=[upload("don.pdf", PDF_BYTES)],
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert api.delete(url(draft)).status_code == 204
    assert not Dossier.objects.filter(pk=draft.pk).exists()
    assert stored_names(settings, draft) == []
    assert api.get(url(draft)).status_code == 404


# --- submitting -----------------------------------------------------------------------------------


def test_submitting_twice_gives_the_same_code_and_one_event(api, citizen):
    dossier = DossierFactory(complete=True, applicant=citizen)
    first = api.post(url(dossier, "submit/"))
    second = api.post(url(dossier, "submit/"))
    assert first.status_code == second.status_code == 200
    assert first.json()["code"] and first.json()["code"] == second.json()["code"]
    assert first.json()["submitted_at"] == second.json()["submitted_at"]
    assert DossierEvent.objects.filter(dossier=dossier).count() == 1
    assert DailySequence.objects.get(agency=dossier.agency).last == 1


def test_an_incomplete_dossier_is_not_submitted(api, citizen, version):
    dossier = DossierFactory(applicant=citizen, version=version, answers={"reason": "x"})
    before = snapshot(dossier)
    response = api.post(url(dossier, "submit/"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    missing = response.json()["missing"]
    assert "Họ và tên người được cấp: This field is required." in missing
    assert "Năm tốt nghiệp: This field is required." in missing
    assert "Attach: Đơn đề nghị chỉnh sửa" in missing
    assert "Attach: Bản sao văn bằng" in missing
    assert len(missing) == 5  # and "agree"; the optional questions and document are not asked
    assert snapshot(dossier) == before
    assert DailySequence.objects.count() == 0


@pytest.mark.parametrize(
    ("method", "tail", "payload", "message"),
    [
        ("patch", "", {"answers": {"full_name": "Trần Bình"}}, "(it is now: Submitted)"),
        ("post", "files/", "file", "(it is now: Submitted)"),
        ("delete", "files/{file}/", None, "(it is now: Submitted)"),
        ("delete", "", None, "Only a draft that was never submitted can be deleted."),
    ],
)
def test_a_submitted_dossier_cannot_be_changed(api, citizen, method, tail, payload, message):
    dossier = DossierFactory(submitted=True, applicant=citizen)
    before = snapshot(dossier)
    kwargs = {"format": "json", "data": payload}
    if payload == "file":
        document = dossier.version.documents.get()
        kwargs = {
            "format": "multipart",
            "data": {"document": document.pk, "files": [upload("moi.pdf", PDF_BYTES)]},
        }
    tail = tail.format(file=dossier.files.get().pk)
    response = getattr(api, method)(url(dossier, tail), HTTP_ACCEPT_LANGUAGE="en", **kwargs)
    assert response.status_code == 409, response.content
    assert message in response.json()["detail"]
    assert snapshot(dossier) == before


# --- supplement and withdrawal --------------------------------------------------------------------


def test_answering_a_supplement_request(api, citizen):
    dossier = DossierFactory(submitted=True, applicant=citizen)
    officer = OfficerFactory(agency=dossier.agency, roles=["desk"])
    workflow.dossier_request_supplement(
        dossier=dossier,
        actor=officer,
        reason="Bản sao không rõ",
        items=["Bản sao đơn đề nghị rõ nét"],
    )
    body = api.get(url(dossier)).json()
    assert (body["state"], body["status_code"], body["is_editable"]) == (
        "supplement_required",
        5,
        True,
    )
    assert body["supplement"]["reason"] == "Bản sao không rõ"
    assert body["supplement"]["items"] == ["Bản sao đơn đề nghị rõ nét"]
    assert body["timeline"][-1]["note"] == "Bản sao không rõ"
    assert "actor" not in body["timeline"][-1]

    # Replace the file: the new one is round 1, the old one stays in the history.
    old = dossier.files.get()
    response = api.post(
        url(dossier, "files/"),
        {"document": old.requirement_id, "files": [upload("ro-net.png", png_bytes())]},
        format="multipart",
    )
    assert response.status_code == 201 and response.json()[0]["round"] == 1
    assert api.delete(url(dossier, f"files/{old.pk}/")).status_code == 204
    body = api.get(url(dossier)).json()
    assert [f["name"] for f in body["files"]] == ["ro-net.png"]
    assert [f["id"] for f in body["removed_files"]] == [old.pk]
    assert body["removed_files"][0]["removed_at"]

    response = api.post(url(dossier, "supplement/"), {"note": "Đã gửi bản rõ"}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["state"] == "submitted" and body["supplement"] is None
    assert [e["action"] for e in body["timeline"]] == ["submit", "request_supplement", "resubmit"]
    assert body["timeline"][-1]["note"] == "Đã gửi bản rõ"

    again = api.post(url(dossier, "supplement/"), {"note": "lần nữa"}, format="json")
    assert again.status_code == 409
    assert dossier.events.count() == 3


def test_withdrawing(api, citizen):
    dossier = DossierFactory(submitted=True, applicant=citizen)
    before = snapshot(dossier)
    empty = api.post(url(dossier, "withdraw/"), {"reason": "  "}, HTTP_ACCEPT_LANGUAGE="en")
    assert empty.status_code == 400
    assert empty.json() == {"reason": ["Give a reason for withdrawing."]}
    unsaid = api.post(url(dossier, "withdraw/"), {}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert unsaid.status_code == 400
    assert unsaid.json() == {"reason": ["Give a reason for withdrawing."]}
    assert snapshot(dossier) == before

    response = api.post(url(dossier, "withdraw/"), {"reason": "Không còn nhu cầu"}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert (body["state"], body["status_code"], body["can_withdraw"]) == ("withdrawn", 7, False)
    assert body["timeline"][-1]["note"] == "Không còn nhu cầu"

    again = api.post(url(dossier, "withdraw/"), {"reason": "Lần nữa"}, HTTP_ACCEPT_LANGUAGE="en")
    assert again.status_code == 409
    assert "(it is now: Withdrawn)" in again.json()["detail"]
    assert dossier.events.count() == 2


def test_a_draft_cannot_be_withdrawn_or_supplemented(api, draft):
    before = snapshot(draft)
    assert api.post(url(draft, "withdraw/"), {"reason": "x"}).status_code == 409
    assert api.post(url(draft, "supplement/"), {"note": "x"}).status_code == 409
    assert snapshot(draft) == before


# --- someone else's dossier, and nobody's ---------------------------------------------------------

ENDPOINTS = [
    ("get", "", None),
    ("patch", "", {"answers": {"full_name": "Kẻ gian"}}),
    ("delete", "", None),
    ("post", "files/", "file"),
    ("get", "files/{file}/", None),
    ("delete", "files/{file}/", None),
    ("post", "submit/", None),
    ("post", "supplement/", {"note": "x"}),
    ("post", "withdraw/", {"reason": "x"}),
]


def _call(client, method, dossier_path, tail, payload, *, file_id, document_id):
    kwargs = {"format": "json", "data": payload}
    if payload == "file":
        kwargs = {
            "format": "multipart",
            "data": {"document": document_id, "files": [upload("x.pdf", PDF_BYTES)]},
        }
    return getattr(client, method)(dossier_path + tail.format(file=file_id), **kwargs)


@pytest.mark.parametrize(("method", "tail", "payload"), ENDPOINTS)
def test_another_users_dossier_is_not_found(api, method, tail, payload):
    theirs = DossierFactory(complete=True)
    file_id, document_id = theirs.files.get().pk, theirs.version.documents.get().pk
    before = snapshot(theirs)
    response = _call(
        api, method, url(theirs), tail, payload, file_id=file_id, document_id=document_id
    )
    assert response.status_code == 404, response.content
    # Exactly what a dossier that does not exist gives.
    nobody = _call(
        api, method, f"{LIST}{uuid.uuid4()}/", tail, payload, file_id=file_id,
        document_id=document_id,
    )  # fmt: skip
    assert (nobody.status_code, nobody.json()) == (404, response.json())
    assert snapshot(theirs) == before


@pytest.mark.parametrize(("method", "tail", "payload"), [*ENDPOINTS, ("get", None, None)])
def test_anonymous_is_refused(method, tail, payload):
    dossier = DossierFactory(complete=True)
    before = snapshot(dossier)
    path = LIST if tail is None else url(dossier)
    response = _call(
        APIClient(), method, path, tail or "", payload,
        file_id=dossier.files.get().pk, document_id=dossier.version.documents.get().pk,
    )  # fmt: skip
    assert response.status_code in {401, 403}
    assert set(response.json()) == {"detail"}
    assert snapshot(dossier) == before


def test_anonymous_cannot_start_a_dossier(version):
    response = APIClient().post(LIST, {"procedure": version.procedure.service_code})
    assert response.status_code in {401, 403}
    assert Dossier.objects.count() == 0


# --- public tracking ------------------------------------------------------------------------------


@pytest.fixture
def tracked(citizen):
    return DossierFactory(submitted=True, applicant=citizen)


def test_track_by_phone_in_any_form(tracked):
    for secret in ("0912345678", "+84 912 345 678", "84912345678"):
        response = APIClient().post(TRACK, {"code": tracked.code, "secret": secret})
        assert response.status_code == 200, secret
        assert response.json()["code"] == tracked.code


def test_a_wrong_secret_looks_like_an_unknown_code(tracked):
    wrong_pair = APIClient().post(TRACK, {"code": tracked.code, "secret": "001090099999"})
    unknown = APIClient().post(TRACK, {"code": "000.00.12.H26-250101-9999", "secret": "0912345678"})
    assert wrong_pair.status_code == unknown.status_code == 404
    assert wrong_pair.json() == unknown.json()
    assert set(wrong_pair.json()) == {"detail"}
    assert tracked.code not in wrong_pair.content.decode()


def test_track_needs_both_fields(tracked):
    response = APIClient().post(TRACK, {"code": tracked.code}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"secret"}
    response = APIClient().post(TRACK, [tracked.code, "001090012345"], format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"code", "secret"}


@pytest.mark.parametrize(
    "body",
    [
        {"code": [None, None], "secret": "0912345678"},
        {"code": {"A": 1}, "secret": "0912345678"},
        {"code": "X", "secret": ["0912345678"]},
    ],
)
def test_track_refuses_what_is_not_text(tracked, body):
    """Found by the fuzzer (issue 13): a list or an object as the code was turned into text
    ("[None, None]") and used as a rate-limit key, which a cache may refuse (a server error)."""
    response = APIClient().post(TRACK, body, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert list(response.json().values()) == [["Not a valid string."]]


def test_track_codes_with_spaces_are_counted_under_a_safe_key(tracked, settings):
    """The counters' cache keys are hashed: a code with spaces (or anything a client types)
    is never a key a cache backend warns about or refuses."""
    import warnings

    from django.core.cache.backends.base import CacheKeyWarning

    with warnings.catch_warnings():
        warnings.simplefilter("error", CacheKeyWarning)
        response = APIClient().post(TRACK, {"code": "A B\tC " * 5, "secret": "0912345678"})
    assert response.status_code == 404


def test_track_ignores_a_session_without_csrf(tracked, citizen):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(citizen)
    response = client.post(TRACK, {"code": tracked.code, "secret": "001090012345"})
    assert response.status_code == 200


def test_tracking_is_rate_limited(tracked, settings):
    settings.TRACKING_MAX_FAILURES = 3
    api = APIClient()
    right = {"code": tracked.code, "secret": "001090012345"}
    assert api.post(TRACK, right).status_code == 200  # successes are not counted
    for _ in range(3):
        assert api.post(TRACK, {**right, "secret": "0999999999"}).status_code == 404
    limited = api.post(TRACK, right, HTTP_ACCEPT_LANGUAGE="en")
    assert limited.status_code == 429
    assert limited.json() == {
        "detail": f"Too many failed attempts. Try again in {settings.TRACKING_WINDOW_MINUTES} "
        "minutes."
    }
    assert limited["Retry-After"] == str(settings.TRACKING_WINDOW_MINUTES * 60)
    # The code is locked from another address too, and this address for another code.
    assert api.post(TRACK, right, REMOTE_ADDR="10.1.2.3").status_code == 429
    other = DossierFactory(submitted=True, applicant=tracked.applicant)
    assert api.post(TRACK, {**right, "code": other.code}).status_code == 429
    fresh = APIClient().post(TRACK, {**right, "code": other.code}, REMOTE_ADDR="10.9.9.9")
    assert fresh.status_code == 200


def test_a_success_after_failures_does_not_use_up_the_allowance(tracked, settings):
    settings.TRACKING_MAX_FAILURES = 3
    api = APIClient()
    right = {"code": tracked.code, "secret": "001090012345"}
    wrong = {**right, "secret": "0999999999"}
    for _ in range(2):
        assert api.post(TRACK, wrong).status_code == 404
    for _ in range(4):  # with one failure left, the right pair still works, and is given back
        response = api.post(TRACK, right)
        assert response.status_code == 200 and response.json()["code"] == tracked.code
    assert api.post(TRACK, wrong).status_code == 404
    assert api.post(TRACK, right).status_code == 429


@pytest.mark.django_db(transaction=True)
def test_parallel_wrong_guesses_get_no_more_than_the_allowance(settings):
    settings.TRACKING_MAX_FAILURES = 3
    dossier = DossierFactory(submitted=True)
    guesses = 12
    barrier = threading.Barrier(guesses, timeout=30)
    answers: list[int] = []

    def guess(n: int):
        try:
            api = APIClient()
            barrier.wait()
            # Citizen IDs of another province: none is the applicant's (factories: 001090…).
            response = api.post(TRACK, {"code": dossier.code, "secret": f"07909{n:07d}"})
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
    right = {"code": dossier.code, "secret": dossier.applicant_citizen_id}
    assert APIClient().post(TRACK, right).status_code == 429


# --- schema ---------------------------------------------------------------------------------------


def test_every_endpoint_is_in_the_schema():
    schema = APIClient().get("/api/schema/", {"format": "json"}).json()
    paths = schema["paths"]
    expected = {
        "/api/v1/dossiers/": {"get", "post"},
        "/api/v1/dossiers/{public_id}/": {"get", "patch", "delete"},
        "/api/v1/dossiers/{public_id}/files/": {"post"},
        "/api/v1/dossiers/{public_id}/files/{file_id}/": {"get", "delete"},
        "/api/v1/dossiers/{public_id}/submit/": {"post"},
        "/api/v1/dossiers/{public_id}/supplement/": {"post"},
        "/api/v1/dossiers/{public_id}/withdraw/": {"post"},
        "/api/v1/track/": {"post"},
    }
    for path, methods in expected.items():
        assert path in paths, path
        assert set(paths[path]) - {"parameters"} == methods, path
    patch = paths["/api/v1/dossiers/{public_id}/"]["patch"]
    assert patch["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/PatchedDossierUpdateInput"
    )
    assert patch["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/DossierOutput"
    )
    upload_body = paths["/api/v1/dossiers/{public_id}/files/"]["post"]["requestBody"]["content"]
    assert set(upload_body) == {"multipart/form-data"}
    assert "security" not in paths["/api/v1/track/"]["post"]
    output = schema["components"]["schemas"]["DossierOutput"]["properties"]
    assert {"timeline", "files", "removed_files", "missing", "supplement", "documents"} <= set(
        output
    )
    assert "actor" not in schema["components"]["schemas"]["DossierEventOutput"]["properties"]


@pytest.mark.parametrize("value", [0, 12.5, True, ["Hà Nội"], {"city": "Hà Nội"}])
def test_a_text_field_takes_text_only(api, draft, value):
    """Found by the fuzzer (issue 13): REST framework's text fields took a number and stored
    it as text ("0"); the schema says string, so the API refuses it and stores nothing."""
    before = snapshot(draft)
    response = api.patch(
        url(draft), {"applicant": {"address": value}}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert response.json() == {"applicant": {"address": ["Not a valid string."]}}
    assert snapshot(draft) == before

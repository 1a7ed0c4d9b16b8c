"""The staff's dossier API (/api/v1/office/): queues, detail, workflow actions, specialists."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from office import actions as api_office
from office import api
from signing.models import Document
from submissions.models import Dossier, State
from tests.factories import (
    PDF_BYTES,
    DossierFactory,
    OfficerFactory,
    ProcedureVersionFactory,
    pass_second_factor,
)

pytestmark = pytest.mark.django_db

LIST = "/api/v1/office/dossiers/"
SPECIALISTS = "/api/v1/office/specialists/"
STALE = "This dossier has changed meanwhile (it is now: {state}). Reload the page."
NOT_ALLOWED = "Your role does not allow this action on this dossier."


@pytest.fixture
def version(agency):
    return ProcedureVersionFactory(
        procedure__code="1.005092",
        procedure__agency=agency,
        name="Cấp bản sao văn bằng, chứng chỉ từ sổ gốc",
        published=True,
        level4=True,
    )


@pytest.fixture
def desk(agency):
    return OfficerFactory(agency=agency, full_name="Trần Thị Một Cửa", roles=["desk"])


@pytest.fixture
def leader(agency):
    return OfficerFactory(agency=agency, full_name="Lê Văn Lãnh Đạo", roles=["leader"])


@pytest.fixture
def specialist(agency):
    return OfficerFactory(agency=agency, full_name="Phạm Chuyên Viên", roles=["specialist"])


@pytest.fixture
def stranger(other_agency):
    """An officer of another agency, holding every role there."""
    return OfficerFactory(agency=other_agency, roles=["desk", "leader", "specialist"])


@pytest.fixture
def dossier(version):
    return DossierFactory(submitted=True, version=version)


def client_for(user, language: str = "en") -> APIClient:
    """An API client authenticated with the user's token, reading messages in `language`."""
    token, _created = Token.objects.get_or_create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}", HTTP_ACCEPT_LANGUAGE=language)
    return client


def detail_url(dossier) -> str:
    return f"{LIST}{dossier.public_id}/"


def action_url(dossier, action: str) -> str:
    return f"{LIST}{dossier.public_id}/actions/{action}/"


def snapshot(dossier) -> dict:
    dossier = Dossier.objects.get(pk=dossier.pk)
    return {
        "state": dossier.state,
        "assignee": dossier.assignee_id,
        "due_at": dossier.due_at,
        "decision": dossier.decision,
        "decision_reasons": dossier.decision_reasons,
        "rescheduled": dossier.rescheduled,
        "updated_at": dossier.updated_at,
        "events": dossier.events.count(),
        "supplements": dossier.supplements.count(),
    }


def row_of(response, dossier) -> dict:
    assert response.status_code == 200, response.content
    rows = [row for row in response.json()["results"] if row["id"] == str(dossier.public_id)]
    assert len(rows) == 1, response.json()
    return rows[0]


def assert_at(client, dossier, state: str, status_code: int) -> dict:
    """The dossier is in `state` in both the detail and the queue, with its portal code."""
    detail = client.get(detail_url(dossier))
    assert detail.status_code == 200, detail.content
    body = detail.json()
    assert (body["state"], body["status_code"]) == (state, status_code)
    row = row_of(client.get(LIST, {"tab": "all"}), dossier)
    assert (row["state"], row["status_code"]) == (state, status_code)
    return body


# --- the whole lifecycle --------------------------------------------------------------------------


def test_lifecycle_through_the_api(
    dossier, desk, leader, specialist, settings, django_capture_on_commit_callbacks, mailoutbox
):
    call_command("make_demo_pki", stdout=io.StringIO())
    as_desk, as_leader, as_specialist = client_for(desk), client_for(leader), client_for(specialist)
    as_citizen = client_for(dossier.applicant)

    # The desk's queue: the new dossier, with everything the row needs.
    row = row_of(as_desk.get(LIST, {"tab": "desk"}), dossier)
    assert row == {
        "id": str(dossier.public_id),
        "code": dossier.code,
        "procedure": {
            "id": dossier.version.procedure_id,
            "code": "1.005092",
            "name": "Cấp bản sao văn bằng, chứng chỉ từ sổ gốc",
        },
        "applicant_name": dossier.applicant_name,
        "citizen_id": dossier.applicant_citizen_id,
        "state": "submitted",
        "state_label": "Submitted",
        "status_code": 1,
        "channel": "online",
        "submitted_at": row["submitted_at"],
        "received_at": None,
        "due_at": None,
        "overdue": False,
        "paused": False,
        "assignee": None,
        "agency": {"code": dossier.agency.code, "name": dossier.agency.name},
        "receiving_agency": None,
        "transferred_at": None,
        "result_transferred_at": None,
    }
    assert row["submitted_at"]
    body = assert_at(as_desk, dossier, "submitted", 1)
    assert set(body["available_actions"]) == {"accept", "refuse", "request_supplement"}
    assert body["applicant"]["name"] == dossier.applicant_name
    assert body["answer_rows"] == [{"label": "Họ và tên", "value": "Nguyễn Văn A"}]
    [file] = body["files"]
    assert file["download_url"] == (
        f"http://testserver/api/v1/office/dossiers/{dossier.public_id}/files/{file['id']}/"
    )
    # The file downloads with the officer's token; another agency's officer gets 404.
    download = as_desk.get(file["download_url"])
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert b"".join(download.streaming_content) == PDF_BYTES
    stranger = OfficerFactory(roles=["desk"])
    assert client_for(stranger).get(file["download_url"]).status_code == 404

    with django_capture_on_commit_callbacks(execute=True):
        response = as_desk.post(
            action_url(dossier, "accept"), {"expected_state": "submitted"}, format="json"
        )
    assert response.status_code == 200, response.content
    assert (response.json()["state"], response.json()["status_code"]) == ("received", 2)
    assert response.json()["due_at"]
    assert_at(as_desk, dossier, "received", 2)
    assert row_of(as_leader.get(LIST, {"tab": "assign"}), dossier)["status_code"] == 2

    specialists = as_leader.get(SPECIALISTS)
    assert specialists.status_code == 200
    assert specialists.json() == [{"id": specialist.pk, "name": "Phạm Chuyên Viên"}]
    with django_capture_on_commit_callbacks(execute=True):
        response = as_leader.post(
            action_url(dossier, "assign"),
            {"specialist": specialist.pk, "expected_state": "received"},
            format="json",
        )
    assert response.status_code == 200, response.content
    assert response.json()["assignee"] == {"id": specialist.pk, "name": "Phạm Chuyên Viên"}
    body = assert_at(as_specialist, dossier, "processing", 4)
    assert set(body["available_actions"]) == {"propose", "request_supplement"}
    assert row_of(as_specialist.get(LIST, {"tab": "mine"}), dossier)["status_code"] == 4

    with django_capture_on_commit_callbacks(execute=True):
        response = as_specialist.post(
            action_url(dossier, "request_supplement"),
            {
                "reason": "Bản sao mờ",
                "items": ["Bản sao văn bằng rõ nét"],
                "expected_state": "processing",
            },
            format="json",
        )
    assert response.status_code == 200, response.content
    body = assert_at(as_specialist, dossier, "supplement_required", 5)
    assert body["paused"] is True
    assert row_of(as_desk.get(LIST), dossier)["paused"] is True
    [supplement] = body["supplements"]
    assert supplement["reason"] == "Bản sao mờ"
    assert supplement["items"] == ["Bản sao văn bằng rõ nét"]
    assert supplement["requested_by"] == "Phạm Chuyên Viên"
    assert supplement["answered_at"] is None

    # The citizen answers through the citizen API: back to the specialist, clock running.
    with django_capture_on_commit_callbacks(execute=True):
        response = as_citizen.post(
            f"/api/v1/dossiers/{dossier.public_id}/supplement/", {"note": "Đã bổ sung"}
        )
    assert response.status_code == 200, response.content
    body = assert_at(as_specialist, dossier, "processing", 4)
    assert body["paused"] is False
    assert body["supplements"][0]["answered_at"]

    with django_capture_on_commit_callbacks(execute=True):
        response = as_specialist.post(
            action_url(dossier, "propose"),
            {
                "decision": "grant",
                "result_content": "Cấp 02 bản sao",
                "expected_state": "processing",
            },
            format="json",
        )
    assert response.status_code == 200, response.content
    body = assert_at(as_leader, dossier, "pending_approval", 4)
    assert (body["decision"], body["result_content"]) == ("grant", "Cấp 02 bản sao")
    assert set(body["available_actions"]) == {"approve", "send_back", "stop", "reschedule"}
    assert row_of(as_leader.get(LIST, {"tab": "approval"}), dossier)["status_code"] == 4

    # Approving asks the worker for the signed result; its signature resolves the dossier.
    with django_capture_on_commit_callbacks(execute=True):
        response = as_leader.post(
            action_url(dossier, "approve"), {"expected_state": "pending_approval"}, format="json"
        )
        assert response.status_code == 200, response.content
        assert (response.json()["state"], response.json()["status_code"]) == ("signing", 4)
    body = assert_at(as_desk, dossier, "resolved", 9)
    assert body["available_actions"] == ["hand_back"]
    result = Document.objects.get(kind="result", owner_id=dossier.pk)
    assert result.status == Document.Status.SIGNED, result.error
    [shown] = [d for d in body["documents"] if d["kind"] == "result"]
    assert shown["status"] == "signed"
    assert shown["verification_code"] == result.verification_code
    assert shown["download_url"] == (
        f"http://testserver/verify/{result.verification_code}/download/"
    )
    assert {d["kind"] for d in body["documents"]} == {"receipt", "supplement", "result"}
    assert row_of(as_desk.get(LIST, {"tab": "results"}), dossier)["status_code"] == 9

    with django_capture_on_commit_callbacks(execute=True):
        response = as_desk.post(
            action_url(dossier, "hand_back"),
            {"received_by": "Nguyễn Văn A", "expected_state": "resolved"},
            format="json",
        )
    assert response.status_code == 200, response.content
    body = assert_at(as_desk, dossier, "returned", 10)
    assert body["returned_to"] == "Nguyễn Văn A"
    assert body["available_actions"] == []
    assert body["timeliness"] == "early"

    timeline = body["timeline"]
    assert [(e["action"], e["to_status_code"]) for e in timeline] == [
        ("submit", 1),
        ("accept", 2),
        ("assign", 4),
        ("request_supplement", 5),
        ("resubmit", 4),
        ("propose", 4),
        ("approve", 4),
        ("resolve", 9),
        ("hand_back", 10),
    ]
    assert [e["from_status_code"] for e in timeline] == [None, 1, 2, 4, 5, 4, 4, 4, 9]
    assert [e["actor"] for e in timeline] == [
        dossier.applicant.full_name,
        "Trần Thị Một Cửa",
        "Lê Văn Lãnh Đạo",
        "Phạm Chuyên Viên",
        dossier.applicant.full_name,
        "Phạm Chuyên Viên",
        "Lê Văn Lãnh Đạo",
        None,
        "Trần Thị Một Cửa",
    ]
    # Working time counts only while the clock ran (from acceptance to the result).
    assert timeline[1]["working_time"] is None
    assert all(isinstance(e["working_time"], int) for e in timeline[2:4])
    assert timeline[3]["note"] == "Bản sao mờ"
    assert timeline[2]["note"] == "Phạm Chuyên Viên"
    assert mailoutbox, "the applicant was told"


# --- visibility -----------------------------------------------------------------------------------


def test_another_agencys_officer_gets_404_and_changes_nothing(dossier, stranger):
    before = snapshot(dossier)
    client = client_for(stranger)
    assert client.get(detail_url(dossier)).status_code == 404
    for action, body in [("accept", {}), ("refuse", {"reasons": "Không đủ điều kiện"})]:
        assert client.post(action_url(dossier, action), body, format="json").status_code == 404
    listed = client.get(LIST)
    assert listed.status_code == 200 and listed.json()["count"] == 0
    assert snapshot(dossier) == before


def test_a_citizen_gets_404_everywhere_even_for_their_own_dossier(dossier):
    before = snapshot(dossier)
    client = client_for(dossier.applicant)
    assert client.get(LIST).status_code == 404
    assert client.get(SPECIALISTS).status_code == 404
    assert client.get(detail_url(dossier)).status_code == 404
    response = client.post(action_url(dossier, "accept"), {}, format="json")
    assert response.status_code == 404
    assert snapshot(dossier) == before


def test_anonymous_is_refused(dossier):
    client = APIClient()
    for url in (LIST, SPECIALISTS, detail_url(dossier)):
        assert client.get(url).status_code in {401, 403}
    assert client.post(action_url(dossier, "accept"), {}, format="json").status_code in {401, 403}
    assert Dossier.objects.get(pk=dossier.pk).state == State.SUBMITTED


def test_session_auth_works_too(dossier, desk):
    client = APIClient()
    client.force_login(desk)
    pass_second_factor(client, desk)  # a staff session, once past the code page
    assert client.get(detail_url(dossier)).json()["status_code"] == 1


def test_a_draft_is_not_shown_to_the_office(version, desk):
    draft = DossierFactory(version=version)
    client = client_for(desk)
    assert client.get(detail_url(draft)).status_code == 404
    assert client.get(LIST).json()["count"] == 0


# --- refusals -------------------------------------------------------------------------------------


def test_wrong_role_is_403_with_a_message_and_nothing_changes(dossier, leader, specialist):
    before = snapshot(dossier)
    response = client_for(leader).post(action_url(dossier, "accept"), {}, format="json")
    assert response.status_code == 403
    assert response.json() == {"detail": NOT_ALLOWED}
    response = client_for(specialist).post(
        action_url(dossier, "refuse"), {"reasons": "Không đủ điều kiện"}, format="json"
    )
    assert response.status_code == 403
    assert response.json() == {"detail": NOT_ALLOWED}
    assert snapshot(dossier) == before


def test_an_agency_admin_sees_the_dossier_but_may_not_act(dossier, agency_admin):
    client = client_for(agency_admin)
    body = client.get(detail_url(dossier)).json()
    assert body["available_actions"] == []
    response = client.post(action_url(dossier, "accept"), {}, format="json")
    assert response.status_code == 403
    assert Dossier.objects.get(pk=dossier.pk).state == State.SUBMITTED


def test_state_label_is_in_the_readers_language(dossier, desk):
    vietnamese = client_for(desk, language="vi")
    assert vietnamese.get(detail_url(dossier)).json()["state_label"] == "Mới đăng ký"
    assert row_of(vietnamese.get(LIST), dossier)["state_label"] == "Mới đăng ký"
    assert client_for(desk).get(detail_url(dossier)).json()["state_label"] == "Submitted"


@pytest.mark.parametrize(
    ("action", "body", "errors"),
    [
        ("refuse", {}, {"reasons": ["This field is required."]}),
        ("refuse", {"reasons": "   "}, {"reasons": ["This field may not be blank."]}),
        (
            "request_supplement",
            {"reason": "Thiếu giấy tờ", "items": []},
            {"items": ["This list may not be empty."]},
        ),
        (
            "request_supplement",
            {"items": ["Bản sao"]},
            {"reason": ["This field is required."]},
        ),
        (
            "accept",
            {"expected_state": "draft"},
            {"expected_state": ['"draft" is not a valid choice.']},
        ),
    ],
)
def test_bad_input_is_400_and_nothing_changes(dossier, desk, action, body, errors):
    before = snapshot(dossier)
    response = client_for(desk).post(action_url(dossier, action), body, format="json")
    assert response.status_code == 400
    assert response.json() == errors
    assert snapshot(dossier) == before


def test_a_body_that_is_not_json_is_refused(dossier, desk):
    before = snapshot(dossier)
    response = client_for(desk).post(action_url(dossier, "refuse"), {"reasons": "Không đủ"})
    assert response.status_code == 415
    assert snapshot(dossier) == before


def test_stale_expected_state_is_409_and_nothing_changes(dossier, desk):
    before = snapshot(dossier)
    client = client_for(desk)
    response = client.post(
        action_url(dossier, "accept"), {"expected_state": "received"}, format="json"
    )
    assert response.status_code == 409
    assert response.json() == {"detail": STALE.format(state="Submitted")}
    assert snapshot(dossier) == before


def test_acting_twice_is_409_the_second_time(dossier, desk):
    client = client_for(desk)
    assert client.post(action_url(dossier, "accept"), {}, format="json").status_code == 200
    after_first = snapshot(dossier)
    response = client.post(action_url(dossier, "accept"), {}, format="json")
    assert response.status_code == 409
    assert response.json() == {"detail": STALE.format(state="Accepted")}
    assert snapshot(dossier) == after_first


def test_unknown_action_is_404(dossier, desk):
    before = snapshot(dossier)
    response = client_for(desk).post(action_url(dossier, "delete"), {}, format="json")
    assert response.status_code == 404
    assert response.json() == {"detail": "There is no such action."}
    assert snapshot(dossier) == before


@pytest.fixture
def received(dossier, desk):
    assert (
        client_for(desk).post(action_url(dossier, "accept"), {}, format="json").status_code == 200
    )
    return Dossier.objects.get(pk=dossier.pk)


def test_assigning_someone_who_is_not_a_specialist_here_is_400(received, leader, stranger, desk):
    before = snapshot(received)
    client = client_for(leader)
    for someone in (stranger.pk, desk.pk, 999999, "abc"):
        response = client.post(
            action_url(received, "assign"), {"specialist": someone}, format="json"
        )
        assert response.status_code == 400
        assert response.json() == {"specialist": ["Choose a specialist of this agency."]}
    assert snapshot(received) == before


@pytest.fixture
def processing(received, leader, specialist):
    response = client_for(leader).post(
        action_url(received, "assign"), {"specialist": specialist.pk}, format="json"
    )
    assert response.status_code == 200
    return Dossier.objects.get(pk=received.pk)


def test_proposing_needs_the_content_or_the_reasons(processing, specialist):
    before = snapshot(processing)
    client = client_for(specialist)
    response = client.post(action_url(processing, "propose"), {"decision": "grant"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"result_content": ["Give the content of the result."]}
    response = client.post(
        action_url(processing, "propose"),
        {"decision": "deny", "result_content": "x"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"reasons": ["Give the reasons for denying."]}
    assert snapshot(processing) == before


def test_another_specialist_may_not_propose(processing, agency):
    other = OfficerFactory(agency=agency, roles=["specialist"])
    before = snapshot(processing)
    client = client_for(other)
    assert client.get(detail_url(processing)).json()["available_actions"] == []
    response = client.post(
        action_url(processing, "propose"),
        {"decision": "deny", "reasons": "Không đủ điều kiện"},
        format="json",
    )
    assert response.status_code == 403
    assert snapshot(processing) == before


def test_send_back_and_stop(processing, specialist, leader):
    client_for(specialist).post(
        action_url(processing, "propose"),
        {"decision": "deny", "reasons": "Không đủ điều kiện"},
        format="json",
    )
    as_leader = client_for(leader)
    response = as_leader.post(action_url(processing, "send_back"), {}, format="json")
    assert response.status_code == 400
    assert response.json() == {"note": ["This field is required."]}
    response = as_leader.post(
        action_url(processing, "send_back"), {"note": "Nêu rõ căn cứ"}, format="json"
    )
    assert response.status_code == 200
    assert (response.json()["state"], response.json()["status_code"]) == ("processing", 4)
    response = as_leader.post(
        action_url(processing, "stop"),
        {"reason": "Người nộp đề nghị dừng", "expected_state": "processing"},
        format="json",
    )
    assert response.status_code == 200
    assert (response.json()["state"], response.json()["status_code"]) == ("stopped", 8)
    assert response.json()["timeline"][-1]["note"] == "Người nộp đề nghị dừng"


def test_refuse(dossier, desk):
    response = client_for(desk).post(
        action_url(dossier, "refuse"), {"reasons": "Không thuộc thẩm quyền"}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["state"], body["status_code"], body["reasons"]) == (
        "refused",
        3,
        "Không thuộc thẩm quyền",
    )


# --- reschedule (Mẫu 04) --------------------------------------------------------------------------


def test_reschedule_gives_a_new_date_once(received, leader):
    before = snapshot(received)
    client = client_for(leader)
    new_due = timezone.localtime(received.due_at + dt.timedelta(days=3)).isoformat()
    stale = client.post(
        action_url(received, "reschedule"),
        {"reason": "Cần xác minh", "new_due": new_due, "expected_state": "processing"},
        format="json",
    )
    assert stale.status_code == 409
    assert stale.json() == {"detail": STALE.format(state="Accepted")}
    bad = client.post(
        action_url(received, "reschedule"),
        {"reason": "Cần xác minh", "new_due": "next week"},
        format="json",
    )
    assert bad.status_code == 400 and set(bad.json()) == {"new_due"}
    assert snapshot(received) == before

    response = client.post(
        action_url(received, "reschedule"),
        {"reason": "Cần xác minh", "new_due": new_due, "expected_state": "received"},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["rescheduled"] is True
    assert body["original_due_at"] is not None
    assert dt.datetime.fromisoformat(body["due_at"]) == received.due_at + dt.timedelta(days=3)
    assert "reschedule" not in body["available_actions"]
    again = client.post(
        action_url(received, "reschedule"),
        {"reason": "Lần nữa", "new_due": new_due},
        format="json",
    )
    assert again.status_code == 400
    assert again.json() == {
        "detail": "This dossier already had its apology letter: a new date is given only once."
    }


# --- the queue ------------------------------------------------------------------------------------


def test_queue_tabs_and_filters(version, desk, leader, specialist, agency):
    client = client_for(desk)
    submitted = DossierFactory(submitted=True, version=version)
    accepted = DossierFactory(submitted=True, version=version)
    client.post(action_url(accepted, "accept"), {}, format="json")
    other_procedure = ProcedureVersionFactory(procedure__agency=agency, published=True, level4=True)
    elsewhere = DossierFactory(submitted=True, version=other_procedure)

    def ids(response):
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()["results"]}

    every = {str(d.public_id) for d in (submitted, accepted, elsewhere)}
    assert ids(client.get(LIST)) == every
    assert ids(client.get(LIST, {"tab": "desk"})) == {
        str(submitted.public_id),
        str(elsewhere.public_id),
    }
    assert ids(client.get(LIST, {"tab": "assign"})) == {str(accepted.public_id)}
    assert ids(client.get(LIST, {"tab": "mine"})) == set()
    assert ids(client.get(LIST, {"procedure": other_procedure.procedure_id})) == {
        str(elsewhere.public_id)
    }
    assert ids(client.get(LIST, {"state": "received"})) == {str(accepted.public_id)}
    assert ids(client.get(LIST, {"q": submitted.code})) == {str(submitted.public_id)}
    assert ids(client.get(LIST, {"overdue": "true"})) == set()
    assert ids(client.get(LIST, {"due_soon": "true"})) == set()
    bad = client.get(LIST, {"tab": "everything", "state": "draft"})
    assert bad.status_code == 400
    assert set(bad.json()) == {"tab", "state"}


def test_queue_query_count_does_not_grow_with_the_dossiers(version, desk, specialist):
    client = client_for(desk)

    def make(count: int) -> None:
        made = [DossierFactory(submitted=True, version=version) for _ in range(count)]
        # Half of them assigned, so that the assignee is part of the rows.
        Dossier.objects.filter(pk__in=[d.pk for d in made[::2]]).update(assignee=specialist)

    def queries() -> tuple[int, dict]:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(LIST)
        assert response.status_code == 200
        return len(captured), response.json()

    make(3)
    few, body = queries()
    assert body["count"] == 3
    make(17)
    many, body = queries()
    assert body["count"] == 20 and len(body["results"]) == 20
    assert sum(1 for row in body["results"] if row["assignee"]) == 2 + 9
    assert all(row["status_code"] == 1 for row in body["results"])
    assert many == few


def test_specialists_are_the_agencys_own(desk, specialist, stranger, agency):
    OfficerFactory(agency=agency, roles=["specialist"], is_active=False)
    response = client_for(desk).get(SPECIALISTS)
    assert response.json() == [{"id": specialist.pk, "name": specialist.full_name}]
    assert client_for(stranger).get(SPECIALISTS).json() == [
        {"id": stranger.pk, "name": stranger.full_name}
    ]


# --- the contract ---------------------------------------------------------------------------------


def test_the_api_offers_every_back_office_action():
    """One table (office.actions) for the pages and the API: the API reads it, not a copy."""
    assert api.ACTIONS is api_office.ACTIONS and len(api_office.ACTIONS) == 17


def test_every_office_endpoint_is_in_the_schema():
    schema = APIClient().get("/api/schema/", {"format": "json"}).json()
    paths = schema["paths"]
    expected = {
        "/api/v1/office/dossiers/": {"get"},
        "/api/v1/office/dossiers/{public_id}/": {"get"},
        "/api/v1/office/dossiers/{public_id}/actions/{action}/": {"post"},
        "/api/v1/office/specialists/": {"get"},
        "/api/v1/office/dossiers/{public_id}/drafts/{number}/": {"get"},
    }
    for path, methods in expected.items():
        assert path in paths, path
        assert set(paths[path]) - {"parameters"} == methods, path
    action = paths["/api/v1/office/dossiers/{public_id}/actions/{action}/"]["post"]
    [parameter] = [p for p in action["parameters"] if p["name"] == "action"]
    assert set(parameter["schema"]["enum"]) == set(api_office.ACTIONS)
    body = action["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert body.endswith("/OfficeActionBody")
    assert {"200", "400", "403", "404", "409"} <= set(action["responses"])
    components = schema["components"]["schemas"]
    assert len(components["OfficeActionBody"]["oneOf"]) == len(api_office.ACTIONS)
    for name in ("OfficeDossierSummaryOutput", "OfficeDossierOutput"):
        assert {"status_code", "state", "state_label"} <= set(components[name]["required"])
    assert {"available_actions", "drafts"} <= set(components["OfficeDossierOutput"]["properties"])
    draft = paths["/api/v1/office/dossiers/{public_id}/drafts/{number}/"]["get"]
    assert "application/pdf" in draft["responses"]["200"]["content"]
    assert components["OfficeRescheduleInput"]["properties"]["new_due"]["format"] == "date-time"

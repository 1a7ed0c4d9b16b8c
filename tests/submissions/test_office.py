"""The back-office pages (/office/, submissions.office) through the Django test client: the
queues each role sees, filters and search, the action forms, the control sheet (Mẫu 05) and the
register (Mẫu 06). Officers read the pages in English, so that assertions can read the messages."""

import datetime as dt
import html
import io
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from office import register
from office import services as workflow
from signing.models import Document
from submissions.models import Dossier, State
from tests.factories import DossierFactory, OfficerFactory, ProcedureVersionFactory
from tests.submissions.workflow_support import (
    PROPOSAL_REASONS,
    SEND_BACK_NOTE,
    STOP_REASON,
    advance,
    crew,
    documents_of,
    fake_sign,
    fresh,
    through_internal_steps,
)

pytestmark = pytest.mark.django_db

VN = ZoneInfo("Asia/Ho_Chi_Minh")
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def at(year, month, day, hour=0, minute=0):
    return dt.datetime(year, month, day, hour, minute, tzinfo=VN)


@pytest.fixture
def monday():
    """Monday 9 March 2026, 09:00 in Hà Nội, time running."""
    with time_machine.travel(at(2026, 3, 9, 9), tick=True):
        yield


@pytest.fixture
def people(agency, other_agency):
    return crew(agency, other_agency)


def version_of(agency, days="5", **kwargs):
    return ProcedureVersionFactory(
        published=True,
        level3=True,
        procedure__agency=agency,
        channels=[{}, {"online": True, "fee_vnd": 0, "time_amount": Decimal(days)}],
        **kwargs,
    )


@pytest.fixture
def version(agency):
    return version_of(agency)


def new_dossier(version, **kwargs) -> Dossier:
    return DossierFactory(version=version, submitted=True, **kwargs)


# --- reading pages ------------------------------------------------------------------------------


def text(response) -> str:
    return response.content.decode()


def page_messages(response) -> list[str]:
    found = re.findall(r'<p class="message message-\w+">(.*?)</p>', text(response), re.S)
    return [html.unescape(m).strip() for m in found]


def field_errors(response, name: str) -> list[str]:
    match = re.search(
        rf'<ul class="field-errors" id="id_{name}_error">(.*?)</ul>', text(response), re.S
    )
    if match is None:
        return []
    return [html.unescape(e).strip() for e in re.findall(r"<li>(.*?)</li>", match.group(1), re.S)]


def form_errors(response) -> list[str]:
    found = re.findall(r'<div class="form-errors" role="alert">(.*?)</div>', text(response), re.S)
    return [html.unescape(e).strip() for block in found for e in re.findall(r"<p>(.*?)</p>", block)]


def listed(response) -> set[str]:
    """The dossiers a queue page links to (their public ids)."""
    return set(re.findall(rf'href="/office/dossiers/({UUID})/"', text(response)))


def ids(*dossiers) -> set[str]:
    return {str(d.public_id) for d in dossiers}


def action_forms(response) -> list[str]:
    return re.findall(r'<details class="action" id="action-(\w+)"', text(response))


def snapshot(dossier) -> dict:
    row = fresh(dossier)
    return {
        "state": row.state,
        "updated_at": row.updated_at,
        "assignee": row.assignee_id,
        "due_at": row.due_at,
        "rescheduled": row.rescheduled,
        "decision": (row.decision, row.decision_reasons, row.result_content),
        "events": list(row.events.values_list("pk", flat=True)),
        "supplements": list(row.supplements.values_list("pk", flat=True)),
        "documents": sorted(d.pk for d in documents_of(row, staff=True)),
    }


def act(client, dossier, action, expected_state=None, **fields):
    """Post the dossier page's form for `action` as the browser does (prefixed names)."""
    data = {f"{action}-{name}": value for name, value in fields.items()}
    data[f"{action}-expected_state"] = expected_state or fresh(dossier).state
    data["action"] = action
    return client.post(reverse("office:act", args=[dossier.public_id, action]), data)


# --- queues --------------------------------------------------------------------------------------


@pytest.fixture
def board(people, version, other_agency):
    """One dossier of the agency in each place of the workflow, and one of another agency."""
    with time_machine.travel(at(2026, 3, 9, 9), tick=True):
        dossiers = {
            "submitted": new_dossier(version),
            "received": advance(new_dossier(version), State.RECEIVED, people),
            "mine": advance(new_dossier(version), State.PROCESSING, people),
            "theirs": new_dossier(version),
            "approval": advance(new_dossier(version), State.PENDING_APPROVAL, people),
            "resolved": advance(new_dossier(version), State.RESOLVED, people),
            "elsewhere": new_dossier(version_of(other_agency)),
        }
        advance(dossiers["theirs"], State.RECEIVED, people)
        workflow.dossier_assign(
            dossier=dossiers["theirs"], actor=people.leader, specialist=people.other_specialist
        )
    return dossiers


def test_each_role_lands_on_its_own_queue(client, people, board):
    own = {name: d for name, d in board.items() if name != "elsewhere"}
    expected = {
        "desk": ids(board["submitted"]),
        "specialist": ids(board["mine"]),
        "other_specialist": ids(board["theirs"]),
        "leader": ids(board["approval"]),
        "admin": ids(*own.values()),
    }
    for role, dossiers in expected.items():
        client.force_login(getattr(people, role))
        response = client.get(reverse("office:queue"))
        assert response.status_code == 200
        assert listed(response) == dossiers, role


@pytest.mark.parametrize(
    ("role", "tab", "names"),
    [
        ("desk", "desk", ["submitted"]),
        ("desk", "assign", ["received"]),
        ("desk", "results", ["resolved"]),
        ("leader", "assign", ["received"]),
        ("leader", "approval", ["approval"]),
        ("specialist", "mine", ["mine"]),
        ("other_specialist", "mine", ["theirs"]),
        ("desk", "all", ["submitted", "received", "mine", "theirs", "approval", "resolved"]),
        ("desk", "nonsense", ["submitted", "received", "mine", "theirs", "approval", "resolved"]),
    ],
)
def test_queue_tabs(client, people, board, role, tab, names):
    client.force_login(getattr(people, role))
    response = client.get(reverse("office:queue"), {"tab": tab})
    assert listed(response) == ids(*(board[n] for n in names))


@pytest.mark.parametrize(
    ("role", "tabs"),
    [
        ("desk", ["desk", "results", "assign", "all"]),
        ("specialist", ["mine", "all"]),
        ("leader", ["assign", "approval", "all"]),
        ("admin", ["all"]),
    ],
)
def test_each_role_is_offered_its_tabs(client, people, role, tabs):
    client.force_login(getattr(people, role))
    response = client.get(reverse("office:queue"))
    assert re.findall(r'<a href="\?tab=(\w+)"', text(response)) == tabs


def test_another_agencys_officer_sees_only_its_own(client, people, board):
    client.force_login(people.stranger)
    response = client.get(reverse("office:queue"), {"tab": "all"})
    assert listed(response) == ids(board["elsewhere"])


@pytest.fixture
def many(people, agency, monday):
    """Dossiers to filter: two procedures, names, citizen IDs, an overdue one, one due soon."""
    first, second = version_of(agency), version_of(agency, days="1")
    dossiers = {
        "hoang": new_dossier(first, applicant_name="Hoàng Thị Lan"),
        "giang": new_dossier(first, applicant_name="Giang Văn Minh"),
        "nguyen": new_dossier(second, applicant_name="Nguyễn Văn Hùng"),
        "late": new_dossier(first, applicant_name="Trần Văn Muộn"),
        "soon": new_dossier(second, applicant_name="Lê Thị Gấp"),
        "paused": new_dossier(second, applicant_name="Phạm Văn Chờ"),
    }
    advance(dossiers["late"], State.PROCESSING, people)
    advance(dossiers["soon"], State.PROCESSING, people)  # 1 working day: due tomorrow at 17:00
    advance(dossiers["paused"], State.SUPPLEMENT_REQUIRED, people)
    # The flag the sweeper keeps (tests/submissions/test_workflow.py).
    Dossier.objects.filter(pk=dossiers["late"].pk).update(overdue=True)
    return {name: fresh(d) for name, d in dossiers.items()}


@pytest.mark.parametrize(
    ("filters", "names"),
    [
        ({"q": "hoàng"}, ["hoang"]),  # a name that starts with H is not a code
        ({"q": "Giang"}, ["giang"]),  # nor one that starts with G
        ({"q": "văn"}, ["giang", "nguyen", "late", "paused"]),
        ({"q": "  Lan "}, ["hoang"]),
        ({"state": "processing"}, ["late", "soon"]),
        ({"state": "supplement_required"}, ["paused"]),
        ({"overdue": "on"}, ["late"]),
        # Due within one working day, clock running (the paused one is due tomorrow too).
        ({"due_soon": "on"}, ["soon"]),
        ({"overdue": "on", "due_soon": "on"}, []),
        ({"q": "Nobody"}, []),
    ],
)
def test_queue_filters(client, people, many, filters, names):
    client.force_login(people.admin)
    response = client.get(reverse("office:queue"), {"tab": "all", **filters})
    assert response.status_code == 200
    assert listed(response) == ids(*(many[n] for n in names))


def test_queue_filter_by_procedure(client, people, many):
    client.force_login(people.admin)
    procedure = many["nguyen"].version.procedure
    response = client.get(reverse("office:queue"), {"tab": "all", "procedure": procedure.pk})
    assert listed(response) == ids(many["nguyen"], many["soon"], many["paused"])
    # Another agency's procedure is not a choice: the filter is ignored, not an error.
    foreign = ProcedureVersionFactory(
        published=True, level3=True, procedure__agency=people.stranger.agency
    )
    response = client.get(
        reverse("office:queue"), {"tab": "all", "procedure": foreign.procedure.pk}
    )
    assert response.status_code == 200
    assert listed(response) == ids(*many.values())


def test_queue_search_by_code_and_citizen_id(client, people, many):
    client.force_login(people.admin)
    dossier = many["giang"]
    by_code = client.get(reverse("office:queue"), {"tab": "all", "q": dossier.code.lower()})
    assert listed(by_code) == ids(dossier)
    # The start of a code: the agency's dossiers of that day.
    prefix = dossier.code.rsplit("-", 1)[0]
    assert listed(client.get(reverse("office:queue"), {"tab": "all", "q": prefix})) == ids(
        *many.values()
    )
    by_id = client.get(reverse("office:queue"), {"tab": "all", "q": dossier.applicant_citizen_id})
    assert listed(by_id) == ids(dossier)


def test_the_queue_runs_the_same_queries_for_3_or_30_dossiers(client, people, version):
    def make(count):
        for index in range(count):
            dossier = new_dossier(version)
            if index % 3 == 0:  # some with a specialist, whose name the queue shows
                advance(dossier, State.PROCESSING, people)

    def count_queries() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("office:queue"), {"tab": "all"})
        assert response.status_code == 200
        return len(queries), len(listed(response))

    client.force_login(people.desk)
    make(3)
    client.get(reverse("office:queue"))  # the session and content types, once
    few, shown_few = count_queries()
    make(27)
    lots, shown_lots = count_queries()
    assert (shown_few, shown_lots) == (3, 25)  # a page of 25
    assert few == lots, f"{few} queries for 3 dossiers, {lots} for 30"


# --- who gets in ---------------------------------------------------------------------------------


def test_another_agencys_officer_gets_404_everywhere_on_the_dossier(client, people, version):
    dossier = advance(new_dossier(version), State.PROCESSING, people)
    before = snapshot(dossier)
    record = dossier.files.first()
    client.force_login(people.stranger)
    responses = [
        client.get(reverse("office:dossier", args=[dossier.public_id])),
        client.get(reverse("office:file", args=[dossier.public_id, record.pk])),
        client.post(reverse("office:control_sheet", args=[dossier.public_id])),
        act(client, dossier, "propose", decision="grant", result_content="Cấp."),
        act(client, dossier, "stop", reason="Dừng."),
    ]
    assert [r.status_code for r in responses] == [404] * len(responses)
    assert snapshot(dossier) == before
    assert not Document.objects.filter(kind="control_sheet").exists()


def test_a_citizen_gets_404_in_the_office(client, people, version):
    dossier = new_dossier(version)
    for citizen in (people.citizen, dossier.applicant):
        client.force_login(citizen)
        assert client.get(reverse("office:queue")).status_code == 404
        assert client.get(reverse("office:dossier", args=[dossier.public_id])).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(reverse("office:queue"))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={reverse('office:queue')}"


def test_a_draft_is_not_in_the_office(client, people, version):
    draft = DossierFactory(version=version)
    client.force_login(people.admin)
    assert client.get(reverse("office:dossier", args=[draft.public_id])).status_code == 404
    assert str(draft.public_id) not in text(client.get(reverse("office:queue"), {"tab": "all"}))


# --- actions through the forms -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "role", "offered"),
    [
        (State.SUBMITTED, "desk", ["request_supplement", "accept", "refuse"]),
        (State.SUBMITTED, "leader", []),
        (State.RECEIVED, "desk", ["assign"]),
        (State.RECEIVED, "leader", ["assign", "stop", "reschedule"]),
        (State.PROCESSING, "specialist", ["request_supplement", "propose"]),
        (State.PROCESSING, "other_specialist", []),
        (State.PENDING_APPROVAL, "leader", ["send_back", "approve", "stop", "reschedule"]),
        (State.RESOLVED, "desk", ["hand_back"]),
        (State.RESOLVED, "admin", []),
    ],
)
def test_the_page_offers_the_actions_of_the_role(
    client, monday, people, version, state, role, offered
):
    dossier = advance(new_dossier(version), state, people)
    client.force_login(getattr(people, role))
    response = client.get(reverse("office:dossier", args=[dossier.public_id]))
    assert response.status_code == 200
    assert sorted(action_forms(response)) == sorted(offered)
    for name in offered:  # each form says which state it was shown in
        assert f'name="{name}-expected_state" value="{state}"' in text(response), name


# (action, state, role, form fields, state after, event)
FORM_ACTIONS = [
    ("accept", State.SUBMITTED, "desk", {}, State.RECEIVED),
    (
        "request_supplement",
        State.SUBMITTED,
        "desk",
        {"reason": "Bản scan mờ.", "items": "Đơn đề nghị rõ nét\n\n  Bản sao căn cước  \n"},
        State.SUPPLEMENT_REQUIRED,
    ),
    ("refuse", State.SUBMITTED, "desk", {"reasons": "Không thuộc thẩm quyền."}, State.REFUSED),
    ("assign", State.RECEIVED, "desk", {"specialist": "SPECIALIST"}, State.PROCESSING),
    (
        "request_supplement",
        State.PROCESSING,
        "specialist",
        {"reason": "Thiếu học bạ.", "items": "Học bạ"},
        State.SUPPLEMENT_REQUIRED,
    ),
    (
        "propose",
        State.PROCESSING,
        "specialist",
        {"decision": "grant", "result_content": "Cấp bản sao.", "reasons": ""},
        State.PENDING_APPROVAL,
    ),
    ("send_back", State.PENDING_APPROVAL, "leader", {"note": "Sửa căn cứ."}, State.PROCESSING),
    ("approve", State.PENDING_APPROVAL, "leader", {}, State.SIGNING),
    ("hand_back", State.RESOLVED, "desk", {"received_by": "Nguyễn Văn Nhận"}, State.RETURNED),
    ("stop", State.PROCESSING, "leader", {"reason": "Có tranh chấp."}, State.STOPPED),
    (
        "reschedule",
        State.PROCESSING,
        "leader",
        {"reason": "Chờ xác minh.", "new_due": "2026-03-27T16:00"},
        State.PROCESSING,
    ),
]
LABELS = {
    "accept": "Accept",
    "request_supplement": "Request supplement",
    "refuse": "Refuse",
    "assign": "Forward to a specialist",
    "propose": "Send for approval",
    "send_back": "Send back to the specialist",
    "approve": "Approve and sign",
    "hand_back": "Return the result",
    "stop": "Stop processing",
    "reschedule": "Apologise and give a new date",
}


@pytest.mark.parametrize(
    ("action", "state", "role", "fields", "after"),
    FORM_ACTIONS,
    ids=[f"{a[0]}-from-{a[1]}" for a in FORM_ACTIONS],
)
def test_each_action_through_its_form(
    client, monday, people, version, action, state, role, fields, after
):
    dossier = advance(new_dossier(version), state, people)
    fields = {k: people.specialist.pk if v == "SPECIALIST" else v for k, v in fields.items()}
    actor = getattr(people, role)
    due_before = dossier.due_at
    client.force_login(actor)
    response = act(client, dossier, action, **fields)
    assert response.status_code == 302
    assert response["Location"] == reverse("office:dossier", args=[dossier.public_id])
    page = client.get(response["Location"])
    assert page_messages(page) == [f"Done: {LABELS[action]}."]
    row = fresh(dossier)
    assert row.state == after
    event = row.events.last()
    assert (event.action, event.actor, event.from_state) == (action, actor, state)
    if action == "request_supplement":
        assert row.supplements.get().items == (
            ["Đơn đề nghị rõ nét", "Bản sao căn cước"] if state == State.SUBMITTED else ["Học bạ"]
        )
    if action == "assign":
        assert row.assignee == people.specialist
    if action == "reschedule":
        assert row.due_at == at(2026, 3, 27, 16)  # the form's time is Hà Nội time
        assert row.original_due_at == due_before
        assert len(documents_of(row, "apology")) == 1
    if action == "hand_back":
        assert row.returned_to == "Nguyễn Văn Nhận"


# (action, state, role, fields, the field with the error or None for the form, the message)
BAD_INPUT = [
    ("refuse", State.SUBMITTED, "desk", {"reasons": "   "}, "reasons", "This field is required."),
    (
        "request_supplement",
        State.SUBMITTED,
        "desk",
        {"reason": "Thiếu.", "items": "\n  \n"},
        "items",
        "This field is required.",
    ),
    ("assign", State.RECEIVED, "desk", {}, "specialist", "This field is required."),
    (
        "assign",
        State.RECEIVED,
        "desk",
        {"specialist": "FOREIGN"},
        "specialist",
        "Select a valid choice. That choice is not one of the available choices.",
    ),
    (
        "propose",
        State.PROCESSING,
        "specialist",
        {"decision": "maybe", "result_content": "Cấp."},
        "decision",
        "Select a valid choice. maybe is not one of the available choices.",
    ),
    (
        "propose",
        State.PROCESSING,
        "specialist",
        {"decision": "grant", "result_content": " "},
        "result_content",
        "Give the content of the result.",
    ),
    (
        "propose",
        State.PROCESSING,
        "specialist",
        {"decision": "deny", "result_content": "Cấp.", "reasons": ""},
        "reasons",
        "Give the reasons for denying.",
    ),
    (
        "send_back",
        State.PENDING_APPROVAL,
        "leader",
        {"note": ""},
        "note",
        "This field is required.",
    ),
    (
        "hand_back",
        State.RESOLVED,
        "desk",
        {"received_by": ""},
        "received_by",
        "This field is required.",
    ),
    (
        "reschedule",
        State.PROCESSING,
        "leader",
        {"reason": "Chậm.", "new_due": "ngày mai"},
        "new_due",
        "Enter a valid date/time.",
    ),
    (
        "reschedule",
        State.PROCESSING,
        "leader",
        {"reason": "Chậm.", "new_due": "2026-03-13T10:00"},
        None,
        "The new date must be after the current due time.",
    ),
]


@pytest.mark.parametrize(
    ("action", "state", "role", "fields", "field", "message"),
    BAD_INPUT,
    ids=[f"{b[0]}-{i}" for i, b in enumerate(BAD_INPUT)],
)
def test_bad_input_is_shown_on_the_form_and_changes_nothing(
    client, monday, people, version, action, state, role, fields, field, message
):
    dossier = advance(new_dossier(version), state, people)
    if fields.get("specialist") == "FOREIGN":
        fields = {
            "specialist": OfficerFactory(agency=people.stranger.agency, roles=["specialist"]).pk
        }
    before = snapshot(dossier)
    client.force_login(getattr(people, role))
    response = act(client, dossier, action, **fields)
    assert response.status_code == 400
    if field is None:
        assert form_errors(response) == [message]
    else:
        assert page_messages(response) == ["Check the marked fields."]
        assert field_errors(response, f"{action}-{field}") == [message]
    # The form is open again with what was typed, on the same page.
    assert f'<details class="action" id="action-{action}" open>' in text(response)
    assert snapshot(dossier) == before


def test_a_second_apology_is_refused_on_the_form(client, monday, people, version):
    dossier = advance(new_dossier(version), State.PROCESSING, people)
    client.force_login(people.leader)
    first = act(client, dossier, "reschedule", reason="Chờ xác minh.", new_due="2026-03-27T16:00")
    assert first.status_code == 302
    before = snapshot(dossier)
    # The form is no longer offered; a resent one is refused with the reason.
    assert "reschedule" not in action_forms(client.get(first["Location"]))
    second = act(client, dossier, "reschedule", reason="Lại chậm.", new_due="2026-04-03T16:00")
    assert second.status_code == 400
    assert form_errors(second) == [
        "This dossier already had its apology letter: a new date is given only once."
    ]
    assert snapshot(dossier) == before


def test_a_form_from_an_old_page_says_the_dossier_changed(client, people, version):
    dossier = advance(new_dossier(version), State.RECEIVED, people)
    before = snapshot(dossier)
    client.force_login(people.leader)
    # The page was loaded when the dossier was still at the desk... and a leader may stop from
    # both states: without the check this would go through.
    response = act(client, dossier, "stop", expected_state=State.SUBMITTED, reason="Dừng.")
    assert response.status_code == 302
    assert response["Location"] == reverse("office:dossier", args=[dossier.public_id])
    assert page_messages(client.get(response["Location"])) == [
        "This dossier has changed meanwhile (it is now: Accepted). Reload the page."
    ]
    assert snapshot(dossier) == before
    # A second desk officer accepting the same dossier from the queue.
    client.force_login(people.desk)
    response = act(client, dossier, "accept", expected_state=State.SUBMITTED)
    assert response.status_code == 302
    assert page_messages(client.get(response["Location"])) == [
        "This dossier has changed meanwhile (it is now: Accepted). Reload the page."
    ]
    assert snapshot(dossier) == before


def test_an_action_the_role_may_not_take_is_403(client, people, version):
    dossier = new_dossier(version)
    before = snapshot(dossier)
    client.force_login(people.specialist)
    response = act(client, dossier, "accept")
    assert response.status_code == 403
    assert page_messages(response) == ["Your role does not allow this action on this dossier."]
    assert snapshot(dossier) == before


def test_an_unknown_action_is_404(client, people, version):
    dossier = new_dossier(version)
    client.force_login(people.desk)
    response = client.post(reverse("office:act", args=[dossier.public_id, "delete"]), {})
    assert response.status_code == 404
    assert fresh(dossier).state == State.SUBMITTED


# --- control sheet (Mẫu 05) and register (Mẫu 06) ----------------------------------------------


def test_the_control_sheet_has_one_row_per_event(client, monday, people, version):
    dossier = advance(new_dossier(version), State.PENDING_APPROVAL, people)
    client.force_login(people.leader)
    address = reverse("office:control_sheet", args=[dossier.public_id])
    response = client.post(address)
    assert response.status_code == 302
    assert page_messages(client.get(response["Location"])) == [
        "The control sheet is being prepared; it appears under the documents."
    ]
    client.post(address)  # again, nothing new happened: the same document
    (sheet,) = documents_of(dossier, "control_sheet", staff=True)
    assert sheet.title == "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ"
    assert sheet.revision == 4
    rows = sheet.context["rows"]
    assert len(rows) == dossier.events.count() == 4  # submit, accept, assign, propose
    events = list(dossier.events.order_by("created_at", "pk"))
    assert [row[1] for row in rows] == [
        timezone.localtime(e.created_at).strftime("%H:%M %d/%m/%Y") for e in events
    ]
    assert [row[2] for row in rows] == [e.get_to_state_display() for e in events]
    # From the applicant to the desk, and on to the specialist who proposed.
    assert rows[1][0] == f"{dossier.applicant.full_name} → {people.desk.full_name}"
    assert rows[3][0] == f"{people.desk.full_name} → {people.specialist.full_name}"
    # The steps while the clock ran, against the due time (Mẫu 05: Trước hạn / Đúng hạn / Quá hạn).
    assert [row[3] for row in rows] == ["", "", "Trước hạn", "Trước hạn"]
    # A new step gives a new sheet.
    act(client, dossier, "send_back", note="Sửa.")
    client.post(address)
    assert len(documents_of(dossier, "control_sheet", staff=True)) == 2
    assert len(documents_of(dossier, "control_sheet", staff=True)[-1].context["rows"]) == 5


def test_the_control_sheet_is_listed_for_the_office_only(client, people, version):
    dossier = advance(new_dossier(version), State.PROCESSING, people)
    client.force_login(people.specialist)
    client.post(reverse("office:control_sheet", args=[dossier.public_id]))
    (sheet,) = documents_of(dossier, "control_sheet", staff=True)
    sheet = fake_sign(sheet)
    page = text(client.get(reverse("office:dossier", args=[dossier.public_id])))
    assert sheet.title in page
    assert reverse("signing:download", args=[sheet.verification_code]) in page
    # Addressed to nobody outside the agency: not among the applicant's documents.
    assert documents_of(dossier, "control_sheet") == []
    assert "control_sheet" not in {d.kind for d in documents_of(dossier)}


def test_the_control_sheet_is_get_405(client, people, version):
    dossier = new_dossier(version)
    client.force_login(people.desk)
    response = client.get(reverse("office:control_sheet", args=[dossier.public_id]))
    assert response.status_code == 405
    assert not documents_of(dossier, "control_sheet", staff=True)


@pytest.fixture
def registered(monday, people, version, other_agency):
    today = timezone.localdate()
    dossiers = [
        new_dossier(version),
        advance(new_dossier(version), State.RECEIVED, people),
        advance(new_dossier(version), State.PROCESSING, people),
    ]
    elsewhere = new_dossier(version_of(other_agency))
    return today, dossiers, elsewhere


def test_the_register_downloads_as_xlsx(client, people, registered):
    from openpyxl import load_workbook

    today, dossiers, elsewhere = registered
    client.force_login(people.desk)
    response = client.get(
        reverse("office:register"), {"start": today, "end": today, "format": "xlsx"}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert f"so-theo-doi-ho-so-{today}-{today}.xlsx" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    values = [[cell for cell in row] for row in sheet.iter_rows(values_only=True)]
    assert values[0][0].startswith("SỔ THEO DÕI HỒ SƠ (Mẫu số 06)")
    assert list(values[1][:2]) == ["TT", "Mã hồ sơ"]  # Mẫu 06's columns
    assert [row[0] for row in values[2:]] == list(range(1, len(dossiers) + 1))
    assert sorted(row[1] for row in values[2:]) == sorted(fresh(d).code for d in dossiers)
    assert elsewhere.code not in [row[1] for row in values[2:]]
    notes = {row[1]: row[12] for row in values[2:]}
    assert notes[dossiers[1].code] == "Accepted; trực tuyến"  # the state, the filing channel


@pytest.mark.parametrize(
    "typed", ['=HYPERLINK("http://x.example","Nhấn")', "+1+1", "-2+3", "@SUM(A1)"]
)
def test_a_register_cell_that_looks_like_a_formula_opens_as_text(client, people, registered, typed):
    """Formula injection (OWASP "CSV Injection"; issue 16, item 7): a name typed as a formula
    is stored in the spreadsheet as text, never as a formula Excel would run."""
    from openpyxl import load_workbook

    today, dossiers, _elsewhere = registered
    Dossier.objects.filter(pk=dossiers[0].pk).update(applicant_name=typed)
    client.force_login(people.desk)
    response = client.get(
        reverse("office:register"), {"start": today, "end": today, "format": "xlsx"}
    )
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    cells = [
        row[4] for row in sheet.iter_rows(min_row=3) if row[1].value == fresh(dossiers[0]).code
    ]
    [cell] = cells
    assert cell.data_type == "s"
    assert cell.value.startswith(typed)


def test_the_register_as_a_signed_pdf_is_requested(client, people, registered):
    today, dossiers, _elsewhere = registered
    client.force_login(people.desk)
    # Asking for the PDF makes a document: a POST (a GET, even with the old `format=pdf`, only
    # shows the page).
    shown = client.get(reverse("office:register"), {"start": today, "end": today, "format": "pdf"})
    assert shown.status_code == 200
    assert not Document.objects.filter(kind="register").exists()
    response = client.post(reverse("office:register"), {"start": today, "end": today})
    assert response.status_code == 302
    (document,) = Document.objects.filter(kind="register")
    assert document.agency == people.desk.agency
    assert document.owner_id is None
    assert document.context["form_number"] == "Mẫu số 06"
    # The lines are read when the worker renders it (any number: no cap), not stored.
    assert "rows" not in document.context
    assert document.context["period"] == [str(today), str(today)]
    assert sorted(cells[0] for cells in register.document_lines(document)) == sorted(
        fresh(d).code for d in dossiers
    )
    assert response["Location"] == (
        f"{reverse('office:register')}?start={today}&end={today}&doc={document.pk}"
    )
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert page_messages(page) == ["The register is being prepared as a signed PDF."]
    assert "The PDF is being prepared: reload this page in a moment." in text(page)
    assert ids(*dossiers) <= listed(page)
    # Another agency's officer cannot see it through the page's `doc` parameter.
    client.force_login(people.stranger)
    foreign = client.get(response["Location"])
    assert "The PDF is being prepared" not in text(foreign)


@pytest.mark.parametrize(
    ("period", "message"),
    [
        ((dt.date(2026, 3, 10), dt.date(2026, 3, 9)), "The end of the period is before its start."),
        ((dt.date(2025, 1, 1), dt.date(2026, 3, 1)), "Choose a period of at most one year."),
        ((dt.date(2026, 3, 20), dt.date(2026, 3, 21)), "The period starts in the future."),
    ],
    ids=["end-before-start", "more-than-a-year", "future"],
)
def test_a_bad_register_period_is_400(client, monday, people, period, message):
    client.force_login(people.desk)
    data = {"start": period[0], "end": period[1]}
    responses = [
        *(client.get(reverse("office:register"), {**data, "format": f}) for f in ("", "xlsx")),
        client.post(reverse("office:register"), data),  # the signed PDF
    ]
    for response in responses:
        assert response.status_code == 400
        assert form_errors(response) == [message]
        assert response["Content-Type"].startswith("text/html")
    assert not Document.objects.filter(kind="register").exists()


def test_the_register_form_starts_empty(client, people):
    client.force_login(people.desk)
    response = client.get(reverse("office:register"))
    assert response.status_code == 200
    assert form_errors(response) == []


# --- the history ---------------------------------------------------------------------------------


def test_the_office_page_shows_every_note_of_the_history(client, people, version):
    """The agency's internal notes, left out of the applicant's pages, are shown to its
    officers."""
    dossier = through_internal_steps(new_dossier(version), people)
    client.force_login(people.desk)
    page = text(client.get(reverse("office:dossier", args=[dossier.public_id])))
    history = page.split("<h2>History</h2>", 1)[1]
    notes = [
        html.unescape(n).strip()
        for n in re.findall(r'<td data-label="Note">(.*?)</td>', history, re.S)
    ]
    assert notes == [
        "",
        "",
        people.specialist.full_name,
        fresh(dossier).events.get(action="propose").note,
        SEND_BACK_NOTE,
        STOP_REASON,
    ]
    assert notes[3].endswith(PROPOSAL_REASONS)


# --- the filing channel (issue 14, item 1) --------------------------------------------------------


def test_a_dossier_records_its_channel_and_every_view_shows_it(client, people, version):
    """Online by default (what the portal's citizens file); the desk's queue filters by it, its
    API carries it, the dossier page and the receipt (Mẫu 01) name it."""
    from office import slips
    from submissions.models import DocumentKind, IntakeChannel

    online = new_dossier(version)
    walk_in = advance(new_dossier(version), State.RECEIVED, people)
    Dossier.objects.filter(pk=walk_in.pk).update(channel=IntakeChannel.IN_PERSON)
    assert fresh(online).channel == IntakeChannel.ONLINE

    client.force_login(people.desk)
    queue = client.get(reverse("office:queue"), {"tab": "all", "channel": "in_person"})
    codes = re.findall(r"\d{3}\.\d{2}\.\d{2}\.\w+-\d{6}-\d{4}", queue.content.decode())
    assert set(codes) == {walk_in.code}
    page = client.get(reverse("office:dossier", args=[walk_in.public_id])).content.decode()
    assert re.search(r'<dd id="channel">\s*In person\s*</dd>', page)

    receipt = slips.BUILDERS[DocumentKind.RECEIPT](fresh(walk_in), {})
    assert ["Hình thức nộp hồ sơ", "Trực tiếp"] in receipt["facts"]
    online_receipt = slips.BUILDERS[DocumentKind.RECEIPT](fresh(online), {})
    assert ["Hình thức nộp hồ sơ", "Trực tuyến"] in online_receipt["facts"]


def test_a_bad_channel_filter_is_ignored_on_the_page_and_refused_by_the_api(
    client, people, version
):
    from rest_framework.test import APIClient

    dossier = new_dossier(version)
    client.force_login(people.desk)
    page = client.get(reverse("office:queue"), {"tab": "all", "channel": "pigeon"})
    assert page.status_code == 200 and dossier.code in page.content.decode()
    api = APIClient()
    api.force_authenticate(people.desk)
    refused = api.get("/api/v1/office/dossiers/", {"channel": "pigeon"}, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 400
    assert refused.json() == {"channel": ['"pigeon" is not a valid choice.']}
    listed = api.get("/api/v1/office/dossiers/", {"channel": "online"}).json()
    assert [(d["code"], d["channel"]) for d in listed["results"]] == [(dossier.code, "online")]


def test_the_online_filing_rate_counts_recorded_channels(monday, people, version):
    """Decision 766's online-filing rate, from each dossier's channel: dossiers received in the
    period only (a dossier waiting at the desk is not yet received)."""
    from office.selectors import online_filing_share
    from submissions.models import IntakeChannel

    received = [advance(new_dossier(version), State.RECEIVED, people) for _ in range(4)]
    Dossier.objects.filter(pk__in=[received[0].pk, received[1].pk]).update(
        channel=IntakeChannel.IN_PERSON
    )
    Dossier.objects.filter(pk=received[2].pk).update(channel=IntakeChannel.PUBLIC_POST)
    new_dossier(version)  # submitted, not received: not counted
    today = timezone.localdate()
    share = online_filing_share(agency_id=version.procedure.agency_id, start=today, end=today)
    assert (share.received, share.online, share.online_rate) == (4, 1, 0.25)
    tomorrow = today + dt.timedelta(days=1)
    empty = online_filing_share(agency_id=version.procedure.agency_id, start=tomorrow, end=tomorrow)
    assert (empty.received, empty.online_rate) == (0, None)

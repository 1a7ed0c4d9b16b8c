"""The one-stop workflow (office.services; DOMAIN.md §3-5): who may take each step, the
"changed meanwhile" answer, the statutory clock in working time, the apology letter (Mẫu 04), the
sweeper, the notifications, the signed slips and results, and the national status codes.

Clock expectations are worked out by hand from the calendar (office hours 07:30-11:30 and
13:00-17:00, 8 h a day, Asia/Ho_Chi_Minh); the comments show the sums."""

import datetime as dt
import threading
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import translation

from office import services as workflow
from office.tasks import resolve_dossier_task, sweep_workflow_task
from portal import sms
from portal.workdays import WorkCalendar
from signing.models import Document
from submissions import notifications, services
from submissions.models import (
    Decision,
    Dossier,
    DossierEvent,
    Notification,
    State,
    SupplementRequest,
    Timeliness,
)
from submissions.tasks import notify_event_task
from tests.factories import DossierFactory, OfficerFactory, ProcedureVersionFactory
from tests.submissions.workflow_support import (
    advance,
    crew,
    documents_of,
    fake_sign,
    fresh,
    make_demo_pki,
)

pytestmark = pytest.mark.django_db

VN = ZoneInfo("Asia/Ho_Chi_Minh")
STALE = "This dossier has changed meanwhile (it is now: {state}). Reload the page."


@pytest.fixture(autouse=True)
def _counted_in_working_hours(settings):
    """The due times below were worked out counting N working days as N x 8 office hours (the
    `working_hours` mode an agency may choose); the whole-days default has its own tests
    (tests/portal/test_counting.py)."""
    settings.DEADLINE_COUNTING = "working_hours"


def at(year, month, day, hour=0, minute=0):
    """An aware instant on the wall clock in Hà Nội."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=VN)


def hours(value) -> dt.timedelta:
    return dt.timedelta(hours=value)


@pytest.fixture
def people(agency, other_agency):
    return crew(agency, other_agency)


@pytest.fixture
def monday():
    """Monday 9 March 2026, 09:00 in Hà Nội (a plain working week), time running."""
    with time_machine.travel(at(2026, 3, 9, 9), tick=True):
        yield


def version_with(agency, *, level=3, **channel) -> object:
    """A published procedure of `agency` whose online channel has the given time limit."""
    spec = {"online": True, "fee_vnd": 0, **channel}
    traits = {"level4": True} if level == 4 else {"level3": True}
    return ProcedureVersionFactory(
        published=True, procedure__agency=agency, channels=[{}, spec], **traits
    )


@pytest.fixture
def version(agency):
    """Level 4 (the result can be collected online), 5 working days."""
    return version_with(agency, level=4, time_amount=Decimal("5"))


def new_dossier(version, **kwargs) -> Dossier:
    return DossierFactory(version=version, submitted=True, **kwargs)


def snapshot(dossier) -> dict:
    """Everything a refused or failed call must leave as it was."""
    row = fresh(dossier)
    return {
        "state": row.state,
        "updated_at": row.updated_at,
        "assignee": row.assignee_id,
        "received_at": row.received_at,
        "due_at": row.due_at,
        "closed_at": row.closed_at,
        "paused_at": row.paused_at,
        "time_left": row.time_left,
        "rescheduled": row.rescheduled,
        "original_due_at": row.original_due_at,
        "decision": (row.decision, row.decision_reasons, row.result_content),
        "returned": (row.returned_at, row.returned_to),
        "events": list(row.events.values_list("pk", flat=True)),
        "supplements": list(row.supplements.values_list("pk", "answered_at")),
        "documents": sorted(d.pk for d in documents_of(row, staff=True)),
    }


# --- who may take each step ----------------------------------------------------------------------

ROLES = [
    "desk",
    "specialist",  # the assignee (once the dossier is assigned)
    "other_specialist",
    "leader",
    "admin",
    "applicant",
    "citizen",  # a citizen who is not the applicant
    "stranger",  # an officer of another agency holding every role
]


def actor_for(role: str, dossier, people):
    return dossier.applicant if role == "applicant" else getattr(people, role)


def _later(dossier) -> dt.datetime:
    return fresh(dossier).due_at + dt.timedelta(days=3)


# action → (state it is taken from, the call, roles allowed, state it leads to, event action)
STEPS = {
    "accept": (
        State.SUBMITTED,
        lambda d, a, p: workflow.dossier_accept(dossier=d, actor=a),
        {"desk"},
        State.RECEIVED,
        "accept",
    ),
    "refuse": (
        State.SUBMITTED,
        lambda d, a, p: workflow.dossier_refuse(dossier=d, actor=a, reasons="Không đủ điều kiện."),
        {"desk"},
        State.REFUSED,
        "refuse",
    ),
    "request_intake_supplement": (
        State.SUBMITTED,
        lambda d, a, p: workflow.dossier_request_supplement(
            dossier=d, actor=a, reason="Bản scan mờ.", items=["Đơn đề nghị"]
        ),
        {"desk"},
        State.SUPPLEMENT_REQUIRED,
        "request_supplement",
    ),
    "request_supplement": (
        State.PROCESSING,
        lambda d, a, p: workflow.dossier_request_supplement(
            dossier=d, actor=a, reason="Thiếu học bạ.", items=["Học bạ"]
        ),
        {"specialist"},
        State.SUPPLEMENT_REQUIRED,
        "request_supplement",
    ),
    "resubmit": (
        State.SUPPLEMENT_REQUIRED,
        lambda d, a, p: services.dossier_resubmit(dossier=d, actor=a),
        {"applicant"},
        State.PROCESSING,
        "resubmit",
    ),
    "withdraw": (
        State.SUBMITTED,
        lambda d, a, p: services.dossier_withdraw(dossier=d, actor=a, reason="Nộp nhầm."),
        {"applicant"},
        State.WITHDRAWN,
        "withdraw",
    ),
    "assign": (
        State.RECEIVED,
        lambda d, a, p: workflow.dossier_assign(dossier=d, actor=a, specialist=p.specialist),
        {"desk", "leader"},
        State.PROCESSING,
        "assign",
    ),
    "propose": (
        State.PROCESSING,
        lambda d, a, p: workflow.dossier_propose(
            dossier=d, actor=a, decision=Decision.GRANT, result_content="Cấp bản sao."
        ),
        {"specialist"},
        State.PENDING_APPROVAL,
        "propose",
    ),
    "send_back": (
        State.PENDING_APPROVAL,
        lambda d, a, p: workflow.dossier_send_back(dossier=d, actor=a, note="Sửa căn cứ."),
        {"leader"},
        State.PROCESSING,
        "send_back",
    ),
    "approve": (
        State.PENDING_APPROVAL,
        lambda d, a, p: workflow.dossier_approve(dossier=d, actor=a),
        {"leader"},
        State.SIGNING,
        "approve",
    ),
    "hand_back": (
        State.RESOLVED,
        lambda d, a, p: workflow.dossier_hand_back(dossier=d, actor=a, received_by="Nguyễn Văn B"),
        {"desk"},
        State.RETURNED,
        "hand_back",
    ),
    "collect_online": (
        State.RESOLVED,
        lambda d, a, p: services.dossier_collect_online(dossier=d, actor=a),
        {"applicant"},
        State.RETURNED,
        "collect_online",
    ),
    "stop": (
        State.PROCESSING,
        lambda d, a, p: workflow.dossier_stop(dossier=d, actor=a, reason="Có tranh chấp."),
        {"leader"},
        State.STOPPED,
        "stop",
    ),
    "reschedule": (
        State.PROCESSING,
        lambda d, a, p: workflow.dossier_reschedule(
            dossier=d, actor=a, reason="Chờ xác minh.", new_due=_later(d)
        ),
        {"leader"},
        State.PROCESSING,
        "reschedule",
    ),
}
MATRIX = [(step, role) for step in STEPS for role in ROLES]


@pytest.mark.parametrize(("step", "role"), MATRIX, ids=[f"{s}-{r}" for s, r in MATRIX])
def test_each_step_only_by_its_roles(monday, people, version, step, role):
    source, call, allowed, target, action = STEPS[step]
    dossier = advance(new_dossier(version), source, people)
    actor = actor_for(role, dossier, people)
    before = snapshot(dossier)
    if role in allowed:
        call(dossier, actor, people)
        row = fresh(dossier)
        assert row.state == target
        event = row.events.last()
        assert (event.action, event.actor, event.from_state, event.to_state) == (
            action,
            actor,
            source,
            target,
        )
        assert len(snapshot(row)["events"]) == len(before["events"]) + 1
    else:
        with pytest.raises(PermissionDenied):
            call(dossier, actor, people)
        assert snapshot(dossier) == before


def test_the_matrix_covers_every_role_holding_transition():
    """A new transition with a role (permission=) must be added to STEPS."""
    names = {
        t.name
        for t in Dossier._meta.get_field("state").get_all_transitions(Dossier)
        if t.permission is not None
    }
    # Submitting is the citizen's (tests/submissions/test_services.py); a fee is the payments
    # issue's; the desk's receiving a paper dossier's supplement needs a dossier with no account
    # (tests/office/test_paper_dossiers.py); the rest are here.
    assert names - set(STEPS) == {"submit", "request_payment", "receive_supplement"}


@pytest.mark.parametrize(
    "state", [State.RECEIVED, State.SUPPLEMENT_REQUIRED, State.PENDING_APPROVAL]
)
def test_a_leader_stops_from_each_running_state(english, monday, people, version, state):
    dossier = advance(new_dossier(version), state, people)
    workflow.dossier_stop(dossier=dossier, actor=people.leader, reason="Có tranh chấp.")
    row = fresh(dossier)
    assert (row.state, row.status_code) == (State.STOPPED, 8)
    assert row.closed_at is not None
    assert row.events.last().from_state == state


def test_collecting_online_is_for_level4_only(monday, people, agency):
    dossier = advance(new_dossier(version_with(agency, level=3)), State.RESOLVED, people)
    before = snapshot(dossier)
    returned = services.dossier_collect_online(dossier=dossier, actor=dossier.applicant)
    assert returned.state == State.RESOLVED
    assert snapshot(dossier) == before  # level 3: the desk hands the result back


# --- stale: the dossier is not where the officer thought ----------------------------------------

# (step, the state the dossier is really in, the role that would take the step)
STALE_CASES = [
    ("accept", State.RECEIVED, "desk"),
    ("refuse", State.PROCESSING, "desk"),
    ("request_intake_supplement", State.RECEIVED, "desk"),
    ("request_supplement", State.PENDING_APPROVAL, "specialist"),
    ("assign", State.PROCESSING, "leader"),
    ("propose", State.PENDING_APPROVAL, "specialist"),
    ("send_back", State.PROCESSING, "leader"),
    ("approve", State.SIGNING, "leader"),
    ("hand_back", State.SIGNING, "desk"),
    ("stop", State.RESOLVED, "leader"),
]


@pytest.mark.parametrize(("step", "state", "role"), STALE_CASES, ids=[c[0] for c in STALE_CASES])
def test_a_step_from_the_wrong_state_is_stale(english, monday, people, version, step, state, role):
    dossier = advance(new_dossier(version), state, people)
    before = snapshot(dossier)
    with pytest.raises(ValidationError) as caught:
        STEPS[step][1](dossier, actor_for(role, dossier, people), people)
    assert caught.value.code == "stale"
    label = State(state).label
    assert caught.value.messages == [STALE.format(state=label)]
    assert snapshot(dossier) == before


def test_an_apology_for_a_dossier_not_running_is_stale(english, monday, people, version):
    dossier = advance(new_dossier(version), State.SUPPLEMENT_REQUIRED, people)
    before = snapshot(dossier)
    with pytest.raises(ValidationError) as caught:
        workflow.dossier_reschedule(
            dossier=dossier, actor=people.leader, reason="Chậm.", new_due=at(2026, 4, 1, 9)
        )
    assert caught.value.code == "stale"
    assert caught.value.messages == ["Only a dossier being processed can get a new date."]
    assert snapshot(dossier) == before


# (step, the state it is taken from, the role, extra arguments) with expected_state
EXPECTED_CASES = [
    ("accept", State.SUBMITTED, "desk", {}),
    ("refuse", State.SUBMITTED, "desk", {"reasons": "Sai."}),
    ("request_supplement", State.SUBMITTED, "desk", {"reason": "Thiếu.", "items": ["Đơn"]}),
    ("assign", State.RECEIVED, "desk", {}),
    ("propose", State.PROCESSING, "specialist", {"decision": "deny", "reasons": "Sai."}),
    ("send_back", State.PENDING_APPROVAL, "leader", {"note": "Sửa."}),
    ("approve", State.PENDING_APPROVAL, "leader", {}),
    ("hand_back", State.RESOLVED, "desk", {"received_by": "B"}),
    ("stop", State.PROCESSING, "leader", {"reason": "Dừng."}),
]


@pytest.mark.parametrize(
    ("step", "state", "role", "extra"), EXPECTED_CASES, ids=[c[0] for c in EXPECTED_CASES]
)
def test_a_form_from_a_page_showing_another_state_is_stale(
    english, monday, people, version, step, state, role, extra
):
    """The page showed the dossier in another state (someone acted since): the step that would
    be allowed now is not taken blindly."""
    dossier = advance(new_dossier(version), state, people)
    if step == "assign":
        extra = {"specialist": people.specialist}
    before = snapshot(dossier)
    service = getattr(workflow, f"dossier_{step}")
    seen = State.SUBMITTED if state != State.SUBMITTED else State.RECEIVED
    with pytest.raises(ValidationError) as caught:
        service(
            dossier=dossier, actor=actor_for(role, dossier, people), expected_state=seen, **extra
        )
    assert caught.value.code == "stale"
    assert caught.value.messages == [STALE.format(state=State(state).label)]
    assert snapshot(dossier) == before
    # The same call with the state the dossier is in goes through.
    service(dossier=dossier, actor=actor_for(role, dossier, people), expected_state=state, **extra)
    assert fresh(dossier).state != state


# --- what must be said --------------------------------------------------------------------------

# (step, its state, role, arguments, the message)
MISSING_CASES = [
    ("refuse", State.SUBMITTED, "desk", {"reasons": "  "}, "Give the reasons for refusing."),
    (
        "request_supplement",
        State.SUBMITTED,
        "desk",
        {"reason": "", "items": ["Đơn"]},
        "Say what the applicant must supply, and why.",
    ),
    (
        "request_supplement",
        State.PROCESSING,
        "specialist",
        {"reason": "Thiếu.", "items": [" ", ""]},
        "Say what the applicant must supply, and why.",
    ),
    (
        "propose",
        State.PROCESSING,
        "specialist",
        {"decision": "deny", "reasons": " "},
        "Give the reasons for denying.",
    ),
    (
        "propose",
        State.PROCESSING,
        "specialist",
        {"decision": "grant", "result_content": ""},
        "Give the content of the result.",
    ),
    (
        "propose",
        State.PROCESSING,
        "specialist",
        {"decision": "maybe", "result_content": "x"},
        "Choose to grant or to deny.",
    ),
    (
        "send_back",
        State.PENDING_APPROVAL,
        "leader",
        {"note": ""},
        "Say what the specialist should change.",
    ),
    ("hand_back", State.RESOLVED, "desk", {"received_by": "\n"}, "Say who received the result."),
    ("stop", State.PROCESSING, "leader", {"reason": ""}, "Give the reason for stopping."),
    (
        "reschedule",
        State.PROCESSING,
        "leader",
        {"reason": " ", "new_due": at(2026, 6, 1, 9)},
        "Give the reason for the delay.",
    ),
    ("assign", State.RECEIVED, "desk", {"specialist": None}, "Choose a specialist of this agency."),
]


@pytest.mark.parametrize(
    ("step", "state", "role", "arguments", "message"),
    MISSING_CASES,
    ids=[f"{c[0]}-{i}" for i, c in enumerate(MISSING_CASES)],
)
def test_a_step_without_what_it_needs_changes_nothing(
    english, monday, people, version, step, state, role, arguments, message
):
    dossier = advance(new_dossier(version), state, people)
    before = snapshot(dossier)
    service = getattr(workflow, f"dossier_{step}")
    with pytest.raises(ValidationError) as caught:
        service(dossier=dossier, actor=actor_for(role, dossier, people), **arguments)
    assert caught.value.messages == [message]
    assert snapshot(dossier) == before
    assert SupplementRequest.objects.filter(dossier=dossier).count() == len(before["supplements"])


@pytest.mark.parametrize(
    "make",
    [
        lambda p, agency: OfficerFactory(agency=p.stranger.agency, roles=["specialist"]),
        lambda p, agency: OfficerFactory(agency=agency, roles=["desk"]),
        lambda p, agency: OfficerFactory(agency=agency, roles=["specialist"], is_active=False),
        lambda p, agency: p.citizen,
    ],
    ids=["other-agency-specialist", "not-a-specialist", "inactive-specialist", "a-citizen"],
)
def test_a_dossier_goes_only_to_an_active_specialist_of_its_agency(
    english, monday, people, version, agency, make
):
    dossier = advance(new_dossier(version), State.RECEIVED, people)
    before = snapshot(dossier)
    with pytest.raises(ValidationError) as caught:
        workflow.dossier_assign(dossier=dossier, actor=people.desk, specialist=make(people, agency))
    assert caught.value.code == "specialist"
    assert caught.value.messages == ["Choose a specialist of this agency."]
    assert snapshot(dossier) == before


def test_the_desk_may_forward_to_another_specialist_and_only_that_one_proceeds(
    monday, people, version
):
    dossier = advance(new_dossier(version), State.RECEIVED, people)
    workflow.dossier_assign(
        dossier=dossier, actor=people.leader, specialist=people.other_specialist
    )
    row = fresh(dossier)
    assert row.assignee == people.other_specialist
    assert row.events.last().note == people.other_specialist.full_name
    with pytest.raises(PermissionDenied):
        workflow.dossier_propose(
            dossier=dossier, actor=people.specialist, decision="grant", result_content="x"
        )
    workflow.dossier_propose(
        dossier=dossier, actor=people.other_specialist, decision="grant", result_content="x"
    )
    assert fresh(dossier).state == State.PENDING_APPROVAL


def test_sent_back_the_specialist_proposes_again(monday, people, version):
    dossier = advance(new_dossier(version), State.PENDING_APPROVAL, people)
    workflow.dossier_send_back(dossier=dossier, actor=people.leader, note="  Bổ sung căn cứ.  ")
    row = fresh(dossier)
    assert (row.state, row.assignee) == (State.PROCESSING, people.specialist)
    assert row.events.last().note == "Bổ sung căn cứ."
    workflow.dossier_propose(
        dossier=dossier, actor=people.specialist, decision="deny", reasons="Không đủ điều kiện."
    )
    row = fresh(dossier)
    assert (row.state, row.decision, row.decision_reasons, row.result_content) == (
        State.PENDING_APPROVAL,
        Decision.DENY,
        "Không đủ điều kiện.",
        "",
    )
    assert (
        row.events.last().note == "Không giải quyết: Không đủ điều kiện."
    )  # the label, in Vietnamese


# --- two officers at once (PostgreSQL row locks) ------------------------------------------------


def run_together(calls: list) -> list:
    """Each call in its own thread (own connection), released together; result or exception."""
    barrier = threading.Barrier(len(calls), timeout=30)
    outcomes: list = [None] * len(calls)

    def worker(index, call):
        try:
            translation.activate("en")  # each thread has its own language
            barrier.wait()
            outcomes[index] = call()
        except BaseException as exc:  # the test looks at each outcome
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [
        threading.Thread(target=worker, args=(i, c), daemon=True) for i, c in enumerate(calls)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a call never finished"
    return outcomes


@pytest.mark.postgresql  # concurrent writers wait on the row lock (SQLite refuses the second)
@pytest.mark.django_db(transaction=True)
def test_two_desk_officers_accept_at_once(english, agency, version):
    dossier = new_dossier(version)
    first, second = (OfficerFactory(agency=agency, roles=["desk"]) for _ in range(2))
    outcomes = run_together(
        [
            lambda o=officer: workflow.dossier_accept(dossier=dossier, actor=o)
            for officer in (first, second)
        ]
    )
    won = [o for o in outcomes if isinstance(o, Dossier)]
    lost = [o for o in outcomes if isinstance(o, ValidationError)]
    assert (len(won), len(lost)) == (1, 1), outcomes
    assert lost[0].code == "stale"
    assert lost[0].messages == [STALE.format(state="Accepted")]
    row = fresh(dossier)
    assert row.state == State.RECEIVED
    assert DossierEvent.objects.filter(dossier=dossier, action="accept").count() == 1
    assert row.events.get(action="accept").actor in (first, second)
    assert len(documents_of(row, "receipt")) == 1


@pytest.mark.postgresql  # concurrent writers wait on the row lock (SQLite refuses the second)
@pytest.mark.django_db(transaction=True)
def test_accept_and_refuse_at_once(english, agency, version):
    dossier = new_dossier(version)
    desk_a, desk_b = (OfficerFactory(agency=agency, roles=["desk"]) for _ in range(2))
    outcomes = run_together(
        [
            lambda: workflow.dossier_accept(dossier=dossier, actor=desk_a),
            lambda: workflow.dossier_refuse(dossier=dossier, actor=desk_b, reasons="Sai thủ tục."),
        ]
    )
    assert sum(isinstance(o, Dossier) for o in outcomes) == 1, outcomes
    (lost,) = [o for o in outcomes if isinstance(o, ValidationError)]
    assert lost.code == "stale"
    row = fresh(dossier)
    assert row.state in (State.RECEIVED, State.REFUSED)
    assert list(row.events.values_list("action", flat=True)) == [
        "submit",
        "accept" if row.state == State.RECEIVED else "refuse",
    ]


# --- the clock -----------------------------------------------------------------------------------


def accept_at(when, version, people) -> Dossier:
    with time_machine.travel(when, tick=False):
        dossier = new_dossier(version)
        workflow.dossier_accept(dossier=dossier, actor=people.desk)
    return fresh(dossier)


@pytest.mark.parametrize(
    ("accepted", "amount", "unit", "due"),
    [
        # Fri 16:00-17:00 (1 h) + Mon-Thu (32 h) + Fri 20/3 07:30-11:30 (4 h) + 13:00 + 3 h.
        (at(2026, 3, 13, 16), "5", "working_days", at(2026, 3, 20, 16)),
        # After hours on Tuesday: from Wed 11/3 07:30, 40 h end at Tue 17/3 closing.
        (at(2026, 3, 10, 18, 30), "5", "working_days", at(2026, 3, 17, 17)),
        # Saturday: from Mon 16/3 07:30 to Fri 20/3 17:00.
        (at(2026, 3, 14, 10), "5", "working_days", at(2026, 3, 20, 17)),
        # During the lunch break: from 13:00; 8 h = Tue 13:00-17:00 + Wed 07:30-11:30.
        (at(2026, 3, 10, 12), "1", "working_days", at(2026, 3, 11, 11, 30)),
        # Working hours: Fri 16:00-17:00 (1 h), Mon 07:30 + 3 h.
        (at(2026, 3, 13, 16), "4", "working_hours", at(2026, 3, 16, 10, 30)),
        # Tết 2027 (Thu 4/2 - Wed 10/2 off): Wed 3/2 14-17 (3 h), Thu 11/2 (8 h), Fri 12/2 4 h
        # + 13:00 + 1 h.
        (at(2027, 2, 3, 14), "2", "working_days", at(2027, 2, 12, 14)),
        # 40 h: 3 + Thu 11 + Fri 12 + Mon 15 + Tue 16 (35 h), Wed 17/2 4 h + 13:00 + 1 h.
        (at(2027, 2, 3, 14), "5", "working_days", at(2027, 2, 17, 14)),
    ],
    ids=[
        "friday-16h",
        "after-hours",
        "saturday",
        "lunch-break",
        "working-hours",
        "tet-2027-2-days",
        "tet-2027-5-days",
    ],
)
def test_acceptance_starts_the_clock(people, agency, accepted, amount, unit, due):
    version = version_with(agency, time_amount=Decimal(amount), time_unit=unit)
    dossier = accept_at(accepted, version, people)
    assert dossier.received_at == accepted  # the time on Mẫu 01 is when it happened
    assert dossier.due_at == due
    assert (dossier.state, dossier.status_code) == (State.RECEIVED, 2)
    assert not dossier.overdue


@pytest.mark.parametrize(
    ("accepted", "due"),
    [
        (at(2026, 3, 13, 14, 30), at(2026, 3, 13, 17)),  # by 15:00: today's closing
        (at(2026, 3, 13, 15), at(2026, 3, 13, 17)),  # 15:00 itself is still today
        (at(2026, 3, 13, 15, 30), at(2026, 3, 16, 17)),  # after 15:00 on Friday: Monday
        (at(2026, 3, 13, 18), at(2026, 3, 16, 17)),  # after hours: the next working day
        (at(2027, 2, 3, 16), at(2027, 2, 11, 17)),  # before Tết: the day back at work
    ],
    ids=["14h30", "15h", "15h30-friday", "after-hours", "before-tet"],
)
def test_same_day_procedures_roll_over_after_15h(people, agency, accepted, due):
    version = version_with(agency, same_day=True)
    assert accept_at(accepted, version, people).due_at == due


def test_a_procedure_without_a_time_limit_has_no_due_time(people, agency):
    version = version_with(agency, time_amount=None)
    version.channels.exclude(kind="online").update(time_amount=None)
    dossier = accept_at(at(2026, 3, 9, 9), version, people)
    assert (dossier.state, dossier.due_at) == (State.RECEIVED, None)


def test_the_clock_pauses_for_a_supplement_and_resumes_with_the_time_left(people, agency):
    version = version_with(agency, time_amount=Decimal("5"))
    # Mon 9/3 08:00: 7.5 h on Monday + Tue-Fri (32 h) + Mon 16/3 07:30 + 0.5 h = 40 h.
    dossier = accept_at(at(2026, 3, 9, 8), version, people)
    assert dossier.due_at == at(2026, 3, 16, 8)
    with time_machine.travel(at(2026, 3, 9, 9), tick=False):
        workflow.dossier_assign(dossier=dossier, actor=people.desk, specialist=people.specialist)
    with time_machine.travel(at(2026, 3, 10, 10), tick=False):
        workflow.dossier_request_supplement(
            dossier=dossier, actor=people.specialist, reason="Thiếu học bạ.", items=["Học bạ"]
        )
    paused = fresh(dossier)
    # Tue 10:00-17:00 (5.5 h) + Wed-Fri (24 h) + Mon 07:30-08:00 (0.5 h).
    assert (paused.state, paused.status_code) == (State.SUPPLEMENT_REQUIRED, 5)
    assert paused.paused_at == at(2026, 3, 10, 10)
    assert paused.time_left == hours(30)
    assert paused.due_at == at(2026, 3, 16, 8)  # kept as it was while paused
    # Three days later the applicant answers.
    with time_machine.travel(at(2026, 3, 13, 10), tick=False):
        services.dossier_resubmit(dossier=dossier, actor=dossier.applicant)
    resumed = fresh(dossier)
    # Fri 10:00-17:00 (5.5 h) + Mon-Wed (24 h) + Thu 19/3 07:30 + 0.5 h: the 30 h left, not 40.
    assert (resumed.state, resumed.assignee) == (State.PROCESSING, people.specialist)
    assert resumed.due_at == at(2026, 3, 19, 8)
    assert WorkCalendar().working_time_between(at(2026, 3, 13, 10), resumed.due_at) == hours(30)
    assert (resumed.paused_at, resumed.time_left, resumed.overdue) == (None, None, False)
    # The specialist proposes after the new due time: that step was late.
    with time_machine.travel(at(2026, 3, 19, 10), tick=False):
        workflow.dossier_propose(
            dossier=dossier, actor=people.specialist, decision="grant", result_content="Cấp."
        )
    events = {e.action: e for e in fresh(dossier).events.all()}
    rows = [
        (action, events[action].working_time, events[action].timeliness)
        for action in ("submit", "accept", "assign", "request_supplement", "resubmit", "propose")
    ]
    assert rows == [
        # Before acceptance and while paused, no clock runs.
        ("submit", None, ""),
        ("accept", None, ""),
        ("assign", hours(1), Timeliness.EARLY),  # 08:00-09:00
        # Mon 09:00-17:00 (6.5 h) + Tue 07:30-10:00 (2.5 h).
        ("request_supplement", hours(9), Timeliness.EARLY),
        ("resubmit", None, ""),
        # Since the resumption: Fri 5.5 h + Mon-Wed 24 h + Thu 07:30-10:00 2.5 h.
        ("propose", hours(32), Timeliness.LATE),
    ]


def test_a_step_on_the_due_day_before_the_due_time_is_on_time(people, agency):
    version = version_with(agency, time_amount=Decimal("1"))
    dossier = accept_at(at(2026, 3, 9, 14), version, people)  # due Tue 10/3 14:00
    with time_machine.travel(at(2026, 3, 10, 13, 30), tick=False):
        workflow.dossier_assign(dossier=dossier, actor=people.desk, specialist=people.specialist)
    event = fresh(dossier).events.last()
    # Mon 14:00-17:00 (3 h) + Tue 07:30-11:30 (4 h) + 13:00-13:30 (0.5 h).
    assert (event.working_time, event.timeliness) == (hours(7.5), Timeliness.ON_TIME)


def test_resolving_classifies_the_whole_dossier(people, agency):
    version = version_with(agency, time_amount=Decimal("1"))
    early = accept_at(at(2026, 3, 9, 14), version, people)  # due Tue 10/3 14:00
    late = accept_at(at(2026, 3, 9, 14), version, people)
    with time_machine.travel(at(2026, 3, 9, 15), tick=False):
        early = advance(early, State.RESOLVED, people)
    with time_machine.travel(at(2026, 3, 10, 15), tick=False):
        late = advance(late, State.RESOLVED, people)
    assert (early.timeliness, early.resolved_at) == (Timeliness.EARLY, at(2026, 3, 9, 15))
    assert (late.timeliness, late.resolved_at) == (Timeliness.LATE, at(2026, 3, 10, 15))
    resolve = late.events.get(action="resolve")
    assert (resolve.actor, resolve.timeliness) == (None, Timeliness.LATE)


# --- the apology letter (Mẫu 04) -----------------------------------------------------------------


@pytest.fixture
def running(people, agency):
    """Accepted Mon 9/3/2026 09:00 with 5 working days (due Mon 16/3 09:00), assigned."""
    version = version_with(agency, time_amount=Decimal("5"))
    dossier = accept_at(at(2026, 3, 9, 9), version, people)
    with time_machine.travel(at(2026, 3, 9, 10), tick=False):
        workflow.dossier_assign(dossier=dossier, actor=people.desk, specialist=people.specialist)
    dossier = fresh(dossier)
    assert dossier.due_at == at(2026, 3, 16, 9)
    return dossier


def test_the_leader_apologises_once_with_a_new_date(english, people, running):
    with time_machine.travel(at(2026, 3, 12, 10), tick=False):
        workflow.dossier_reschedule(
            dossier=running,
            actor=people.leader,
            reason="  Chờ kết quả xác minh của cơ quan khác.  ",
            new_due=at(2026, 3, 20, 16),
        )
    row = fresh(running)
    assert (row.state, row.rescheduled) == (State.PROCESSING, True)
    assert (row.original_due_at, row.due_at) == (at(2026, 3, 16, 9), at(2026, 3, 20, 16))
    event = row.events.last()
    assert (event.action, event.actor, event.note) == (
        "reschedule",
        people.leader,
        "Chờ kết quả xác minh của cơ quan khác.",
    )
    (apology,) = documents_of(row, "apology")
    assert (apology.owner_type, apology.owner_id) == (
        ContentType.objects.get_for_model(Dossier),
        row.pk,
    )
    assert apology.title == "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ"
    facts = dict(apology.context["facts"])
    assert facts["Hẹn trả kết quả"] == "09 giờ 00, ngày 16/03/2026"
    assert facts["Thời gian hẹn trả kết quả lần sau"] == "16 giờ 00, ngày 20/03/2026"
    assert facts["Lý do chậm trả kết quả"] == "Chờ kết quả xác minh của cơ quan khác."
    # A second letter is refused, whoever asks and whatever the date.
    before = snapshot(row)
    with time_machine.travel(at(2026, 3, 13, 10), tick=False), pytest.raises(ValidationError) as e:
        workflow.dossier_reschedule(
            dossier=row, actor=people.leader, reason="Lại chậm.", new_due=at(2026, 3, 27, 16)
        )
    assert e.value.code == "once"
    assert e.value.messages == [
        "This dossier already had its apology letter: a new date is given only once."
    ]
    assert snapshot(row) == before


@pytest.mark.parametrize(
    "role", ["desk", "specialist", "admin", "applicant", "citizen", "stranger"]
)
def test_only_a_leader_of_the_agency_apologises(people, running, role):
    before = snapshot(running)
    with time_machine.travel(at(2026, 3, 12, 10), tick=False), pytest.raises(PermissionDenied):
        workflow.dossier_reschedule(
            dossier=running,
            actor=actor_for(role, running, people),
            reason="Chậm.",
            new_due=at(2026, 3, 20, 16),
        )
    assert snapshot(running) == before


@pytest.mark.parametrize(
    ("now", "new_due", "code", "message"),
    [
        (
            at(2026, 3, 16, 9),
            at(2026, 3, 20, 16),
            "late",
            "The due time has passed: the apology letter must be sent before it.",
        ),
        (
            at(2026, 3, 17, 8),
            at(2026, 3, 20, 16),
            "late",
            "The due time has passed: the apology letter must be sent before it.",
        ),
        (
            at(2026, 3, 12, 10),
            at(2026, 3, 16, 9),
            "new_date",
            "The new date must be after the current due time.",
        ),
        (
            at(2026, 3, 12, 10),
            at(2026, 3, 13, 9),
            "new_date",
            "The new date must be after the current due time.",
        ),
    ],
    ids=["at-the-due-time", "after-it", "same-date", "earlier-date"],
)
def test_an_apology_too_late_or_without_a_later_date(
    english, people, running, now, new_due, code, message
):
    before = snapshot(running)
    with time_machine.travel(now, tick=False), pytest.raises(ValidationError) as caught:
        workflow.dossier_reschedule(
            dossier=running, actor=people.leader, reason="Chậm.", new_due=new_due
        )
    assert caught.value.code == code
    assert caught.value.messages == [message]
    assert snapshot(running) == before


# --- the sweeper, and tasks run twice ------------------------------------------------------------


def test_the_sweeper_keeps_the_overdue_flags(people, agency):
    version = version_with(agency, time_amount=Decimal("1"))
    # All accepted Mon 9/3 09:00 with one working day: due Tue 10/3 09:00.
    running, paused, finished = (accept_at(at(2026, 3, 9, 9), version, people) for _ in range(3))
    with time_machine.travel(at(2026, 3, 9, 10), tick=False):
        for dossier in (running, paused, finished):
            advance(dossier, State.PROCESSING, people)
        workflow.dossier_request_supplement(
            dossier=paused, actor=people.specialist, reason="Thiếu.", items=["Học bạ"]
        )
    with time_machine.travel(at(2026, 3, 10, 8), tick=False):  # before the due time
        assert sweep_workflow_task.delay().get() == {"overdue_changed": 0, "resolved": 0}
    with time_machine.travel(at(2026, 3, 10, 9, 1), tick=False):
        assert sweep_workflow_task.delay().get() == {"overdue_changed": 2, "resolved": 0}
        assert sweep_workflow_task.delay().get() == {"overdue_changed": 0, "resolved": 0}
    assert (fresh(running).overdue, fresh(paused).overdue, fresh(finished).overdue) == (
        True,
        False,  # the clock is paused: waiting on the applicant is not the agency's delay
        True,
    )
    with time_machine.travel(at(2026, 3, 11, 9), tick=False):
        finished = advance(fresh(finished), State.RESOLVED, people)
        assert finished.timeliness == Timeliness.LATE
        assert workflow.mark_overdue() == 1  # resolved: no longer counted as overdue
        assert workflow.mark_overdue() == 0
    assert (fresh(running).overdue, fresh(finished).overdue) == (True, False)


def test_waiting_on_the_applicant_does_not_make_a_dossier_overdue(people, agency):
    version = version_with(agency, time_amount=Decimal("1"))
    dossier = accept_at(at(2026, 3, 9, 9), version, people)  # due Tue 10/3 09:00
    with time_machine.travel(at(2026, 3, 9, 10), tick=False):
        advance(dossier, State.SUPPLEMENT_REQUIRED, people)
    # 7 h were left (Mon 10:00-17:00 minus the lunch break: 1.5 + 4 = 5.5 h; Tue 1.5 h).
    assert fresh(dossier).time_left == hours(7)
    with time_machine.travel(at(2026, 3, 16, 8), tick=False):
        services.dossier_resubmit(dossier=dossier, actor=dossier.applicant)
    # Mon 16/3 08:00 + 7 h: 3.5 h to 11:30, then 13:00 + 3.5 h.
    row = fresh(dossier)
    assert (row.due_at, row.overdue) == (at(2026, 3, 16, 16, 30), False)
    with time_machine.travel(at(2026, 3, 16, 9), tick=False):
        assert workflow.mark_overdue() == 0
    with time_machine.travel(at(2026, 3, 16, 16, 31), tick=False):
        assert workflow.mark_overdue() == 1
    assert fresh(dossier).overdue


def test_the_sweeper_resolves_a_dossier_whose_resolve_task_was_lost(people, version):
    dossier = advance(new_dossier(version), State.SIGNING, people)
    (result,) = documents_of(dossier, "result")
    assert sweep_workflow_task.delay().get()["resolved"] == 0  # not signed yet
    fake_sign(result)  # signed, but the signal's task never ran
    assert sweep_workflow_task.delay().get()["resolved"] == 1
    assert sweep_workflow_task.delay().get()["resolved"] == 0
    row = fresh(dossier)
    assert row.state == State.RESOLVED
    assert row.events.filter(action="resolve").count() == 1


def test_the_resolve_task_twice_resolves_once(people, version):
    dossier = advance(new_dossier(version), State.SIGNING, people)
    (result,) = documents_of(dossier, "result")
    resolve_dossier_task.delay(dossier.pk, result.pk)
    assert fresh(dossier).state == State.SIGNING  # the result is not signed yet
    result = fake_sign(result)
    resolve_dossier_task.delay(dossier.pk, result.pk)
    resolve_dossier_task.delay(dossier.pk, result.pk)
    row = fresh(dossier)
    assert row.state == State.RESOLVED
    assert row.events.filter(action="resolve").count() == 1


def test_only_a_signed_result_resolves(people, version):
    dossier = advance(new_dossier(version), State.SIGNING, people)
    (receipt,) = documents_of(dossier, "receipt")
    fake_sign(receipt)
    resolve_dossier_task.delay(dossier.pk, receipt.pk)
    assert fresh(dossier).state == State.SIGNING
    assert services.dossier_resolve(dossier_id=dossier.pk, document_id=0).state == State.SIGNING


@pytest.fixture
def sms_outbox(settings):
    settings.SMS_BACKEND = "portal.sms.MemoryBackend"
    sms.MemoryBackend.outbox.clear()
    yield sms.MemoryBackend.outbox
    sms.MemoryBackend.outbox.clear()


def test_the_notification_task_twice_sends_one_email_and_one_sms(
    settings, people, version, sms_outbox
):
    dossier = advance(new_dossier(version, applicant__language="en"), State.RECEIVED, people)
    event = fresh(dossier).events.get(action="accept")
    notify_event_task.delay(event.pk)
    notify_event_task.delay(event.pk)
    (email,) = mail.outbox
    assert email.to == [dossier.applicant_email]
    assert email.subject == f"Dossier {dossier.code}: Accepted"
    track_url = settings.SITE_URL + reverse("submissions:track")
    assert sms_outbox == [
        (dossier.applicant_phone, f"Dossier {dossier.code}: Accepted. {track_url}")
    ]
    assert sorted(Notification.objects.filter(event=event).values_list("channel", "recipient")) == [
        ("email", dossier.applicant_email),
        ("sms", dossier.applicant_phone),
    ]


@pytest.mark.parametrize(
    ("step", "role"), [("assign", "desk"), ("propose", "specialist"), ("approve", "leader")]
)
def test_internal_steps_are_not_sent_to_the_applicant(people, version, sms_outbox, step, role):
    source, call, _allowed, _target, _action = STEPS[step]
    dossier = advance(new_dossier(version), source, people)
    call(dossier, actor_for(role, dossier, people), people)
    event = fresh(dossier).events.last()
    assert event.action == step
    notify_event_task.delay(event.pk)
    assert notifications.notify_event(event_id=event.pk) is False
    assert (mail.outbox, sms_outbox) == ([], [])
    assert not Notification.objects.exists()


# --- signed slips and results (real rendering and signing with the demo PKI) --------------------


@pytest.fixture
def demo_pki(settings, agency):
    make_demo_pki(settings, [agency])


def signed_now(dossier, kind: str) -> Document:
    (document,) = documents_of(dossier, kind)
    assert document.status == Document.Status.SIGNED, document.error
    assert (document.owner_type, document.owner_id) == (
        ContentType.objects.get_for_model(Dossier),
        dossier.pk,
    )
    assert document.agency_id == dossier.agency_id
    assert document.pdf.read(5) == b"%PDF-"
    return document


def test_every_slip_is_a_signed_document_of_the_dossier(
    demo_pki, people, agency, django_capture_on_commit_callbacks
):
    version = version_with(agency, time_amount=Decimal("5"))
    accepted, refused, incomplete = (new_dossier(version) for _ in range(3))
    with django_capture_on_commit_callbacks(execute=True):
        workflow.dossier_accept(dossier=accepted, actor=people.desk)
        workflow.dossier_refuse(dossier=refused, actor=people.desk, reasons="Sai thẩm quyền.")
        workflow.dossier_request_supplement(
            dossier=incomplete, actor=people.desk, reason="Thiếu.", items=["Bản sao căn cước"]
        )
        workflow.dossier_assign(dossier=accepted, actor=people.desk, specialist=people.specialist)
        workflow.dossier_reschedule(
            dossier=accepted,
            actor=people.leader,
            reason="Chờ xác minh.",
            new_due=fresh(accepted).due_at + dt.timedelta(days=7),
        )
    receipt = signed_now(accepted, "receipt")
    assert receipt.title == "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ"
    assert receipt.context["form_number"] == "Mẫu số 01"
    assert ["Mã hồ sơ", accepted.code] in receipt.context["facts"]
    assert signed_now(accepted, "apology").title == "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ"
    refusal = signed_now(refused, "refusal")
    assert refusal.title == "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ"
    assert "Sai thẩm quyền." in refusal.context["closing"]
    supplement = signed_now(incomplete, "supplement")
    assert supplement.title == "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ"
    assert supplement.context["items"] == ["Bản sao căn cước"]


def test_approval_signs_the_result_and_resolves_the_dossier(
    demo_pki, people, version, django_capture_on_commit_callbacks
):
    dossier = advance(new_dossier(version), State.PENDING_APPROVAL, people)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.dossier_approve(dossier=dossier, actor=people.leader)
    row = fresh(dossier)
    result = signed_now(row, "result")
    # A decision (Decree 30/2020/NĐ-CP Appendix I): its summary, the article granting the request,
    # the legal bases of the procedure, the approving leader as the signer.
    assert result.title == f"QUYẾT ĐỊNH về việc {version.name[0].lower()}{version.name[1:]}"
    assert result.template == "documents/decision.html"
    assert result.context["articles"][0] == "Cấp bản sao văn bằng."
    assert result.context["signature"]["name"] == people.leader.full_name
    assert (row.state, row.status_code) == (State.RESOLVED, 9)
    assert row.resolved_at is not None
    assert row.timeliness == Timeliness.EARLY  # resolved days before the due date
    assert list(row.events.values_list("action", "actor"))[-2:] == [
        ("approve", people.leader.pk),
        ("resolve", None),
    ]


def test_a_denial_is_a_signed_refusal_letter(
    demo_pki, people, version, django_capture_on_commit_callbacks
):
    dossier = advance(new_dossier(version), State.PENDING_APPROVAL, people, decision=Decision.DENY)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.dossier_approve(dossier=dossier, actor=people.leader)
    row = fresh(dossier)
    letter = signed_now(row, "result")
    assert letter.title == f"THÔNG BÁO về việc không giải quyết hồ sơ {row.code}"
    assert letter.context["closing"][0] == "Không đủ điều kiện."
    assert letter.context["signature"]["name"] == people.leader.full_name
    assert (row.state, row.decision) == (State.RESOLVED, Decision.DENY)


def test_a_level4_result_downloaded_by_the_applicant_is_returned_once(
    demo_pki, client, people, version, django_capture_on_commit_callbacks
):
    dossier = advance(new_dossier(version), State.PENDING_APPROVAL, people)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.dossier_approve(dossier=dossier, actor=people.leader)
    result = signed_now(dossier, "result")
    client.force_login(dossier.applicant)
    address = reverse("submissions:document", args=[dossier.public_id, result.pk])
    for _ in range(2):
        response = client.get(address)
        assert response.status_code == 200
        assert b"".join(response.streaming_content).startswith(b"%PDF-")
    row = fresh(dossier)
    assert (row.state, row.status_code) == (State.RETURNED, 10)
    assert row.returned_to == dossier.applicant_name and row.returned_at is not None
    assert row.events.filter(action="collect_online").count() == 1


def test_a_level3_result_downloaded_stays_for_the_desk(
    demo_pki, client, people, agency, django_capture_on_commit_callbacks
):
    version = version_with(agency, level=3, time_amount=Decimal("5"))
    dossier = advance(new_dossier(version), State.PENDING_APPROVAL, people)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.dossier_approve(dossier=dossier, actor=people.leader)
    result = signed_now(dossier, "result")
    client.force_login(dossier.applicant)
    response = client.get(reverse("submissions:document", args=[dossier.public_id, result.pk]))
    assert response.status_code == 200
    row = fresh(dossier)
    assert row.state == State.RESOLVED
    assert not row.events.filter(action="collect_online").exists()
    workflow.dossier_hand_back(dossier=row, actor=people.desk, received_by="Nguyễn Văn Nhận")
    assert (fresh(dossier).state, fresh(dossier).returned_to) == (State.RETURNED, "Nguyễn Văn Nhận")


# --- the national portal's status codes (DOMAIN.md §3) ------------------------------------------


@pytest.mark.parametrize(
    ("state", "code"),
    [
        (State.SUBMITTED, 1),
        (State.RECEIVED, 2),
        (State.REFUSED, 3),
        (State.PROCESSING, 4),
        (State.PENDING_APPROVAL, 4),
        (State.SIGNING, 4),
        (State.SUPPLEMENT_REQUIRED, 5),
        (State.WITHDRAWN, 7),
        (State.STOPPED, 8),
        (State.RESOLVED, 9),
        (State.RETURNED, 10),
    ],
)
def test_status_codes(monday, people, version, state, code):
    dossier = advance(new_dossier(version), state, people)
    assert dossier.status_code == code
    assert dossier.events.last().status_code == code


def test_status_code_of_a_draft_and_of_a_fee_due(monday, people, version):
    assert DossierFactory(version=version).status_code is None
    dossier = advance(new_dossier(version), State.PROCESSING, people)
    dossier.request_payment()  # the payments issue's transition; no service yet
    dossier.save()
    assert (fresh(dossier).state, fresh(dossier).status_code) == (State.AWAITING_PAYMENT, 6)

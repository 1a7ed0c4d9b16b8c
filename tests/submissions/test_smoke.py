import pytest

from signing.models import Document
from submissions.models import Decision, State
from tests.factories import (
    WORKFLOW_STEPS,
    DossierFactory,
    OfficerFactory,
    ProcedureVersionFactory,
)
from tests.submissions.workflow_support import documents_of

pytestmark = pytest.mark.django_db


def test_factory_traits():
    draft = DossierFactory()
    assert draft.state == State.DRAFT and draft.files.count() == 0
    complete = DossierFactory(complete=True)
    assert complete.files.count() == 1 and complete.answers == {"full_name": "Nguyễn Văn A"}
    submitted = DossierFactory(submitted=True)
    assert submitted.state == State.SUBMITTED
    assert submitted.code.startswith(submitted.agency.code + "-")
    assert submitted.events.get().to_state == State.SUBMITTED


# What each state's trait implies besides the state, as the workflow's services leave it.
CLOSED = {"closed_at"}
IMPLIED = {
    State.SUBMITTED: set(),
    State.RECEIVED: {"received_at", "due_at"},
    State.REFUSED: CLOSED,
    State.WITHDRAWN: CLOSED,
    State.PROCESSING: {"received_at", "due_at", "assignee"},
    State.SUPPLEMENT_REQUIRED: {"received_at", "due_at", "assignee", "paused_at", "time_left"},
    State.AWAITING_PAYMENT: {"received_at", "due_at", "assignee", "paused_at", "time_left"},
    State.PENDING_APPROVAL: {"received_at", "due_at", "assignee", "decision", "result_content"},
    State.SIGNING: {"received_at", "due_at", "assignee", "decision", "result_content"},
    State.RESOLVED: {"received_at", "due_at", "assignee", "resolved_at", "timeliness"},
    State.RETURNED: {"resolved_at", "returned_at", "returned_to", *CLOSED},
    State.STOPPED: {"received_at", "assignee", *CLOSED},
}


@pytest.mark.parametrize("state", list(WORKFLOW_STEPS), ids=str)
def test_a_trait_per_state(state):
    dossier = DossierFactory(**{state.value: True})
    assert dossier.state == state
    assert dossier.code.startswith(dossier.agency.code + "-") and dossier.submitted_at
    for field in IMPLIED[state]:
        assert getattr(dossier, field), field
    if state in (State.SUPPLEMENT_REQUIRED, State.AWAITING_PAYMENT):
        assert dossier.resume_state == State.PROCESSING
    if dossier.assignee is not None:
        assert dossier.assignee.has_role("specialist")
        assert dossier.assignee.agency == dossier.agency
    # Taken there step by step through the services: one event per step.
    actions = list(dossier.events.order_by("pk").values_list("action", flat=True))
    assert actions == ["submit", *WORKFLOW_STEPS[state]]
    results = documents_of(dossier, "result", staff=True)
    assert [d.status for d in results] == {
        State.SIGNING: [Document.Status.PENDING],
        State.RESOLVED: [Document.Status.SIGNED],
        State.RETURNED: [Document.Status.SIGNED],
    }.get(state, [])


def test_the_state_traits_use_the_officers_named_or_the_agencys_own(agency):
    desk = OfficerFactory(agency=agency, roles=["desk"])
    first, second = (OfficerFactory(agency=agency, roles=["specialist"]) for _ in range(2))
    OfficerFactory(roles=["specialist"])  # of another agency
    version = ProcedureVersionFactory(published=True, level3=True, procedure__agency=agency)
    dossier = DossierFactory(version=version, processing=True)
    assert dossier.assignee == first
    assert dossier.events.get(action="accept").actor == desk
    named = DossierFactory(version=version, processing=True, workflow__specialist=second)
    assert named.assignee == second
    denied = DossierFactory(pending_approval=True, workflow__decision=Decision.DENY)
    assert (denied.decision, denied.result_content) == (Decision.DENY, "")

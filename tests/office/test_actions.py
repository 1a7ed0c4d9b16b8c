"""The one table of staff actions (office.actions), read by the back-office pages and the staff
API alike, and the one place that turns the services' refusals into answers (portal.errors)."""

import pytest
from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from rest_framework import status

from office import actions, api, views
from portal import errors
from submissions.models import Dossier, State
from tests.factories import DossierFactory, OfficerFactory
from tests.submissions.workflow_support import crew

pytestmark = pytest.mark.django_db


def _transition_roles() -> dict[str, set[str]]:
    """FSM transition name → the roles its permission accepts (from the model itself)."""
    transitions = Dossier._meta.get_field("state").get_all_transitions(Dossier)
    return {t.name: set(getattr(t.permission, "roles", ())) for t in transitions if t.permission}


def test_each_actions_roles_are_those_of_its_transitions():
    """`roles` in the table says who may act; the FSM's permissions decide it. They agree."""
    by_transition = _transition_roles()
    for action in actions.ACTIONS.values():
        names = actions.transitions_of(action)
        if not names:  # the service's own rule: reschedule (a leader), record_delivery (the desk)
            own = {
                "reschedule": ("leader",),
                "sign_in_place": ("leader",),  # another leader of the agency
                "record_delivery": ("desk",),
                "transfer": ("desk",),  # the receiving centre's desk
                "transfer_result": ("desk", "leader"),  # the resolving agency's
            }
            assert action.roles == own[action.name], action.name
            continue
        granted = set().union(*(by_transition[name] for name in names))
        assert set(action.roles) == granted, action.name


def test_every_fsm_transition_taken_by_staff_is_an_action():
    staff = {"desk", "specialist", "leader"}
    offered = {name for a in actions.ACTIONS.values() for name in actions.transitions_of(a)}
    for name, roles in _transition_roles().items():
        if roles & staff:
            assert name in offered, name


@pytest.mark.parametrize("name", list(actions.ACTIONS))
def test_the_form_and_the_serializer_parse_what_the_service_takes(name):
    action = actions.ACTIONS[name]
    form_fields = set(action.form.base_fields)
    serializer_fields = set(action.serializer().fields)
    for param in action.params:
        assert param in form_fields, (name, param)
        assert param in serializer_fields, (name, param)
    # Both carry the state the officer saw, and nothing the service would not take.
    assert form_fields == serializer_fields == {"expected_state", *action.params}


def test_the_pages_and_the_api_read_the_same_table():
    assert views.ACTIONS is actions.ACTIONS is api.ACTIONS


def test_a_decision_rule_is_the_services_alone(client, agency, other_agency, english):
    """Granting without a result's content: refused by the service, shown at the field on the
    page and keyed by the field in the API, nothing stored either way."""
    people = crew(agency, other_agency)
    dossier = DossierFactory(processing=True, agency=agency, workflow__specialist=people.specialist)
    client.force_login(people.specialist)
    page = client.post(
        reverse("office:act", args=[dossier.public_id, "propose"]),
        {"propose-expected_state": State.PROCESSING, "propose-decision": "grant"},
    )
    assert page.status_code == 400
    assert "Give the content of the result." in page.content.decode()
    from rest_framework.test import APIClient

    api_client = APIClient()
    api_client.force_authenticate(people.specialist)
    response = api_client.post(
        reverse("api-office-dossier-action", args=[dossier.public_id, "propose"]),
        {"decision": "deny", "reasons": "  "},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"reasons": ["Hãy nêu lý do không giải quyết."]}  # Vietnamese first
    dossier.refresh_from_db()
    assert dossier.state == State.PROCESSING and dossier.decision == ""


# --- portal.errors --------------------------------------------------------------------------------


class _View:
    pass


def _answer(exc, **view_attrs):
    view = _View()
    for key, value in view_attrs.items():
        setattr(view, key, value)
    return errors.api_exception_handler(exc, {"view": view})


def test_a_state_conflict_is_409_with_its_message(english):
    response = _answer(ValidationError("It changed.", code="stale"))
    assert response.status_code == status.HTTP_409_CONFLICT
    assert response.data == {"detail": "It changed."}
    assert _answer(ValidationError("Locked.", code="not_editable")).status_code == 409


def test_something_gone_is_404():
    response = _answer(ValidationError("No longer there.", code="gone"))
    assert response.status_code == 404
    assert str(response.data["detail"]) == "No longer there."


def test_field_messages_stay_keyed_by_field():
    response = _answer(ValidationError({"reasons": "Give reasons.", "note": ["A", "B"]}))
    assert response.status_code == 400
    assert response.data == {"reasons": ["Give reasons."], "note": ["A", "B"]}


def test_other_refusals_are_400_under_the_views_key():
    assert _answer(ValidationError(["One", "Two"])).data == {"detail": "One Two"}
    missing = _answer(ValidationError(["Attach: X"]), problems_key="missing")
    assert missing.status_code == 400 and missing.data == {"missing": ["Attach: X"]}


def test_forbidden_is_404_where_existence_is_not_told_else_403(english):
    assert _answer(PermissionDenied(), forbidden_as_not_found=True).status_code == 404
    plain = _answer(PermissionDenied())
    assert plain.status_code == 403
    told = _answer(PermissionDenied(), forbidden_message="Your role does not allow this.")
    assert told.status_code == 403
    assert str(told.data["detail"]) == "Your role does not allow this."


def test_unknown_errors_are_left_to_the_server():
    assert _answer(RuntimeError("bug")) is None


def test_add_to_form_puts_messages_at_their_fields():
    class NoteForm(forms.Form):
        note = forms.CharField(required=False)

    form = NoteForm({"note": ""})
    assert form.is_valid()
    errors.add_to_form(form, ValidationError({"note": "Say more.", "elsewhere": "Top."}))
    assert form.errors["note"] == ["Say more."]
    assert form.non_field_errors() == ["Top."]
    plain = NoteForm({"note": ""})
    plain.is_valid()
    errors.add_to_form(plain, ValidationError(["First.", "Second."]))
    assert plain.non_field_errors() == ["First.", "Second."]


def test_a_bad_register_document_number_is_not_a_server_error(client, agency):
    desk = OfficerFactory(agency=agency, roles=["desk"])
    client.force_login(desk)
    response = client.get(
        reverse("office:register"), {"start": "2026-01-05", "end": "2026-01-06", "doc": "abc"}
    )
    assert response.status_code == 200

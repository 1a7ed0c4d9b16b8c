"""The staff's actions on a dossier, each written once: its name (the URL's `{action}`), its
label, the roles that may take it, the form (HTML back-office) and the serializer (staff API)
that parse its input, and the service it calls. The pages and the API both read this table;
what the input must satisfy beyond its shape is the service's rule alone.

Who may take an action is decided by the FSM transition's permission (submissions.models) or
the service; `roles` says the same for people and documentation (a test keeps them in step).
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from office import forms, selectors, serializers, services
from payments import fees
from portal.models import StaffRole
from submissions import lifecycle
from submissions.models import Dossier, ResultDelivery, State

Role = StaffRole.Role
# What an officer who sees the dossier but lacks the role is told (page and API alike).
ROLE_REFUSED = _("Your role does not allow this action on this dossier.")


@dataclass(frozen=True)
class Action:
    name: str
    label: str
    roles: tuple[str, ...]
    form: type
    serializer: type
    service: Callable[..., Dossier]
    # The fields of the parsed input the service takes, by the same names.
    params: tuple[str, ...] = ()
    # The FSM transitions that are this action (default: the one of the same name); None: the
    # action is not a transition (its service says when it may be taken).
    transitions: tuple[str, ...] | None = ()
    # Offered only when this also holds (beyond the transition being available to the user).
    offered: Callable[[Dossier, object], bool] | None = None

    def run(self, *, dossier: Dossier, actor, data: dict) -> Dossier:
        """Take the action with input already parsed by its form or serializer."""
        return self.service(
            dossier=dossier,
            actor=actor,
            expected_state=data.get("expected_state") or None,
            **{name: data[name] for name in self.params},
        )

    def form_for(self, dossier: Dossier, data=None):
        kwargs = {"initial": {"expected_state": dossier.state}}
        if self.form is forms.AssignForm:
            kwargs["specialists"] = selectors.office_specialists(agency_id=dossier.agency_id)
        if self.form is forms.ProposeForm:
            kwargs["blanks"] = selectors.result_blanks(dossier)
        return self.form(data, prefix=self.name, **kwargs)


ACTIONS: dict[str, Action] = {
    action.name: action
    for action in [
        Action(
            "accept", _("Accept"), (Role.DESK,),
            forms.ActionForm, serializers.OfficeAcceptInput, services.dossier_accept,
        ),
        Action(
            "request_supplement", _("Request supplement"), (Role.DESK, Role.SPECIALIST),
            forms.SupplementForm, serializers.OfficeSupplementInput,
            services.dossier_request_supplement, params=("reason", "items"),
            transitions=("request_intake_supplement", "request_supplement"),
            # Once while processing (services.supplement_already_requested).
            offered=lambda dossier, _user: dossier.state != State.PROCESSING
            or services.supplement_already_requested(dossier) is None,
        ),
        Action(
            "refuse", _("Refuse"), (Role.DESK,),
            forms.RefuseForm, serializers.OfficeRefuseInput, services.dossier_refuse,
            params=("reasons",),
        ),
        Action(
            "assign", _("Forward to a specialist"), (Role.DESK, Role.LEADER),
            forms.AssignForm, serializers.OfficeAssignInput, services.dossier_assign,
            params=("specialist",),
        ),
        Action(
            "propose", _("Send for approval"), (Role.SPECIALIST,),
            forms.ProposeForm, serializers.OfficeProposeInput, services.dossier_propose,
            params=("decision", "reasons", "result_content", "values"),
        ),
        Action(
            "send_back", _("Send back to the specialist"), (Role.LEADER,),
            forms.NoteForm, serializers.OfficeSendBackInput, services.dossier_send_back,
            params=("note",),
        ),
        Action(
            "approve", _("Approve and sign"), (Role.LEADER,),
            forms.ActionForm, serializers.OfficeApproveInput, services.dossier_approve,
        ),
        Action(
            "sign_in_place", _("Sign in place of the approving leader"), (Role.LEADER,),
            forms.SignInPlaceForm, serializers.OfficeSignInPlaceInput,
            services.dossier_sign_in_place, params=("note",), transitions=None,
            offered=lambda dossier, user: services.sign_in_place_refusal(dossier, user) is None,
        ),
        Action(
            "request_payment", _("Ask for the fee"), (Role.SPECIALIST,),
            forms.ActionForm, serializers.OfficeRequestPaymentInput,
            services.dossier_request_payment,
            offered=lambda dossier, _user: fees.fee_owed_on_delivery(dossier),
        ),
        Action(
            "hand_back", _("Return the result"), (Role.DESK,),
            forms.HandBackForm, serializers.OfficeHandBackInput, services.dossier_hand_back,
            params=("received_by",),
        ),
        Action(
            "receive_supplement", _("Record the supplement received"), (Role.DESK,),
            forms.ReceiveSupplementForm, serializers.OfficeReceiveSupplementInput,
            services.dossier_receive_supplement, params=("note",),
        ),
        Action(
            "send_by_post", _("Send the result by post"), (Role.DESK,),
            forms.SendByPostForm, serializers.OfficeSendByPostInput,
            services.dossier_send_by_post, params=("post_service", "post_tracking"),
            transitions=("hand_back",),
            offered=lambda dossier, _user: dossier.result_delivery == ResultDelivery.POST,
        ),
        Action(
            "record_delivery", _("Record the postal delivery"), (Role.DESK,),
            forms.RecordDeliveryForm, serializers.OfficeRecordDeliveryInput,
            services.dossier_record_delivery, params=("delivered_on",), transitions=None,
            offered=lambda dossier, user: (
                selectors.is_desk_of(user, dossier.front_agency_id)
                and dossier.post_sent_at is not None
                and dossier.post_delivered_at is None
            ),
        ),
        Action(
            "transfer", _("Hand to the resolving agency"), (Role.DESK,),
            forms.ActionForm, serializers.OfficeTransferInput, services.dossier_transfer,
            transitions=None,
            offered=lambda dossier, user: services.transfer_refusal(dossier, user) is None,
        ),
        Action(
            "transfer_result", _("Hand the result back to the centre"),
            (Role.DESK, Role.LEADER),
            forms.ActionForm, serializers.OfficeTransferResultInput,
            services.dossier_transfer_result, transitions=None,
            offered=lambda dossier, user: services.transfer_result_refusal(dossier, user) is None,
        ),
        Action(
            "stop", _("Stop processing"), (Role.LEADER,),
            forms.StopForm, serializers.OfficeStopInput, services.dossier_stop,
            params=("reason",),
        ),
        Action(
            "reschedule", _("Apologise and give a new date"), (Role.LEADER,),
            forms.RescheduleForm, serializers.OfficeRescheduleInput,
            services.dossier_reschedule, params=("reason", "new_due"), transitions=None,
            offered=lambda dossier, user: services.reschedule_refusal(dossier, user) is None,
        ),
    ]
}  # fmt: skip


def transitions_of(action: Action) -> tuple[str, ...]:
    if action.transitions is None:
        return ()
    return action.transitions or (action.name,)


# FSM transition name → the actions it is offered as (hand_back: at the desk, or by post).
_BY_TRANSITION: dict[str, list[Action]] = {}
for _action in ACTIONS.values():
    for _transition in transitions_of(_action):
        _BY_TRANSITION.setdefault(_transition, []).append(_action)


def may_attempt(action: Action, dossier: Dossier, user) -> bool:
    """Whether the officer's role allows the action on this dossier at all (whatever its state
    now): checked before the input is read, so that someone without the role learns nothing
    from the messages (e.g. which specialists the agency has). Actions that are not transitions
    are the service's to refuse."""
    names = transitions_of(action)
    return not names or any(lifecycle.may_take(getattr(dossier, name), user) for name in names)


def available_actions(dossier: Dossier, user) -> list[str]:
    """The actions this officer may take on the dossier now: the transitions the FSM offers
    them, in the model's order, then the actions that are not transitions."""
    names = []
    for transition in dossier.get_available_user_state_transitions(user):
        for action in _BY_TRANSITION.get(transition.name, ()):
            if action.name not in names:
                names.append(action.name)
    names += [action.name for action in ACTIONS.values() if action.transitions is None]
    return [
        name
        for name in names
        if ACTIONS[name].offered is None or ACTIONS[name].offered(dossier, user)
    ]

"""The input of the staff API's actions (/api/v1/office/dossiers/{id}/actions/{action}/):
their shape only. What a decision needs and every other rule is the service's (office.services);
office.actions pairs each serializer with its service."""

from django.utils.translation import gettext_lazy
from rest_framework import serializers

from office import selectors
from portal.fields import TextField
from portal.models import User
from submissions.models import Decision, State


class OfficeActionInput(serializers.Serializer):
    expected_state = serializers.ChoiceField(
        choices=[(value, label) for value, label in State.choices if value != State.DRAFT],
        required=False,
        help_text="The state the officer saw: if the dossier is in another one now, 409",
    )


def _text(max_length: int = 4000):
    return TextField(max_length=max_length)


class OfficeAcceptInput(OfficeActionInput):
    pass


class OfficeSupplementInput(OfficeActionInput):
    reason = _text()
    items = serializers.ListField(
        child=TextField(max_length=1000), allow_empty=False, max_length=50
    )


class OfficeRefuseInput(OfficeActionInput):
    reasons = _text()


class OfficeAssignInput(OfficeActionInput):
    specialist = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.none(),
        help_text="User id, from /office/specialists/",
        error_messages={
            "does_not_exist": gettext_lazy("Choose a specialist of this agency."),
            "incorrect_type": gettext_lazy("Choose a specialist of this agency."),
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        dossier = self.context.get("dossier")
        if dossier is not None:
            self.fields["specialist"].queryset = selectors.office_specialists(
                agency_id=dossier.agency_id
            )


class OfficeProposeInput(OfficeActionInput):
    decision = serializers.ChoiceField(choices=Decision.choices)
    reasons = TextField(
        max_length=4000, required=False, allow_blank=True, default="", help_text="To deny"
    )
    result_content = TextField(
        max_length=4000, required=False, allow_blank=True, default="", help_text="To grant"
    )
    values = serializers.DictField(
        child=serializers.CharField(max_length=500, allow_blank=True),
        required=False,
        default=dict,
        help_text="The blanks of the procedure's result template, by name",
    )


class OfficeSendBackInput(OfficeActionInput):
    note = _text()


class OfficeApproveInput(OfficeActionInput):
    pass


class OfficeSignInPlaceInput(OfficeActionInput):
    note = _text(2000)


class OfficeRequestPaymentInput(OfficeActionInput):
    pass


class OfficeTransferInput(OfficeActionInput):
    pass


class OfficeTransferResultInput(OfficeActionInput):
    pass


class OfficeHandBackInput(OfficeActionInput):
    received_by = _text(max_length=150)


class OfficeReceiveSupplementInput(OfficeActionInput):
    note = _text(max_length=2000)


class OfficeSendByPostInput(OfficeActionInput):
    post_service = _text(max_length=80)
    post_tracking = _text(max_length=40)


class OfficeRecordDeliveryInput(OfficeActionInput):
    delivered_on = serializers.DateField()


class OfficeStopInput(OfficeActionInput):
    reason = _text()


class OfficeRescheduleInput(OfficeActionInput):
    reason = _text()
    new_due = serializers.DateTimeField(help_text="ISO 8601; after the current due time")

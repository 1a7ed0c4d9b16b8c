"""Forms of the back-office: the actions (office.actions pairs each with its service), the
queue's filters and the register's period."""

import datetime as dt
import uuid

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from office import intake
from office.intake import DESK_CHANNELS
from signing.models import Series
from submissions.models import (
    Decision,
    FilerRole,
    IdType,
    IntakeChannel,
    IntakeComponent,
    ResultDelivery,
    State,
)


def _text(label, rows=3, max_length=4000):
    return forms.CharField(
        label=label, max_length=max_length, widget=forms.Textarea(attrs={"rows": rows})
    )


class ActionForm(forms.Form):
    """Every action carries the state the officer saw: acting on a page that is out of date
    gives the "changed meanwhile" message instead of a surprise."""

    expected_state = forms.ChoiceField(choices=State.choices, widget=forms.HiddenInput)


class SupplementForm(ActionForm):
    reason = _text(gettext_lazy("Reason"))
    items = _text(gettext_lazy("Documents or information to supply (one per line)"), rows=4)

    def clean_items(self):
        items = [line.strip() for line in self.cleaned_data["items"].splitlines() if line.strip()]
        if not items:
            raise ValidationError(_("List at least one item."))
        return items


class RefuseForm(ActionForm):
    reasons = _text(gettext_lazy("Reasons for refusing"))


class AssignForm(ActionForm):
    specialist = forms.ModelChoiceField(label=gettext_lazy("Specialist"), queryset=None)

    def __init__(self, *args, specialists=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["specialist"].queryset = specialists


class ProposeForm(ActionForm):
    decision = forms.ChoiceField(
        label=gettext_lazy("Proposal"), choices=Decision.choices, widget=forms.RadioSelect
    )
    result_content = _text(gettext_lazy("Content of the result (to grant)"), rows=5)
    reasons = _text(gettext_lazy("Reasons (to deny)"))
    # The blanks of the result template (edit_<name> fields below), gathered by clean().
    values = forms.JSONField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, blanks=(), **kwargs):
        super().__init__(*args, **kwargs)
        # Which of the two a decision needs is the service's rule (office.services).
        self.fields["result_content"].required = False
        self.fields["reasons"].required = False
        # The blanks of the procedure's result template (the service says they are needed).
        self.blanks = list(blanks)
        for name, label in self.blanks:
            self.fields[f"edit_{name}"] = forms.CharField(
                label=label, max_length=500, required=False
            )

    def clean(self):
        cleaned = super().clean()
        cleaned["values"] = {name: cleaned.get(f"edit_{name}", "") for name, _l in self.blanks}
        return cleaned


class NoteForm(ActionForm):
    note = _text(gettext_lazy("What should change"))


class SignInPlaceForm(ActionForm):
    note = _text(gettext_lazy("Why you sign in place of the approving leader"), rows=2)
    note.error_messages["required"] = gettext_lazy(
        "Say why you sign in place of the approving leader."
    )


class HandBackForm(ActionForm):
    received_by = forms.CharField(label=gettext_lazy("Received by (full name)"), max_length=150)


class ReceiveSupplementForm(ActionForm):
    note = _text(gettext_lazy("What was received"), rows=2, max_length=2000)


class SendByPostForm(ActionForm):
    post_service = forms.CharField(
        label=gettext_lazy("Postal service"), max_length=80, initial="Bưu điện Việt Nam (VNPost)"
    )
    post_tracking = forms.CharField(label=gettext_lazy("Tracking number"), max_length=40)


class RecordDeliveryForm(ActionForm):
    delivered_on = forms.DateField(
        label=gettext_lazy("Delivered on"), widget=forms.DateInput(attrs={"type": "date"})
    )


class StopForm(ActionForm):
    reason = _text(gettext_lazy("Reason for stopping"))


class RescheduleForm(ActionForm):
    reason = _text(gettext_lazy("Reason for the delay"))
    new_due = forms.DateTimeField(
        label=gettext_lazy("New date for the result"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%d/%m/%Y %H:%M"],
    )


class QueueForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Code, citizen ID or name"), required=False)
    procedure = forms.TypedChoiceField(
        label=gettext_lazy("Procedure"), required=False, coerce=int, empty_value=None
    )
    state = forms.ChoiceField(label=gettext_lazy("Status"), required=False)
    channel = forms.ChoiceField(
        label=gettext_lazy("Filing channel"),
        required=False,
        choices=[("", gettext_lazy("All filing channels")), *IntakeChannel.choices],
    )
    overdue = forms.BooleanField(label=gettext_lazy("Overdue"), required=False)
    due_soon = forms.BooleanField(label=gettext_lazy("Due within one working day"), required=False)

    def __init__(self, *args, procedures=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["procedure"].choices = [("", _("All procedures")), *procedures]
        self.fields["state"].choices = [
            ("", _("All statuses")),
            *[(v, label) for v, label in State.choices if v != State.DRAFT],
        ]


class RegisterForm(forms.Form):
    start = forms.DateField(
        label=gettext_lazy("From"), widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(label=gettext_lazy("To"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                raise ValidationError(_("The end of the period is before its start."))
            if end - start > dt.timedelta(days=366):
                raise ValidationError(_("Choose a period of at most one year."))
            if start > timezone.localdate():
                raise ValidationError(_("The period starts in the future."))
        return data


class OutgoingRegisterForm(forms.Form):
    """The filters of the register of outgoing documents (page and API alike): every one
    optional; a bad one is reported, never a server error."""

    q = forms.CharField(
        label=gettext_lazy("Number, summary or dossier code"), max_length=100, required=False
    )
    year = forms.IntegerField(
        label=gettext_lazy("Year"),
        min_value=2000,
        max_value=2100,
        required=False,
        error_messages={"invalid": gettext_lazy("Enter a year, for example 2026.")},
    )
    series = forms.ChoiceField(
        label=gettext_lazy("Series"),
        choices=[("", gettext_lazy("All series")), *Series.choices],
        required=False,
    )
    start = forms.DateField(
        label=gettext_lazy("Issued from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    end = forms.DateField(
        label=gettext_lazy("Issued until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            raise ValidationError(_("The end of the period is before its start."))
        return data


class IntakeForm(forms.Form):
    """A paper dossier at the desk (office.intake): who filed it, how it came, and for each of
    the procedure's documents the form, sheets and sets received; the scans are file inputs
    named `files_<id>` (read from request.FILES)."""

    intake_key = forms.CharField(widget=forms.HiddenInput, max_length=40)
    channel = forms.ChoiceField(
        label=gettext_lazy("Filing channel"),
        choices=[(c.value, c.label) for c in DESK_CHANNELS],
        initial=IntakeChannel.IN_PERSON,
    )
    name = forms.CharField(label=gettext_lazy("Full name"), max_length=150)
    id_type = forms.ChoiceField(
        label=gettext_lazy("Identity document"), choices=IdType.choices, initial=IdType.CITIZEN_ID
    )
    citizen_id = forms.CharField(label=gettext_lazy("Citizen ID or passport number"), max_length=20)
    nationality = forms.CharField(
        label=gettext_lazy("Nationality (passport)"), max_length=80, required=False
    )
    phone = forms.CharField(label=gettext_lazy("Phone"), max_length=16, required=False)
    email = forms.EmailField(label=gettext_lazy("Email"), required=False)
    address = forms.CharField(label=gettext_lazy("Address"), max_length=255, required=False)
    filer_role = forms.ChoiceField(
        label=gettext_lazy("Filing for"), choices=FilerRole.choices, initial=FilerRole.SELF
    )
    subject_name = forms.CharField(
        label=gettext_lazy("Pupil's or principal's full name"), max_length=150, required=False
    )
    subject_id_number = forms.CharField(
        label=gettext_lazy("Their citizen ID number, if any"), max_length=12, required=False
    )
    subject_birth_date = forms.DateField(
        label=gettext_lazy("Their date of birth"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    org_name = forms.CharField(label=gettext_lazy("Organisation"), max_length=255, required=False)
    org_tax_code = forms.CharField(
        label=gettext_lazy("Enterprise or tax code"), max_length=14, required=False
    )
    org_address = forms.CharField(
        label=gettext_lazy("Organisation's address"), max_length=255, required=False
    )
    org_representative = forms.CharField(
        label=gettext_lazy("Legal representative"), max_length=150, required=False
    )
    result_delivery = forms.ChoiceField(
        label=gettext_lazy("Result delivery"),
        choices=[c for c in ResultDelivery.choices if c[0] != ResultDelivery.ONLINE],
        initial=ResultDelivery.DESK,
    )
    delivery_address = forms.CharField(
        label=gettext_lazy("Address for the post (if different)"), max_length=255, required=False
    )

    def __init__(self, *args, documents=(), **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["intake_key"] = uuid.uuid4().hex
        self.documents = list(documents)
        self.component_errors: dict[str, list[str]] = {}  # the service's, by component
        for document in self.documents:
            if not document.required:
                self.fields[f"received_{document.pk}"] = forms.BooleanField(
                    label=gettext_lazy("Received"), required=False
                )
            self.fields[f"form_{document.pk}"] = forms.ChoiceField(
                label=gettext_lazy("Received as"),
                choices=IntakeComponent.Form.choices,
                initial=IntakeComponent.Form.COPY
                if document.copies
                else IntakeComponent.Form.ORIGINAL,
            )
            self.fields[f"sheets_{document.pk}"] = forms.IntegerField(
                label=gettext_lazy("Sheets"), min_value=1, max_value=999, initial=1
            )
            self.fields[f"sets_{document.pk}"] = forms.IntegerField(
                label=gettext_lazy("Sets"), min_value=1, max_value=99, initial=1
            )

    APPLICANT_FIELDS = (
        "name", "id_type", "citizen_id", "nationality", "phone", "email", "address",
        "filer_role", "subject_name", "subject_id_number", "subject_birth_date", "org_name",
        "org_tax_code", "org_address", "org_representative",
    )  # fmt: skip

    def applicant(self) -> dict:
        return {k: self.cleaned_data.get(k) for k in self.APPLICANT_FIELDS}

    def components(self, files) -> list:
        """The components received, for the chosen channel: a document asked for on another
        channel only (the envelope of a postal filing, at the desk) is left out."""
        channel = self.cleaned_data["channel"]
        received = []
        for document in self.documents:
            if not document.applies_to(channel):
                continue
            scans = files.getlist(f"files_{document.pk}")
            if document.required or self.cleaned_data.get(f"received_{document.pk}") or scans:
                received.append(
                    intake.Received(
                        requirement_id=document.pk,
                        form=self.cleaned_data[f"form_{document.pk}"],
                        sheets=self.cleaned_data[f"sheets_{document.pk}"],
                        sets=self.cleaned_data[f"sets_{document.pk}"],
                        files=scans,
                    )
                )
        return received

    def component_rows(self, documents) -> list[dict]:
        """Each document with its bound fields and the errors of its scans, for the page."""
        rows = []
        for document in documents:
            rows.append(
                {
                    "document": document,
                    "received": self[f"received_{document.pk}"] if not document.required else None,
                    "form": self[f"form_{document.pk}"],
                    "sheets": self[f"sheets_{document.pk}"],
                    "sets": self[f"sets_{document.pk}"],
                    "file_errors": self.component_errors.get(f"files_{document.pk}", []),
                }
            )
        return rows


class PinForm(forms.Form):
    """The PIN of the leader's token (or of the remote signing credential): never stored."""

    pin = forms.CharField(
        label=gettext_lazy("PIN of your signing token"),
        max_length=64,
        strip=False,
        widget=forms.PasswordInput(
            attrs={"autocomplete": "off", "inputmode": "numeric", "autofocus": True}
        ),
    )

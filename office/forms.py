"""Forms of the back-office: the actions (office.actions pairs each with its service), the
queue's filters and the register's period."""

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from submissions.models import Decision, IntakeChannel, State


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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Which of the two a decision needs is the service's rule (office.services).
        self.fields["result_content"].required = False
        self.fields["reasons"].required = False


class NoteForm(ActionForm):
    note = _text(gettext_lazy("What should change"))


class HandBackForm(ActionForm):
    received_by = forms.CharField(label=gettext_lazy("Received by (full name)"), max_length=150)


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

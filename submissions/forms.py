"""Forms of the filing flow. `AnswersForm` is built from the procedure version's online form
schema (procedures/form_schema.py) plus the applicant's details, and is used by both the HTML
views and the API, so that both validate the same way."""

import datetime as dt
from decimal import Decimal, InvalidOperation

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.utils.translation import gettext_lazy

from portal.citizen_id import validate_citizen_id
from submissions.filers import FOR_WHOM_FIELDS, check_for_whom
from submissions.models import FilerRole, ResultDelivery

PHONE = RegexValidator(
    r"\A(\+84|0)[0-9]{9,10}\Z",
    gettext_lazy("Enter a Vietnamese phone number, for example 0912345678 or +84912345678."),
)

# The applicant's details, asked on every dossier and prefilled from the profile.
APPLICANT_FIELDS = (
    "applicant_name",
    "applicant_citizen_id",
    "applicant_phone",
    "applicant_email",
    "applicant_address",
)
# Needed to submit (the citizen ID or phone is what public tracking asks for).
APPLICANT_REQUIRED = ("applicant_name", "applicant_citizen_id", "applicant_phone")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def _field_for(spec: dict, required: bool) -> forms.Field:
    kind = spec["type"]
    common = {
        "label": spec["label"],
        "required": required and bool(spec.get("required")),
        "help_text": spec.get("help_text", ""),
    }
    if kind == "text":
        return forms.CharField(max_length=spec.get("max_length", 500), **common)
    if kind == "textarea":
        return forms.CharField(
            max_length=spec.get("max_length", 5000),
            widget=forms.Textarea(attrs={"rows": 4}),
            **common,
        )
    if kind == "number":
        validators = []
        if "min" in spec:
            validators.append(MinValueValidator(Decimal(str(spec["min"]))))
        if "max" in spec:
            validators.append(MaxValueValidator(Decimal(str(spec["max"]))))
        return forms.DecimalField(max_digits=15, decimal_places=4, validators=validators, **common)
    if kind == "date":
        validators = []
        if "min" in spec:
            validators.append(MinValueValidator(dt.date.fromisoformat(spec["min"])))
        if "max" in spec:
            validators.append(MaxValueValidator(dt.date.fromisoformat(spec["max"])))
        return forms.DateField(
            widget=DateInput(), input_formats=["%Y-%m-%d", "%d/%m/%Y"], validators=validators,
            **common,
        )  # fmt: skip
    if kind in ("choice", "multichoice"):
        choices = [(c["value"], c["label"]) for c in spec["choices"]]
        if kind == "multichoice":
            return forms.MultipleChoiceField(
                choices=choices, widget=forms.CheckboxSelectMultiple, **common
            )
        widget = forms.RadioSelect if len(choices) <= 5 else forms.Select
        if widget is forms.Select:
            choices = [("", "—"), *choices]
        return forms.ChoiceField(choices=choices, widget=widget, **common)
    if kind == "checkbox":
        return forms.BooleanField(**common)
    if kind == "email":
        return forms.EmailField(max_length=254, **common)
    if kind == "phone":
        return forms.CharField(max_length=16, validators=[PHONE], **common)
    if kind == "citizen_id":
        return forms.CharField(max_length=12, validators=[validate_citizen_id], **common)
    raise ValueError(kind)


def _to_json(value):
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _from_json(spec: dict, value):
    """What a stored answer looks like to the form (the reverse of _to_json)."""
    if value is None:
        return None
    try:
        if spec["type"] == "date" and isinstance(value, str):
            return dt.date.fromisoformat(value)
        if spec["type"] == "number":
            return Decimal(str(value))
    except (ValueError, InvalidOperation):
        return None
    return value


class AnswersForm(forms.Form):
    """The applicant's details and the procedure's questions.

    `final=False` (saving a draft) checks every value given but lets required ones be empty;
    `final=True` (continuing to the documents, submitting) also requires them."""

    applicant_name = forms.CharField(label=gettext_lazy("Full name"), max_length=150)
    applicant_citizen_id = forms.CharField(
        label=gettext_lazy("Citizen ID number"),
        max_length=12,
        validators=[validate_citizen_id],
        help_text=gettext_lazy("12 digits, as on the chip-based citizen identity card (CCCD)"),
    )
    applicant_phone = forms.CharField(
        label=gettext_lazy("Phone"), max_length=16, validators=[PHONE]
    )
    applicant_email = forms.EmailField(label=gettext_lazy("Email"), required=False)
    applicant_address = forms.CharField(
        label=gettext_lazy("Address"), max_length=255, required=False
    )
    # Who files for whom (submissions.filers): checked together in clean().
    filer_role = forms.ChoiceField(
        label=gettext_lazy("You file this dossier"),
        choices=FilerRole.choices,
        required=False,
        widget=forms.RadioSelect,
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
        widget=DateInput(),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
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

    def __init__(
        self, *args, schema: list[dict], final: bool = False, applicant_type: str = "", **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.schema = schema
        self.final = final
        self.applicant_type = applicant_type
        for name in APPLICANT_REQUIRED:
            self.fields[name].required = final
        for spec in schema:
            self.fields[f"q_{spec['name']}"] = _field_for(spec, required=final)

    @classmethod
    def initial_for(cls, dossier) -> dict:
        initial = {name: getattr(dossier, name) for name in APPLICANT_FIELDS + FOR_WHOM_FIELDS}
        for spec in dossier.version.form_schema:
            if spec["name"] in dossier.answers:
                initial[f"q_{spec['name']}"] = _from_json(spec, dossier.answers[spec["name"]])
        return initial

    def question_fields(self):
        return [self[f"q_{spec['name']}"] for spec in self.schema]

    def applicant_fields(self):
        return [self[name] for name in APPLICANT_FIELDS]

    def subject_fields(self):
        return [self[name] for name in FOR_WHOM_FIELDS if name.startswith("subject_")]

    def organisation_fields(self):
        return [self[name] for name in FOR_WHOM_FIELDS if name.startswith("org_")]

    def clean_applicant_name(self):
        return " ".join(self.cleaned_data["applicant_name"].split())

    @property
    def says_for_whom(self) -> bool:
        """The form was sent with the for-whom choice (the API's applicant object has none:
        there, what the dossier holds stands)."""
        return "filer_role" in self.data

    def clean(self):
        cleaned = super().clean()
        if self.says_for_whom:
            values = {name: cleaned.get(name) for name in FOR_WHOM_FIELDS}
            details, problems = check_for_whom(
                values, final=self.final, applicant_type=self.applicant_type
            )
            for name, messages in problems.items():
                if name not in self.errors:
                    self.add_error(name, messages)
            self.for_whom = details
        return cleaned

    def values(self) -> tuple[dict, dict]:
        """(applicant details, with whom the dossier is for if the form said it; answers as
        JSON) from a valid form."""
        applicant = {name: self.cleaned_data.get(name) or "" for name in APPLICANT_FIELDS}
        if self.says_for_whom:
            applicant.update(self.for_whom)
        answers = {}
        for spec in self.schema:
            value = self.cleaned_data.get(f"q_{spec['name']}")
            if value in (None, "", []):
                continue
            if spec["type"] == "checkbox" and value is False:
                continue
            answers[spec["name"]] = _to_json(value)
        return applicant, answers

    @classmethod
    def from_json(
        cls,
        *,
        schema: list[dict],
        applicant: dict,
        answers: dict,
        final: bool,
        applicant_type: str = "",
    ):
        """The form for an API request: answers keyed by the schema's names."""
        data = dict(applicant)
        for spec in schema:
            if spec["name"] in answers:
                value = answers[spec["name"]]
                if spec["type"] == "checkbox":
                    value = "on" if value is True else ("" if value is False else value)
                elif value is not None and not isinstance(value, str | list):
                    value = str(value)
                data[f"q_{spec['name']}"] = value
        return cls(data, schema=schema, final=final, applicant_type=applicant_type)

    def errors_by_name(self) -> dict[str, list[str]]:
        """Errors keyed as the API and the schema name them (no q_ prefix)."""
        result = {}
        for key, errors in self.errors.items():
            result[key.removeprefix("q_")] = [str(e) for e in errors]
        return result


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class UploadForm(forms.Form):
    """Only the widget: the files themselves are checked by `submissions.uploads`, so that
    every message (empty, too large, wrong type) is the portal's own and names the file."""

    files = forms.Field(
        label=gettext_lazy("Add files"),
        required=False,
        widget=MultipleFileInput(
            attrs={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"}
        ),
    )


class DeliveryForm(forms.Form):
    """How the applicant wants the result back (submissions.services.dossier_set_delivery)."""

    result_delivery = forms.ChoiceField(
        label=gettext_lazy("Receive the result"), choices=ResultDelivery.choices
    )
    delivery_address = forms.CharField(
        label=gettext_lazy("Address for the post"), max_length=255, required=False
    )

    def __init__(self, *args, dossier, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "result_delivery": dossier.result_delivery,
                "delivery_address": dossier.delivery_address,
            },
        )
        super().__init__(*args, **kwargs)
        if dossier.version.service_level < 4:  # no online result for a partly online service
            self.fields["result_delivery"].choices = [
                c for c in ResultDelivery.choices if c[0] != ResultDelivery.ONLINE
            ]


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason for withdrawing"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class TrackForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("Dossier code"), max_length=64)
    secret = forms.CharField(
        label=gettext_lazy("Citizen ID number or phone of the applicant"), max_length=20
    )

    def clean_code(self):
        return self.cleaned_data["code"].strip().upper()

    def clean_secret(self):
        return "".join(self.cleaned_data["secret"].split())

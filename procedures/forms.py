from django import forms
from django.utils.translation import gettext_lazy as _

from procedures import selectors
from procedures.models import ProcedureVersion
from procedures.search import MAX_QUERY_LENGTH


class SearchInput(forms.TextInput):
    input_type = "search"


class CatalogueSearchForm(forms.Form):
    """The public search box and filters. Anything odd is dropped, never an error: a search
    page must answer whatever is typed or pasted into it."""

    q = forms.CharField(label=_("Search"), required=False, widget=SearchInput)
    field = forms.ChoiceField(label=_("Field"), required=False)
    agency = forms.ChoiceField(label=_("Agency"), required=False)
    implementing_level = forms.ChoiceField(
        label=_("Implementing level"),
        required=False,
        choices=[("", _("All levels")), *ProcedureVersion.ImplementingLevel.choices],
    )
    online = forms.ChoiceField(
        label=_("Online service"),
        required=False,
        choices=[("", _("All services")), *ProcedureVersion.OnlineService.choices],
    )
    applicant = forms.ChoiceField(
        label=_("Applicant"),
        required=False,
        choices=[
            ("", _("Everyone")),
            (ProcedureVersion.ApplicantType.INDIVIDUAL, _("Individuals")),
            (ProcedureVersion.ApplicantType.ORGANIZATION, _("Organisations")),
        ],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs.update(
            {"placeholder": _("Procedure name or code"), "maxlength": 200}
        )
        fields, agencies = selectors.filter_choices()
        self.fields["field"].choices = [("", _("All fields")), *fields]
        self.fields["agency"].choices = [("", _("All agencies")), *agencies]

    def filters(self) -> selectors.CatalogueFilters:
        data = {}
        if self.is_bound:
            self.is_valid()  # an invalid filter is dropped; the valid ones still apply
            data = self.cleaned_data
        return selectors.CatalogueFilters(
            query=(data.get("q") or "")[:MAX_QUERY_LENGTH],
            field=data.get("field") or "",
            agency=data.get("agency") or "",
            implementing_level=data.get("implementing_level") or "",
            online_service=data.get("online") or "",
            applicant=data.get("applicant") or "",
        )

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from stats.indicators import Period
from stats.models import ReportKind
from stats.reports import ReportPeriod

DATE_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]


class PeriodForm(forms.Form):
    """Which period: this month, this year, or two dates (dd/mm/yyyy)."""

    MONTH, YEAR, CUSTOM = "month", "year", "custom"

    period = forms.ChoiceField(
        label=_("Period"),
        choices=[(MONTH, _("This month")), (YEAR, _("This year")), (CUSTOM, _("Choose dates"))],
        required=False,
    )
    start = forms.DateField(
        label=_("From"),
        required=False,
        input_formats=DATE_FORMATS,
        widget=forms.TextInput(attrs={"placeholder": "dd/mm/yyyy", "inputmode": "numeric"}),
        help_text=_("dd/mm/yyyy"),
        error_messages={"invalid": _("Enter a date as dd/mm/yyyy, for example 01/03/2026.")},
    )
    end = forms.DateField(
        label=_("To"),
        required=False,
        input_formats=DATE_FORMATS,
        widget=forms.TextInput(attrs={"placeholder": "dd/mm/yyyy", "inputmode": "numeric"}),
        help_text=_("dd/mm/yyyy"),
        error_messages={"invalid": _("Enter a date as dd/mm/yyyy, for example 31/03/2026.")},
    )

    def __init__(self, *args, today: dt.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("period") or self.MONTH
        if kind == self.YEAR:
            cleaned["range"] = Period.year_of(self.today)
        elif kind == self.CUSTOM or cleaned.get("start") or cleaned.get("end"):
            start, end = cleaned.get("start"), cleaned.get("end")
            if self.has_error("start") or self.has_error("end"):
                return cleaned
            if start is None or end is None:
                missing = "start" if start is None else "end"
                self.add_error(missing, _("Enter both dates of the period."))
                return cleaned
            try:
                cleaned["range"] = Period.checked(start, end)
            except ValidationError as error:
                self.add_error("end", error)
        else:
            cleaned["range"] = Period.month_of(self.today)
        return cleaned

    def period_or_default(self) -> Period:
        """The period asked for, or this month when the form has errors."""
        if self.is_valid():
            return self.cleaned_data["range"]
        return Period.month_of(self.today)


class ReportPeriodForm(forms.Form):
    """Which report (stats.reports): its kind of period, which one, the year. A period that
    has not started yet is refused."""

    kind = forms.ChoiceField(
        label=_("Kind of period"),
        choices=ReportKind.choices,
        error_messages={"invalid_choice": _("Choose a kind of period from the list.")},
    )
    number = forms.IntegerField(
        label=_("Month, quarter or half"),
        required=False,
        min_value=1,
        max_value=12,
        help_text=_("Month 1-12, quarter 1-4, half-year 1-2; none for a year"),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages={
            "invalid": _("Enter a whole number."),
            "min_value": _("Enter a number from 1."),
            "max_value": _("Enter a number up to 12."),
        },
    )
    year = forms.IntegerField(
        label=_("Year"),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages={
            "required": _("Enter the year."),
            "invalid": _("Enter a year such as 2026."),
        },
    )

    def __init__(self, *args, today: dt.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            period = ReportPeriod.of(cleaned["kind"], cleaned["year"], cleaned.get("number"))
        except ValidationError as error:
            self.add_error("number" if error.code == "number" else "year", error)
            return cleaned
        if not period.has_started(self.today):
            self.add_error(
                "year",
                _("The period %(period)s has not started yet: choose one that has.")
                % {"period": period.label},
            )
            return cleaned
        cleaned["period"] = period
        return cleaned

from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.models import Agency
from procedures.models import Field, Procedure


class Counts(models.Model):
    """The figures the indicators, charts and reports add up, for one agency and procedure over
    a day (DailyCount) or a month (MonthlyCount)."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="+")
    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="+")
    field = models.ForeignKey(Field, on_delete=models.CASCADE, related_name="+")

    received = models.PositiveIntegerField(default=0)
    received_online = models.PositiveIntegerField(default=0)
    received_in_person = models.PositiveIntegerField(default=0)
    received_post = models.PositiveIntegerField(default=0)
    digitised = models.PositiveIntegerField(default=0)
    fee_due = models.PositiveIntegerField(default=0)
    paid_online = models.PositiveIntegerField(default=0)
    resolved = models.PositiveIntegerField(default=0)
    resolved_early = models.PositiveIntegerField(default=0)
    resolved_on_time = models.PositiveIntegerField(default=0)
    resolved_late = models.PositiveIntegerField(default=0)
    results_electronic = models.PositiveIntegerField(default=0)
    # Resolved late, or rated "not satisfied" by the applicant (each dossier once).
    late_or_unsatisfied = models.PositiveIntegerField(default=0)
    withdrawn = models.PositiveIntegerField(default=0)
    stopped = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True


class DailyCount(Counts):
    """What happened to an agency's dossiers of one procedure on one day (Vietnam time): the
    sums every indicator, chart and report adds up, so that none of them scans the dossiers.

    Each figure is counted on the day of its own event: `received*`, `digitised`, `fee_due` and
    `paid_online` on the day the dossier was accepted; `resolved*`, `results_electronic` and
    `late_or_unsatisfied` on the day of the result; `withdrawn` and `stopped` on the day the
    dossier closed. Rows are recomputed for every day something changed
    (stats.aggregates.refresh)."""

    day = models.DateField(_("day"))

    class Meta:
        verbose_name = _("daily count")
        verbose_name_plural = _("daily counts")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "agency", "procedure"], name="dailycount_day_agency_procedure"
            )
        ]
        indexes = [models.Index(fields=["agency", "day"], name="dailycount_agency_day")]

    def __str__(self):
        return f"{self.day} {self.agency_id} {self.procedure_id}"


class MonthlyCount(Counts):
    """The same figures summed over a calendar month (`month` is its first day), kept with the
    days (stats.aggregates.recompute): the monthly charts read a dozen rows per agency and
    procedure instead of every day's."""

    month = models.DateField(_("month"))

    class Meta:
        verbose_name = _("monthly count")
        verbose_name_plural = _("monthly counts")
        constraints = [
            models.UniqueConstraint(
                fields=["month", "agency", "procedure"], name="monthlycount_month_agency_procedure"
            )
        ]
        indexes = [models.Index(fields=["agency", "month"], name="monthlycount_agency_month")]

    def __str__(self):
        return f"{self.month:%m/%Y} {self.agency_id} {self.procedure_id}"


class RefreshMark(models.Model):
    """One row: when the counts were last brought up to date (the next refresh looks at what
    changed since a little before it)."""

    refreshed_at = models.DateTimeField()

    def __str__(self):
        return str(self.refreshed_at)


class ReportKind(models.TextChoices):
    """The periods an agency reports its procedures' results for (stats.reports)."""

    MONTH = "month", _("Monthly")
    QUARTER = "quarter", _("Quarterly")
    HALF = "half", _("Six-monthly")
    YEAR = "year", _("Yearly")


class Report(models.Model):
    """An agency's report of its procedures' results for one period (Biểu số 06/VPCP/KSTT,
    stats.reports): one per agency and period, whoever asked first (a leader on the page, or
    the monthly schedule), so that a second request finds it. Its signed PDF is the
    signing.Document it owns; the figures are those of the moment it was asked for."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=8, choices=ReportKind.choices)
    year = models.PositiveSmallIntegerField(_("year"))
    # The month (1-12), the quarter (1-4), the half (1-2), or 1 for a year.
    number = models.PositiveSmallIntegerField(_("number"))
    # The days it covers, as the cut-off rule gave them when it was made.
    first = models.DateField(_("from"))
    last = models.DateField(_("to"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("report on procedure results")
        verbose_name_plural = _("reports on procedure results")
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "kind", "year", "number"], name="report_agency_period"
            )
        ]

    def __str__(self):
        return f"{self.agency_id} {self.kind} {self.number}/{self.year}"

from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.models import Agency
from procedures.models import Field, Procedure


class DailyCount(models.Model):
    """What happened to an agency's dossiers of one procedure on one day (Vietnam time): the
    sums every indicator, chart and report adds up, so that none of them scans the dossiers.

    Each figure is counted on the day of its own event: `received*`, `digitised`, `fee_due` and
    `paid_online` on the day the dossier was accepted; `resolved*`, `results_electronic` and
    `late_or_unsatisfied` on the day of the result; `withdrawn` and `stopped` on the day the
    dossier closed. Rows are recomputed for every day something changed
    (stats.aggregates.refresh)."""

    day = models.DateField(_("day"))
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


class RefreshMark(models.Model):
    """One row: when the counts were last brought up to date (the next refresh looks at what
    changed since a little before it)."""

    refreshed_at = models.DateTimeField()

    def __str__(self):
        return str(self.refreshed_at)

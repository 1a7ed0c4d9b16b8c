"""The indicators of Decision 766/QĐ-TTg (23 June 2022), "Bộ chỉ số chỉ đạo, điều hành và đánh
giá chất lượng phục vụ người dân, doanh nghiệp trong thực hiện thủ tục hành chính, dịch vụ công
theo thời gian thực trên môi trường điện tử", over a period and a scope.

Groups and their maxima (100 in all), as the Decision lists them (confirmed on the Nam Định
Department of Home Affairs' summary of the Decision): transparency 18, progress of resolution
20, digitisation 22, online service 22, satisfaction 18. The National Public Service Portal
shows the online-service group as two, online service 12 and online payment 10, and so does
this module.

The split of each group into sub-indicators, their points and the thresholds at which a
sub-indicator earns all its points are what the national portal computes today, as described
in its "Mô tả công thức tính chỉ số 766" and reproduced from its published scores by third
parties; the Decision's own appendix could not be read here, so these weights are
**unconfirmed** (README, "Statistics"). Points: a ratio at or above the threshold earns all the
points, below it `points × ratio ÷ threshold`.

Every indicator is one function below, named by its code, with its formula and source in its
docstring. Each returns a Value whose status says whether it was measured: an indicator whose
data the portal does not hold yet is NOT_MEASURED and one with nothing to count in the period is
NO_DATA — never a made-up 0 or 100 %.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Q, Sum, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from feedback import selectors as feedback_selectors
from portal.models import Agency
from procedures.models import Channel, ProcedureVersion
from stats.aggregates import COUNTS, day_bounds, local_day
from stats.models import DailyCount, MonthlyCount
from submissions.models import CLOCK_STATES, Dossier

MAX_PERIOD_DAYS = 5 * 366


# --- the period and the scope --------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """From `first` to `last`, both days included (Vietnam time)."""

    first: dt.date
    last: dt.date

    @classmethod
    def month_of(cls, day: dt.date) -> Period:
        following = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        return cls(day.replace(day=1), following - dt.timedelta(days=1))

    @classmethod
    def year_of(cls, day: dt.date) -> Period:
        return cls(dt.date(day.year, 1, 1), dt.date(day.year, 12, 31))

    @classmethod
    def checked(cls, first: dt.date, last: dt.date) -> Period:
        """A period a user asked for; ValidationError says what is wrong with it."""
        if last < first:
            raise ValidationError(
                _("The period ends before it starts: choose an end date on or after the start."),
                code="reversed",
            )
        if (last - first).days >= MAX_PERIOD_DAYS:
            raise ValidationError(_("Choose a period of at most five years."), code="too_long")
        return cls(first, last)

    def includes_today(self, now: dt.datetime) -> bool:
        return self.first <= local_day(now) <= self.last

    def months(self) -> list[dt.date]:
        """The first day of each month the period touches."""
        months, day = [], self.first.replace(day=1)
        while day <= self.last:
            months.append(day)
            day = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        return months


@dataclass(frozen=True)
class Scope:
    """Whose figures: some agencies (None: the whole portal), optionally one procedure or one
    field (lĩnh vực) of theirs."""

    agency_ids: tuple[int, ...] | None = None
    procedure_id: int | None = None
    field_id: int | None = None

    @classmethod
    def agency(cls, agency: Agency, *, with_children: bool = False) -> Scope:
        ids = [agency.pk]
        if with_children:
            ids = descendant_ids(agency)
        return cls(agency_ids=tuple(ids))

    def counts(self, model=DailyCount):
        """This scope's rows of DailyCount (or MonthlyCount)."""
        rows = model.objects.all()
        if self.agency_ids is not None:
            rows = rows.filter(agency_id__in=self.agency_ids)
        if self.procedure_id is not None:
            rows = rows.filter(procedure_id=self.procedure_id)
        if self.field_id is not None:
            rows = rows.filter(field_id=self.field_id)
        return rows

    def dossiers(self):
        rows = Dossier.objects.all()
        if self.agency_ids is not None:
            rows = rows.filter(agency_id__in=self.agency_ids)
        if self.procedure_id is not None:
            rows = rows.filter(version__procedure_id=self.procedure_id)
        if self.field_id is not None:
            rows = rows.filter(version__field_id=self.field_id)
        return rows

    def published_versions(self):
        rows = ProcedureVersion.objects.filter(status=ProcedureVersion.Status.PUBLISHED)
        if self.agency_ids is not None:
            rows = rows.filter(procedure__agency_id__in=self.agency_ids)
        if self.procedure_id is not None:
            rows = rows.filter(procedure_id=self.procedure_id)
        if self.field_id is not None:
            rows = rows.filter(field_id=self.field_id)
        return rows


def descendant_ids(agency: Agency) -> list[int]:
    """The agency and every agency under it."""
    ids, frontier = [agency.pk], [agency.pk]
    while frontier:
        frontier = list(Agency.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
        ids += frontier
    return ids


# --- values --------------------------------------------------------------------------------------


class Status:
    MEASURED = "measured"
    NO_DATA = "no_data"  # nothing to count in the period (e.g. no dossier received)
    NOT_MEASURED = "not_measured"  # the portal does not hold the data yet


@dataclass
class Value:
    code: str
    status: str
    numerator: int | None = None
    denominator: int | None = None
    points: Decimal | None = None
    max_points: Decimal = Decimal(0)
    note: str = ""

    @property
    def ratio(self) -> Decimal | None:
        if self.numerator is None or not self.denominator:
            return None
        return Decimal(self.numerator) / Decimal(self.denominator)

    @property
    def percent(self) -> Decimal | None:
        ratio = self.ratio
        if ratio is None:
            return None
        return (ratio * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

    @property
    def measured(self) -> bool:
        return self.status == Status.MEASURED


@dataclass
class Sums:
    """One period's and scope's DailyCount sums, plus the live figures, read once for all the
    indicators."""

    counts: dict[str, int]
    in_progress: int
    in_progress_overdue: int
    due_soon: int
    procedures: dict[str, int] = field(default_factory=dict)
    now: dt.datetime = field(default_factory=timezone.now)
    includes_today: bool = False
    # Feedback received in the period (feedback.selectors.feedback_counts); None for a scope
    # of one procedure or field (feedback is counted per agency).
    feedback: dict[str, int] | None = None
    ratings: dict[str, int] = field(default_factory=dict)
    # The period's sums per procedure (the dashboard's table reads them too).
    per_procedure: dict[int, dict] = field(default_factory=dict)


def _count_when(condition: Q) -> Sum:
    return Sum(Case(When(condition, then=1), default=0, output_field=IntegerField()))


def sums_for(scope: Scope, period: Period, *, now: dt.datetime | None = None) -> Sums:
    now = now or timezone.now()
    # One grouped read per procedure gives the totals and which procedures had an online
    # dossier or an online payment.
    per_procedure = (
        scope.counts()
        .filter(day__gte=period.first, day__lte=period.last)
        .values("procedure_id")
        .order_by()
        .annotate(**{n: Sum(n) for n in COUNTS})
    )
    counts = dict.fromkeys(COUNTS, 0)
    online_procedures, paying_procedures = set(), set()
    per_procedure = list(per_procedure)
    for row in per_procedure:
        for name in COUNTS:
            counts[name] += row[name] or 0
        if row["received_online"]:
            online_procedures.add(row["procedure_id"])
        if row["paid_online"]:
            paying_procedures.add(row["procedure_id"])
    # The procedures published now: which file online, which charge a fee (one read).
    charges = Exists(Channel.objects.filter(version=OuterRef("pk"), fee_vnd__gt=0))
    offered, online_ids, payable_ids = set(), set(), set()
    for procedure_id, level, fee in scope.published_versions().values_list(
        "procedure_id", "service_level", charges
    ):
        offered.add(procedure_id)
        if level >= 3:
            online_ids.add(procedure_id)
        if fee:
            payable_ids.add(procedure_id)
    procedures = {
        "offered": len(offered),
        "online": len(online_ids),
        "online_with_dossiers": len(online_ids & online_procedures),
        "payable": len(payable_ids),
        "payable_paid_online": len(payable_ids & paying_procedures),
    }
    # Read nothing but due_at: for the whole portal PostgreSQL answers from the running
    # dossiers' partial index on due_at alone (an index-only scan, 13 → 2.5 ms at 1M).
    live = (
        scope.dossiers()
        .filter(state__in=CLOCK_STATES)
        .aggregate(
            running=Count("*"),
            overdue=_count_when(Q(due_at__lt=now)),
            soon=_count_when(Q(due_at__gte=now, due_at__lt=now + dt.timedelta(days=2))),
        )
    )
    start, end = day_bounds(period.first, period.last)
    agency_ids = list(scope.agency_ids) if scope.agency_ids is not None else None
    per_agency = scope.procedure_id is None and scope.field_id is None
    return Sums(
        feedback=feedback_selectors.feedback_counts(
            agency_ids=agency_ids, start=start, end=end, now=now
        )
        if per_agency
        else None,
        ratings=feedback_selectors.rating_counts(
            agency_ids=agency_ids, start=start, end=end, procedure_id=scope.procedure_id
        ),
        counts=counts,
        per_procedure={row["procedure_id"]: row for row in per_procedure},
        in_progress=live["running"],
        in_progress_overdue=live["overdue"] or 0,
        due_soon=live["soon"] or 0,
        procedures=procedures,
        now=now,
        includes_today=period.includes_today(now),
    )


def _scored(
    code: str,
    numerator: int,
    denominator: int,
    max_points: int,
    *,
    threshold: str = "1",
    empty_full: bool = False,
) -> Value:
    maximum = Decimal(max_points)
    if denominator == 0:
        if empty_full:  # nothing to handle counts as handled well (the national portal's rule)
            return Value(code, Status.MEASURED, 0, 0, maximum, maximum)
        return Value(code, Status.NO_DATA, 0, 0, None, maximum)
    ratio = Decimal(numerator) / Decimal(denominator)
    target = Decimal(threshold)
    points = maximum if ratio >= target else maximum * ratio / target
    points = points.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return Value(code, Status.MEASURED, numerator, denominator, points, maximum)


def _not_measured(code: str, max_points: int, note: str) -> Value:
    return Value(code, Status.NOT_MEASURED, max_points=Decimal(max_points), note=note)


# --- the indicators ------------------------------------------------------------------------------
# Group 1, transparency (18).


def t1_published_on_time(s: Sums) -> Value:
    """1.1 Tỷ lệ TTHC công bố đúng hạn = TTHC công bố đúng hạn ÷ TTHC đã công bố trong kỳ
    (6 points). The portal does not hold the dates of the legal bases its procedures are
    announced under: not measured."""
    return _not_measured("T1", 6, _("The dates of the procedures' legal bases are not recorded."))


def t2_updated_on_time(s: Sums) -> Value:
    """1.2 Tỷ lệ TTHC được cập nhật, công khai đúng hạn trên CSDL quốc gia về TTHC (4 points).
    Publication in the national database is not connected yet: not measured."""
    return _not_measured("T2", 4, _("Not connected to the national procedure database yet."))


def t3_complete_content(s: Sums) -> Value:
    """1.3 Tỷ lệ TTHC công khai có đầy đủ nội dung (khoản 2 Điều 8 Nghị định 63/2010) (2
    points). Checked against the national database: not measured."""
    return _not_measured("T3", 2, _("Not connected to the national procedure database yet."))


def t4_synced(s: Sums) -> Value:
    """1.4 Tỷ lệ hồ sơ đồng bộ lên Cổng Dịch vụ công quốc gia = hồ sơ đã đồng bộ ÷ hồ sơ tiếp
    nhận trong kỳ (6 points). Status sync with the national portal is not built yet (issue
    22): not measured."""
    return _not_measured("T4", 6, _("Status sync with the national portal is not built yet."))


# Group 2, progress of resolution (20).


def p1_on_time(s: Sums) -> Value:
    """2.1 Tỷ lệ hồ sơ xử lý trước hạn, đúng hạn = hồ sơ đã và đang xử lý đúng hạn hoặc trong
    hạn ÷ hồ sơ tiếp nhận, xử lý trong kỳ (20 points, linear; the national portal's formula
    description). Resolved in the period: early or on time over all resolved; for a period
    that includes today, the dossiers in progress count too, those not yet past due as in time.
    A dossier given a new date by the apology letter (Mẫu 04) counts against its first date."""
    c = s.counts
    numerator = c["resolved_early"] + c["resolved_on_time"]
    denominator = c["resolved"]
    if s.includes_today:
        numerator += s.in_progress - s.in_progress_overdue
        denominator += s.in_progress
    return _scored("P1", numerator, denominator, 20)


# Online service (12) — unconfirmed split: 2 + 4 + 6.


def o1_procedures_online(s: Sums) -> Value:
    """3.1 Tỷ lệ TTHC cung cấp dịch vụ công trực tuyến = TTHC có DVCTT một phần hoặc toàn trình
    ÷ TTHC thuộc thẩm quyền (Decree 42/2022 Art. 11; all points at 80 %). Counted over the
    procedures published now."""
    p = s.procedures
    return _scored("O1", p["online"], p["offered"], 2, threshold="0.8")


def o2_online_services_used(s: Sums) -> Value:
    """3.2 Tỷ lệ DVCTT có phát sinh hồ sơ = DVCTT có hồ sơ trực tuyến trong kỳ ÷ DVCTT (all
    points at 100 %)."""
    p = s.procedures
    return _scored("O2", p["online_with_dossiers"], p["online"], 4)


def o3_online_filing(s: Sums) -> Value:
    """3.3 Tỷ lệ hồ sơ TTHC nộp trực tuyến = hồ sơ tiếp nhận trực tuyến ÷ hồ sơ tiếp nhận (all
    points at 50 %)."""
    c = s.counts
    return _scored("O3", c["received_online"], c["received"], 6, threshold="0.5")


# Online payment (10).


def m1_paid_online(s: Sums) -> Value:
    """3.6 Tỷ lệ hồ sơ thanh toán trực tuyến = hồ sơ thanh toán trực tuyến ÷ hồ sơ của TTHC có
    phí, lệ phí (6 points, linear). Counted on the dossiers received in the period; a fee
    exemption at the desk is not known, so such a dossier counts as one with a fee."""
    c = s.counts
    return _scored("M1", c["paid_online"], c["fee_due"], 6)


def m2_payable_procedures_paid_online(s: Sums) -> Value:
    """3.5 Tỷ lệ TTHC có nghĩa vụ tài chính có ít nhất một hồ sơ thanh toán trực tuyến ÷ TTHC có
    nghĩa vụ tài chính (2 points, all at 80 %)."""
    p = s.procedures
    return _scored("M2", p["payable_paid_online"], p["payable"], 2, threshold="0.8")


def m3_fee_data_synced(s: Sums) -> Value:
    """TTHC có dữ liệu phí trên hồ sơ đồng bộ lên Cổng DVCQG ÷ TTHC có phí (2 points): needs the
    status sync (issue 22): not measured."""
    return _not_measured("M3", 2, _("Status sync with the national portal is not built yet."))


# Digitisation (22).


def d1_electronic_results(s: Sums) -> Value:
    """4.1 Tỷ lệ hồ sơ TTHC có cấp kết quả giải quyết điện tử = hồ sơ có kết quả điện tử ÷ hồ sơ
    đã giải quyết (6 points, linear). A result here is a signed PDF (signing.Document)."""
    c = s.counts
    return _scored("D1", c["results_electronic"], c["resolved"], 6)


def d2_digitised(s: Sums) -> Value:
    """4.2 Tỷ lệ hồ sơ TTHC thực hiện số hóa hồ sơ = hồ sơ có thành phần được số hóa ÷ hồ sơ
    tiếp nhận (4 points, all at 80 %). An online dossier is digital from the start; a desk or
    postal one counts once a scan is attached."""
    c = s.counts
    return _scored("D2", c["digitised"], c["received"], 4, threshold="0.8")


def d3_data_reused(s: Sums) -> Value:
    """4.3 Tỷ lệ hồ sơ khai thác, sử dụng lại thông tin, dữ liệu số hóa (2 points): reuse of
    digitised data is not recorded yet (issue 22): not measured."""
    return _not_measured("D3", 2, _("Reuse of digitised data is not recorded yet."))


def d4_data_store(s: Sums) -> Value:
    """4.4 Tỷ lệ hồ sơ được số hóa có kết nối, chia sẻ dữ liệu (kho dữ liệu của công dân trên
    Cổng DVCQG) (4 points): not connected yet (issue 22): not measured."""
    return _not_measured("D4", 4, _("Not connected to the citizens' data store yet."))


def d5_population_data(s: Sums) -> Value:
    """4.5 TTHC và hồ sơ sử dụng dữ liệu dân cư (2 + 2 points): the population database is not
    connected yet (issue 22): not measured."""
    return _not_measured("D5", 4, _("Not connected to the population database yet."))


def d6_certified_copies(s: Sums) -> Value:
    """Tỷ lệ cung cấp dịch vụ chứng thực bản sao điện tử từ bản chính (2 points): the portal
    offers no electronic certified copies: not measured."""
    return _not_measured("D6", 2, _("Electronic certified copies are not offered."))


# Satisfaction (18): the three formulas as the Decision words them (confirmed on the Lâm Đồng
# provincial site's copy of the Decision), 6 points each.


def _feedback_not_counted(code: str) -> Value:
    return _not_measured(code, 6, _("Feedback is counted per agency, not per procedure or field."))


def s1_feedback_on_time(s: Sums) -> Value:
    """Tỷ lệ phản ánh, kiến nghị xử lý đúng hạn = PAKN xử lý đúng hoặc trước hạn ÷ PAKN thuộc
    thẩm quyền tiếp nhận, xử lý (6 points, linear; all of them when there was none, the
    national portal's rule). Feedback not taken up (not the agency's) is outside the count."""
    if s.feedback is None:
        return _feedback_not_counted("S1")
    f = s.feedback
    return _scored("S1", f["answered_on_time"], f["total"] - f["refused"], 6, empty_full=True)


def s2_feedback_satisfaction(s: Sums) -> Value:
    """Tỷ lệ hài lòng trong xử lý PAKN = (PAKN - số bị phản hồi không hài lòng hoặc xử lý quá
    hạn) ÷ PAKN (6 points, linear; all of them when there was none). Open past its due time
    counts as late."""
    if s.feedback is None:
        return _feedback_not_counted("S2")
    f = s.feedback
    total = f["total"] - f["refused"]
    return _scored("S2", total - f["late_or_unsatisfied"], total, 6, empty_full=True)


def s3_dossier_satisfaction(s: Sums) -> Value:
    """Tỷ lệ hài lòng trong tiếp nhận, giải quyết TTHC = (hồ sơ - hồ sơ không hài lòng hoặc quá
    hạn) ÷ hồ sơ thuộc thẩm quyền giải quyết (6 points, all of them at 90 %). Counted over the
    dossiers resolved in the period: resolved late or rated "not satisfied", each once."""
    c = s.counts
    return _scored(
        "S3", c["resolved"] - c["late_or_unsatisfied"], c["resolved"], 6, threshold="0.9"
    )


@dataclass(frozen=True)
class Indicator:
    code: str
    group: str
    label: str
    compute: Callable[[Sums], Value]


class Group:
    TRANSPARENCY = "transparency"
    PROGRESS = "progress"
    ONLINE = "online"
    PAYMENT = "payment"
    DIGITISATION = "digitisation"
    SATISFACTION = "satisfaction"


GROUPS: list[tuple[str, object, int]] = [
    (Group.TRANSPARENCY, gettext_lazy("Transparency"), 18),
    (Group.PROGRESS, gettext_lazy("Progress of resolution"), 20),
    (Group.ONLINE, gettext_lazy("Online service"), 12),
    (Group.PAYMENT, gettext_lazy("Online payment"), 10),
    (Group.DIGITISATION, gettext_lazy("Digitisation"), 22),
    (Group.SATISFACTION, gettext_lazy("Satisfaction"), 18),
]

INDICATORS: list[Indicator] = [
    Indicator(
        "T1",
        Group.TRANSPARENCY,
        gettext_lazy("Procedures announced on time"),
        t1_published_on_time,
    ),
    Indicator(
        "T2",
        Group.TRANSPARENCY,
        gettext_lazy("Procedures updated and published on time"),
        t2_updated_on_time,
    ),
    Indicator(
        "T3",
        Group.TRANSPARENCY,
        gettext_lazy("Procedures published in full"),
        t3_complete_content,
    ),
    Indicator(
        "T4",
        Group.TRANSPARENCY,
        gettext_lazy("Dossiers synced to the national portal"),
        t4_synced,
    ),
    Indicator(
        "P1",
        Group.PROGRESS,
        gettext_lazy("Dossiers resolved early or on time"),
        p1_on_time,
    ),
    Indicator(
        "O1",
        Group.ONLINE,
        gettext_lazy("Procedures offered fully or partly online"),
        o1_procedures_online,
    ),
    Indicator(
        "O2",
        Group.ONLINE,
        gettext_lazy("Online services with dossiers filed online"),
        o2_online_services_used,
    ),
    Indicator(
        "O3",
        Group.ONLINE,
        gettext_lazy("Dossiers filed online"),
        o3_online_filing,
    ),
    Indicator(
        "M1",
        Group.PAYMENT,
        gettext_lazy("Dossiers with a fee paid online"),
        m1_paid_online,
    ),
    Indicator(
        "M2",
        Group.PAYMENT,
        gettext_lazy("Procedures with a fee and at least one online payment"),
        m2_payable_procedures_paid_online,
    ),
    Indicator(
        "M3",
        Group.PAYMENT,
        gettext_lazy("Procedures whose fee data reach the national portal"),
        m3_fee_data_synced,
    ),
    Indicator(
        "D1",
        Group.DIGITISATION,
        gettext_lazy("Dossiers with an electronic result"),
        d1_electronic_results,
    ),
    Indicator(
        "D2",
        Group.DIGITISATION,
        gettext_lazy("Dossiers digitised"),
        d2_digitised,
    ),
    Indicator(
        "D3",
        Group.DIGITISATION,
        gettext_lazy("Dossiers reusing digitised data"),
        d3_data_reused,
    ),
    Indicator(
        "D4",
        Group.DIGITISATION,
        gettext_lazy("Dossiers linked to the citizen's data store"),
        d4_data_store,
    ),
    Indicator(
        "D5",
        Group.DIGITISATION,
        gettext_lazy("Use of population data"),
        d5_population_data,
    ),
    Indicator(
        "D6",
        Group.DIGITISATION,
        gettext_lazy("Electronic certified copies"),
        d6_certified_copies,
    ),
    Indicator(
        "S1",
        Group.SATISFACTION,
        gettext_lazy("Feedback handled on time"),
        s1_feedback_on_time,
    ),
    Indicator(
        "S2",
        Group.SATISFACTION,
        gettext_lazy("Feedback handled to the sender's satisfaction"),
        s2_feedback_satisfaction,
    ),
    Indicator(
        "S3",
        Group.SATISFACTION,
        gettext_lazy("Dossiers handled to the applicant's satisfaction"),
        s3_dossier_satisfaction,
    ),
]


@dataclass
class GroupScore:
    code: str
    label: object
    max_points: int
    values: list[tuple[Indicator, Value]]

    @property
    def points(self) -> Decimal | None:
        measured = [v.points for _i, v in self.values if v.measured]
        return sum(measured, Decimal(0)) if measured else None

    @property
    def measured_max(self) -> Decimal:
        return sum((v.max_points for _i, v in self.values if v.measured), Decimal(0))


@dataclass
class Scorecard:
    period: Period
    scope: Scope
    sums: Sums
    groups: list[GroupScore]

    @property
    def points(self) -> Decimal:
        return sum((g.points or Decimal(0) for g in self.groups), Decimal(0))

    @property
    def measured_max(self) -> Decimal:
        return sum((g.measured_max for g in self.groups), Decimal(0))

    def value(self, code: str) -> Value:
        for group in self.groups:
            for indicator, value in group.values:
                if indicator.code == code:
                    return value
        raise KeyError(code)


def scorecard(scope: Scope, period: Period, *, now: dt.datetime | None = None) -> Scorecard:
    """Every indicator, the group scores and the total for one scope and period."""
    sums = sums_for(scope, period, now=now)
    groups = []
    for code, label, maximum in GROUPS:
        values = [(i, i.compute(sums)) for i in INDICATORS if i.group == code]
        groups.append(GroupScore(code, label, maximum, values))
    return Scorecard(period, scope, sums, groups)


def monthly(scope: Scope, period: Period) -> list[dict]:
    """Received, resolved and resolved early or on time per month the period touches (its
    whole months, from the monthly rows: a dozen rows per agency and procedure a year)."""
    rows = (
        scope.counts(MonthlyCount)
        .filter(month__gte=period.first.replace(day=1), month__lte=period.last)
        .values("month")
        .order_by()
        .annotate(
            received=Sum("received"),
            resolved=Sum("resolved"),
            early=Sum("resolved_early"),
            on_time=Sum("resolved_on_time"),
        )
    )
    found = {row["month"]: row for row in rows}
    result = []
    for month in period.months():
        row = found.get(month) or {}
        result.append(
            {
                "month": month,
                "received": row.get("received") or 0,
                "resolved": row.get("resolved") or 0,
                "on_time": (row.get("early") or 0) + (row.get("on_time") or 0),
            }
        )
    return result

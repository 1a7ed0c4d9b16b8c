"""The periodic report of an agency's procedure results (issue 19, item 4): the figures of
Biểu số 06/VPCP/KSTT, "Tình hình, kết quả giải quyết TTHC tại cơ quan, đơn vị trực tiếp giải
quyết TTHC", of Circular 01/2020/TT-VPCP of 21 October 2020 ("Quy định chế độ báo cáo định kỳ
và quản lý, sử dụng, khai thác Hệ thống thông tin báo cáo của Văn phòng Chính phủ", made under
Decree 09/2019/NĐ-CP on the reporting of administrative bodies), per field (lĩnh vực) of an
agency and the units under it, for a month, a quarter, a half-year or a year; as a
spreadsheet at once and as a signed PDF rendered by the worker. The paper is in Vietnamese
whatever the reader's language.

Sources (README, "Statistics"): the circular's number, date, title and its basis in Decree
09/2019 were read on thuvienphapluat.vn and dulieuphapluat.vn (the opening of the text). The
form's title and its thirteen columns were not read in the circular itself (its annex was not
reachable): they are as two public implementations of the national reporting system print them
(a generator of Biểu 06 "ban hành theo Thông tư số 01/2020/TT-VPCP ngày 21/10/2020", and the
older Biểu II.06a with the same columns numbered 1-13). The period's cut-off is `period_bounds`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce
from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.models import Agency, StaffRole
from portal.spreadsheets import text_cells
from procedures.models import Field
from signing import services as signing
from signing.models import Document, Series
from stats.aggregates import day_bounds, local_day
from stats.indicators import Scope
from stats.models import Report, ReportKind
from submissions.models import DocumentKind

FORM_NUMBER = "Biểu số 06/VPCP/KSTT"
FORM_BASIS = "Ban hành theo Thông tư số 01/2020/TT-VPCP ngày 21/10/2020"
TITLE = "BÁO CÁO TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH"
FORM_TITLE = "Tình hình, kết quả giải quyết TTHC tại cơ quan, đơn vị trực tiếp giải quyết TTHC"
UNIT = "Đơn vị tính: Số hồ sơ TTHC"
# The thirteen columns, as the form heads them: (group, sub-heading). Column 2's heading is the
# form's; its rows here are the fields of the agency's procedures.
COLUMNS = [
    ("STT", ""),
    ("Lĩnh vực, công việc giải quyết theo cấp", ""),
    ("Số hồ sơ nhận giải quyết", "Tổng số"),
    ("Số hồ sơ nhận giải quyết", "Trong đó: Trực tuyến"),
    ("Số hồ sơ nhận giải quyết", "Trong đó: Trực tiếp, dịch vụ bưu chính"),
    ("Số hồ sơ nhận giải quyết", "Từ kỳ trước"),
    ("Số hồ sơ đã giải quyết", "Tổng số"),
    ("Số hồ sơ đã giải quyết", "Trước hạn"),
    ("Số hồ sơ đã giải quyết", "Đúng hạn"),
    ("Số hồ sơ đã giải quyết", "Quá hạn"),
    ("Số lượng hồ sơ đang giải quyết", "Tổng số"),
    ("Số lượng hồ sơ đang giải quyết", "Trong hạn"),
    ("Số lượng hồ sơ đang giải quyết", "Quá hạn"),
]
ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}
# The months a period of each kind covers: (first month, last month) of its `number`.
_MONTHS = {
    ReportKind.MONTH: lambda n: (n, n),
    ReportKind.QUARTER: lambda n: (3 * n - 2, 3 * n),
    ReportKind.HALF: lambda n: (6 * n - 5, 6 * n),
    ReportKind.YEAR: lambda n: (1, 12),
}
_COUNT = {ReportKind.MONTH: 12, ReportKind.QUARTER: 4, ReportKind.HALF: 2, ReportKind.YEAR: 1}


# --- the period -----------------------------------------------------------------------------------


def _month_day(year: int, month: int, day: int) -> dt.date:
    """Day `day` of a month, or its last day when `day` is 0 (calendar periods)."""
    if day:
        return dt.date(year, month, day)
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


def period_bounds(kind: str, year: int, number: int) -> tuple[dt.date, dt.date]:
    """The one rule for a report's days: a period of the months m1..m2 of `year` runs from the
    day after the cut-off day of the month before m1 to the cut-off day of m2, both included.

    The cut-off (settings.STATS_REPORT_CUTOFF_DAY, 14) is that of the periodic reports of
    administrative bodies: monthly from the 15th of the month before to the 14th; quarterly from
    the 15th of the month before the quarter to the 14th of its last month; six months from
    15/12 of the year before to 14/6; a year from 15/12 of the year before to 14/12. Decree
    09/2019/NĐ-CP sets it (its Article 12, as recalled; the decree's text was not reachable
    here); the dates were read as a provincial regulation repeats them (Khánh Hòa, Quyết định
    01/2023/QĐ-UBND, Điều 4). The second half-year follows the same rule (15/6-14/12): the
    regulation names only the six-month report. With a cut-off of 0 the periods are calendar
    months, quarters and years (as the national portal's Decision 766 figures are)."""
    cutoff = settings.STATS_REPORT_CUTOFF_DAY
    if not 0 <= cutoff <= 27:  # the schedule runs on the day after, in every month
        raise ValueError("STATS_REPORT_CUTOFF_DAY must be from 0 to 27")
    first_month, last_month = _MONTHS[ReportKind(kind)](number)
    last = _month_day(year, last_month, cutoff)
    if cutoff:
        before = dt.date(year, first_month, 1) - dt.timedelta(days=1)  # in the month before
        first = dt.date(before.year, before.month, cutoff) + dt.timedelta(days=1)
    else:
        first = dt.date(year, first_month, 1)
    return first, last


@dataclass(frozen=True)
class ReportPeriod:
    """A report's period: its kind, its year and which one of the year (month 1-12, quarter
    1-4, half 1-2, 1 for the year), with its days (`period_bounds`)."""

    kind: str
    year: int
    number: int
    first: dt.date
    last: dt.date

    @classmethod
    def of(cls, kind: str, year: int, number: int | None = None) -> ReportPeriod:
        """The period asked for; ValidationError says what is wrong with it."""
        if kind not in ReportKind.values:
            raise ValidationError(_("Choose a kind of period from the list."), code="kind")
        if kind == ReportKind.YEAR:
            number = 1
        if number is None or not 1 <= number <= _COUNT[ReportKind(kind)]:
            messages = {
                ReportKind.MONTH: _("Choose a month from 1 to 12."),
                ReportKind.QUARTER: _("Choose a quarter from 1 to 4."),
                ReportKind.HALF: _("Choose the first (1) or the second (2) half of the year."),
            }
            raise ValidationError(messages[ReportKind(kind)], code="number")
        if not 2000 <= year <= 2999:
            raise ValidationError(_("Enter a year such as 2026."), code="year")
        return cls(kind, year, number, *period_bounds(kind, year, number))

    @classmethod
    def latest_ended(cls, kind: str, today: dt.date) -> ReportPeriod:
        """The last period of this kind that ended before `today`."""
        year, number = today.year + 1, _COUNT[ReportKind(kind)]
        while True:
            period = cls.of(kind, year, number)
            if period.last < today:
                return period
            number -= 1
            if number == 0:
                year, number = year - 1, _COUNT[ReportKind(kind)]

    def has_started(self, today: dt.date) -> bool:
        return self.first <= today

    def has_ended(self, today: dt.date) -> bool:
        return self.last < today

    @property
    def label_vi(self) -> str:
        """How the paper names it: "tháng 11 năm 2026", "quý IV năm 2026", "6 tháng đầu năm
        2026", "năm 2026"."""
        if self.kind == ReportKind.MONTH:
            return f"tháng {self.number} năm {self.year}"
        if self.kind == ReportKind.QUARTER:
            return f"quý {ROMAN[self.number]} năm {self.year}"
        if self.kind == ReportKind.HALF:
            return f"6 tháng {'đầu' if self.number == 1 else 'cuối'} năm {self.year}"
        return f"năm {self.year}"

    @property
    def label(self) -> str:
        """The period's name in the reader's language (the page)."""
        values = {"number": self.number, "year": self.year}
        if self.kind == ReportKind.MONTH:
            return _("month %(number)s/%(year)s") % values
        if self.kind == ReportKind.QUARTER:
            return _("quarter %(number)s/%(year)s") % values
        if self.kind == ReportKind.HALF:
            return _("half-year %(number)s/%(year)s") % values
        return _("year %(year)s") % values

    @property
    def slug(self) -> str:
        return f"{self.kind}-{self.year}-{self.number:02d}"


# --- the figures ----------------------------------------------------------------------------------


@dataclass
class Line:
    """One line of the form: its field and columns 3-13, and the dossiers withdrawn or stopped
    in the period that columns 7 and 9 include (`closed`)."""

    name: str
    received: int = 0  # (3) = (4) + (5) + (6)
    online: int = 0  # (4)
    desk_or_post: int = 0  # (5)
    carried_over: int = 0  # (6)
    resolved: int = 0  # (7) = (8) + (9) + (10)
    early: int = 0  # (8)
    on_time: int = 0  # (9), with `closed`
    late: int = 0  # (10)
    running: int = 0  # (11) = (12) + (13)
    running_in_time: int = 0  # (12)
    running_overdue: int = 0  # (13)
    closed: int = 0

    def cells(self) -> list[int]:
        """Columns 3 to 13."""
        return [
            self.received,
            self.online,
            self.desk_or_post,
            self.carried_over,
            self.resolved,
            self.early,
            self.on_time,
            self.late,
            self.running,
            self.running_in_time,
            self.running_overdue,
        ]

    def add(self, other: Line) -> None:
        for item in dataclasses.fields(Line):
            if item.name != "name":
                setattr(self, item.name, getattr(self, item.name) + getattr(other, item.name))

    def problems(self) -> list[str]:
        """The form's sums that do not hold (they hold unless the counts are behind the
        dossiers: a refresh of the day counts puts them right)."""
        checks = {
            "(3) = (4) + (5) + (6)": self.received
            == self.online + self.desk_or_post + self.carried_over,
            "(7) = (8) + (9) + (10)": self.resolved == self.early + self.on_time + self.late,
            "(11) = (12) + (13)": self.running == self.running_in_time + self.running_overdue,
            "(3) = (7) + (11)": self.received == self.resolved + self.running,
        }
        return [f"{self.name}: {name}" for name, holds in checks.items() if not holds]


@dataclass
class Figures:
    agency: Agency
    period: ReportPeriod
    lines: list[Line]
    total: Line
    # When "đang giải quyết" was taken: the end of the period, or now for a period not over.
    as_of: dt.datetime
    problems: list[str] = field(default_factory=list)

    def rows(self) -> list[list[str]]:
        """The lines as the paper prints them: STT, field, columns 3-13."""
        return [
            [str(number), line.name, *map(str, line.cells())]
            for number, line in enumerate(self.lines, start=1)
        ]


def _unfinished_at(instant: dt.datetime) -> Q:
    """Not finished at `instant`: a dossier is finished when it is resolved (resolved_at), or,
    withdrawn or stopped without a result, when it was closed (closed_at)."""
    return Q(resolved_at__gte=instant) | Q(
        Q(closed_at__isnull=True) | Q(closed_at__gte=instant), resolved_at__isnull=True
    )


def _overdue_at(instant: dt.datetime) -> Q:
    """Past its due time at `instant`: the first due time (a new date from the apology, Mẫu 04,
    does not make a dossier in time, DOMAIN.md §3); a dossier whose clock was paused at the
    instant (waiting for the applicant) is compared as of its pause."""
    paused = Q(paused_at__lt=instant)
    return (paused & Q(due__lt=F("paused_at"))) | (~paused & Q(due__lt=instant))


def figures_for(agency: Agency, period: ReportPeriod, *, now: dt.datetime | None = None) -> Figures:
    """Biểu 06's figures for the agency and the units under it, per field, with the total.

    Columns 3-5 and 7-10 are sums of stats.DailyCount over the period's days (received by
    channel, resolved by timeliness, withdrawn and stopped): no dossier is read for them.
    Column 6, "từ kỳ trước" (carried over), counts the dossiers received before the period
    that were not finished at its start; column 11, "đang giải quyết", those received by its
    end and not finished at its end (for a period not over yet: now), split by their due time
    against that instant into 12 "trong hạn" and 13 "quá hạn". Both read the dossiers in one
    grouped query over a range of their receipt time, which the register's index serves
    (agency, COALESCE(received_at, submitted_at)).

    Withdrawn and stopped dossiers: the form has no column for them, yet each was received and
    no longer runs. As the national reporting system's Biểu 06/II.06a do ("Đúng hạn — bao gồm
    cả hồ sơ … trả lại / xin rút"), those closed in the period count as resolved on time (7 and
    9); the paper says how many, under the table. So (3) = (7) + (11) on every line."""
    now = now or timezone.now()
    scope = Scope.agency(agency, with_children=True)
    start, end = day_bounds(period.first, period.last)
    as_of = min(end, now)
    counted = (
        scope.counts()
        .filter(day__gte=period.first, day__lte=period.last)
        .values("field_id")
        .order_by()
        .annotate(
            received=Sum("received"),
            online=Sum("received_online"),
            resolved=Sum("resolved"),
            early=Sum("resolved_early"),
            on_time=Sum("resolved_on_time"),
            late=Sum("resolved_late"),
            closed=Sum("withdrawn") + Sum("stopped"),
        )
    )
    running = (
        scope.dossiers()
        .filter(received_at__isnull=False)
        .annotate(day=Coalesce("received_at", "submitted_at"))
        .filter(day__lt=as_of)
        .annotate(due=Coalesce("original_due_at", "due_at"))
        .values("version__field_id")
        .order_by()
        .annotate(
            carried_over=Count("pk", filter=Q(received_at__lt=start) & _unfinished_at(start)),
            running=Count("pk", filter=_unfinished_at(as_of)),
            overdue=Count("pk", filter=_unfinished_at(as_of) & _overdue_at(as_of)),
        )
    )
    lines: dict[int, Line] = {}
    for row in counted:
        line = lines.setdefault(row["field_id"], Line(""))
        line.received += row["received"] or 0
        line.online += row["online"] or 0
        line.desk_or_post += (row["received"] or 0) - (row["online"] or 0)
        line.resolved += (row["resolved"] or 0) + (row["closed"] or 0)
        line.early += row["early"] or 0
        line.on_time += (row["on_time"] or 0) + (row["closed"] or 0)
        line.late += row["late"] or 0
        line.closed += row["closed"] or 0
    for row in running:
        if not (row["carried_over"] or row["running"]):
            continue
        line = lines.setdefault(row["version__field_id"], Line(""))
        line.carried_over += row["carried_over"]
        line.received += row["carried_over"]
        line.running += row["running"]
        line.running_overdue += row["overdue"]
        line.running_in_time += row["running"] - row["overdue"]
    fields = Field.objects.filter(pk__in=lines).order_by("order", "name")
    ordered = []
    for item in fields:
        line = lines[item.pk]
        line.name = item.name
        if any(line.cells()):
            ordered.append(line)
    total = Line("Tổng cộng")
    for line in ordered:
        total.add(line)
    problems = [problem for line in [*ordered, total] for problem in line.problems()]
    return Figures(agency, period, ordered, total, as_of, problems)


# --- the spreadsheet --------------------------------------------------------------------------


def xlsx_response(figures: Figures) -> FileResponse:
    """Biểu 06 as a spreadsheet: the form's number, title and period, its three header rows
    and the column numbers, a line per field, the total."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    period = figures.period
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Bieu 06"
    bold = Font(bold=True)
    centred = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for text in (
        FORM_NUMBER,
        FORM_BASIS,
        TITLE,
        f"{figures.agency.name} — kỳ báo cáo {period.label_vi}",
        f"(Từ ngày {period.first:%d/%m/%Y} đến ngày {period.last:%d/%m/%Y})",
        UNIT,
    ):
        sheet.append(text_cells(sheet, [text]))  # an agency's name stays text
    top = sheet.max_row + 1
    sheet.append(["STT", COLUMNS[1][0], COLUMNS[2][0], "", "", "", COLUMNS[6][0], "", "", "",
                  COLUMNS[10][0], "", ""])  # fmt: skip
    sheet.append(["", "", "Tổng số", "Trong đó", "", "Từ kỳ trước", "Tổng số", "Trước hạn",
                  "Đúng hạn", "Quá hạn", "Tổng số", "Trong hạn", "Quá hạn"])  # fmt: skip
    sheet.append(["", "", "", "Trực tuyến", "Trực tiếp, dịch vụ bưu chính"] + [""] * 8)
    sheet.append([f"({n})" for n in range(1, 14)])
    merges = [
        (top, 1, top + 2, 1), (top, 2, top + 2, 2), (top, 3, top, 6), (top, 7, top, 10),
        (top, 11, top, 13), (top + 1, 3, top + 2, 3), (top + 1, 4, top + 1, 5),
        (top + 1, 6, top + 2, 6), *((top + 1, c, top + 2, c) for c in range(7, 14)),
    ]  # fmt: skip
    for first_row, first_col, last_row, last_col in merges:
        sheet.merge_cells(
            start_row=first_row, start_column=first_col, end_row=last_row, end_column=last_col
        )
    for row in sheet.iter_rows(min_row=top, max_row=top + 3):
        for cell in row:
            cell.font, cell.alignment = bold, centred
    for number, line in enumerate(figures.lines, start=1):
        sheet.append(text_cells(sheet, [number, line.name, *line.cells()]))
    sheet.append(text_cells(sheet, ["", figures.total.name, *figures.total.cells()]))
    for cell in sheet[sheet.max_row]:
        cell.font = bold
    if figures.total.closed:
        sheet.append([closed_note(figures.total.closed)])
    sheet.column_dimensions["B"].width = 40
    for letter in "CDEFGHIJKLM":
        sheet.column_dimensions[letter].width = 12
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return FileResponse(
        buffer,
        as_attachment=True,
        filename=f"bao-cao-tthc-{figures.agency.code}-{period.slug}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def closed_note(closed: int) -> str:
    return (
        f"Cột (7) và cột (9) gồm cả {closed} hồ sơ được rút theo yêu cầu của cá nhân, tổ chức "
        "hoặc dừng giải quyết trong kỳ."
    )


# --- the signed PDF ---------------------------------------------------------------------------


def report_get(*, agency: Agency, period: ReportPeriod) -> Report | None:
    return Report.objects.filter(
        agency=agency, kind=period.kind, year=period.year, number=period.number
    ).first()


def document_of(report: Report | None) -> Document | None:
    if report is None:
        return None
    return Document.objects.filter(
        owner_type=ContentType.objects.get_for_model(Report),
        owner_id=report.pk,
        kind=DocumentKind.REPORT,
    ).first()


def head_signature(agency: Agency) -> dict:
    """The head of the agency signs a report made by the schedule (Decree 30/2020 Appendix I's
    signature block: the title, the name)."""
    return {"authority": [agency.head_title_or_default.upper()], "name": agency.head_name}


def may_issue(user, agency: Agency) -> bool:
    """Who may have the signed report made: a leader or an administrator of the agency itself
    (a unit's report is signed by the unit)."""
    return (
        user is not None
        and user.agency_id == agency.pk
        and user.has_role(StaffRole.Role.LEADER, StaffRole.Role.AGENCY_ADMIN)
    )


@transaction.atomic
def report_issue(
    *,
    agency: Agency,
    period: ReportPeriod,
    actor=None,
    signature: dict | None = None,
    now: dt.datetime | None = None,
) -> Document:
    """The period's report of the agency as a signed PDF: one per agency and period (a second
    request returns the first one's document, changing nothing). Its figures are taken now and
    kept in the document; the worker renders and signs it after commit. `actor` None: the
    schedule (signed in the head's name); otherwise a leader or an administrator of the agency
    (PermissionDenied). A period that has not ended: ValidationError, nothing stored."""
    now = now or timezone.now()
    if actor is not None and not may_issue(actor, agency):
        raise PermissionDenied
    if not period.has_ended(local_day(now)):
        raise ValidationError(
            _("The report for %(period)s can be signed from %(day)s, once the period has ended.")
            % {
                "period": period.label,
                "day": (period.last + dt.timedelta(days=1)).strftime("%d/%m/%Y"),
            },
            code="not_ended",
        )
    report, _created = Report.objects.get_or_create(
        agency=agency,
        kind=period.kind,
        year=period.year,
        number=period.number,
        defaults={"first": period.first, "last": period.last},
    )
    existing = document_of(report)
    if existing is not None:
        return existing
    figures = figures_for(agency, period, now=now)
    title = f"Báo cáo tình hình, kết quả giải quyết thủ tục hành chính {period.label_vi}"
    recipients = [agency.parent.name] if agency.parent_id else []
    return signing.document_request(
        kind=DocumentKind.REPORT,
        title=title,
        template="documents/report.html",
        context=pdf_context(figures, signature=signature or head_signature(agency)),
        agency=agency,
        owner=report,
        actor=actor,
        series=Series.REPORT,
        recipient="; ".join(recipients),
        reference=period.slug,
        paper="A4",
    )


def pdf_context(figures: Figures, *, signature: dict) -> dict:
    period, agency = figures.period, figures.agency
    recipients = [agency.parent.name] if agency.parent_id else []
    return {
        "form_number": FORM_NUMBER,
        "heading": TITLE,
        "summary": f"Kỳ báo cáo: {period.label_vi}",
        "landscape": True,
        "period_label": period.label_vi,
        "start": f"{period.first:%d/%m/%Y}",
        "end": f"{period.last:%d/%m/%Y}",
        "form_title": FORM_TITLE,
        "unit": UNIT,
        "rows": figures.rows(),
        "total": [figures.total.name, *map(str, figures.total.cells())],
        "closed_note": closed_note(figures.total.closed) if figures.total.closed else "",
        "as_of": as_of_text(figures),
        "recipients": [*recipients, "Lưu: VT"],
        "signature": signature,
    }


def as_of_text(figures: Figures) -> str:
    """When the figures in progress were taken: the end of the period's last day, or the
    moment for a period not over yet."""
    if figures.as_of >= day_bounds(figures.period.first, figures.period.last)[1]:
        return f"hết ngày {figures.period.last:%d/%m/%Y}"
    return timezone.localtime(figures.as_of).strftime("%H:%M ngày %d/%m/%Y")


def agencies_to_report():
    """The agencies the schedule makes a monthly report for: active agencies that resolve
    procedures and hold a signing certificate (one without can have it made from the page once
    it has one)."""
    return (
        Agency.objects.filter(is_active=True, kind=Agency.Kind.AGENCY, certificates__is_active=True)
        .distinct()
        .order_by("code")
    )

"""The periodic report of procedure results, Biểu số 06/VPCP/KSTT (stats.reports; issue 19,
item 4): its figures over a small hand-made data set, every column worked out by hand in the
comments; the periods and their cut-off; the spreadsheet; the signed PDF; the page and who may
see it; the schedule and the command."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from stats import aggregates, reports
from stats.models import ReportKind
from stats.reports import ReportPeriod, figures_for, period_bounds
from submissions.models import Dossier, IntakeChannel, State, Timeliness
from tests.factories import (
    AgencyFactory,
    FieldFactory,
    ProcedureVersionFactory,
)
from tests.stats.test_indicators import VN, dossier

pytestmark = pytest.mark.django_db

D = dt.date
MARCH = ReportPeriod.of(ReportKind.MONTH, 2026, 3)  # 15/02/2026 - 14/03/2026


def at(month: int, day: int, hour: int = 9, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=VN)


# --- the periods ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "year", "number", "first", "last"),
    [
        (ReportKind.MONTH, 2026, 3, D(2026, 2, 15), D(2026, 3, 14)),
        (ReportKind.MONTH, 2026, 1, D(2025, 12, 15), D(2026, 1, 14)),  # across the year
        (ReportKind.QUARTER, 2026, 4, D(2026, 9, 15), D(2026, 12, 14)),
        (ReportKind.QUARTER, 2026, 1, D(2025, 12, 15), D(2026, 3, 14)),
        (ReportKind.HALF, 2026, 1, D(2025, 12, 15), D(2026, 6, 14)),
        (ReportKind.HALF, 2026, 2, D(2026, 6, 15), D(2026, 12, 14)),
        (ReportKind.YEAR, 2026, 1, D(2025, 12, 15), D(2026, 12, 14)),
    ],
)
def test_a_period_runs_from_the_15th_before_to_the_14th(kind, year, number, first, last):
    assert period_bounds(kind, year, number) == (first, last)
    period = ReportPeriod.of(kind, year, number)
    assert (period.first, period.last) == (first, last)


@pytest.mark.parametrize(
    ("kind", "number", "first", "last"),
    [
        (ReportKind.MONTH, 2, D(2026, 2, 1), D(2026, 2, 28)),
        (ReportKind.QUARTER, 4, D(2026, 10, 1), D(2026, 12, 31)),
        (ReportKind.YEAR, 1, D(2026, 1, 1), D(2026, 12, 31)),
    ],
)
def test_a_cut_off_of_zero_gives_calendar_periods(settings, kind, number, first, last):
    settings.STATS_REPORT_CUTOFF_DAY = 0
    assert period_bounds(kind, 2026, number) == (first, last)


def test_the_periods_are_named_as_the_paper_names_them():
    assert MARCH.label_vi == "tháng 3 năm 2026"
    assert ReportPeriod.of(ReportKind.QUARTER, 2026, 4).label_vi == "quý IV năm 2026"
    assert ReportPeriod.of(ReportKind.HALF, 2026, 1).label_vi == "6 tháng đầu năm 2026"
    assert ReportPeriod.of(ReportKind.YEAR, 2026).label_vi == "năm 2026"


def test_the_latest_ended_month_turns_the_day_after_the_cut_off():
    # On the 14th the month to 14/03 is still running; on the 15th it has ended.
    assert ReportPeriod.latest_ended(ReportKind.MONTH, D(2026, 3, 14)).number == 2
    assert ReportPeriod.latest_ended(ReportKind.MONTH, D(2026, 3, 15)) == MARCH
    january = ReportPeriod.latest_ended(ReportKind.MONTH, D(2026, 1, 15))
    assert (january.year, january.number) == (2026, 1)
    december = ReportPeriod.latest_ended(ReportKind.MONTH, D(2026, 1, 14))
    assert (december.year, december.number, december.first) == (2025, 12, D(2025, 11, 15))
    # The year 2026 ends on 14/12/2026.
    assert ReportPeriod.latest_ended(ReportKind.YEAR, D(2026, 12, 15)).year == 2026
    assert ReportPeriod.latest_ended(ReportKind.YEAR, D(2026, 12, 14)).year == 2025


@pytest.mark.parametrize(
    ("kind", "number", "message"),
    [
        ("week", 1, "Choose a kind of period from the list."),
        (ReportKind.MONTH, 13, "Choose a month from 1 to 12."),
        (ReportKind.MONTH, None, "Choose a month from 1 to 12."),
        (ReportKind.QUARTER, 5, "Choose a quarter from 1 to 4."),
        (ReportKind.HALF, 3, "Choose the first (1) or the second (2) half of the year."),
    ],
)
def test_an_unknown_period_is_refused_with_its_reason(kind, number, message, english):
    with pytest.raises(ValidationError) as error:
        ReportPeriod.of(kind, 2026, number)
    assert error.value.messages == [message]


# --- the figures ----------------------------------------------------------------------------------


@pytest.fixture
def data():
    """Agency A with its unit B, and another agency C; fields F1 (A's and B's procedures) and
    F2 (B's). The report of March 2026: 15/02/2026 00:00 to 15/03/2026 00:00.

    | #  | where | channel   | received    | what happened                      | counts in        |
    | -- | ----- | --------- | ----------- | ---------------------------------- | ---------------- |
    | 1  | A F1  | online    | 10/02       | resolved 20/02, early              | 6; 7 8           |
    | 2  | A F1  | in person | 12/02       | running, due 10/03 17:00           | 6; 11 13         |
    | 3  | A F1  | online    | 16/02       | resolved 01/03, on time            | 4; 7 9           |
    | 4  | A F1  | post      | 20/02       | resolved 14/03, late               | 5; 7 10          |
    | 5  | A F1  | in person | 02/03       | running, due 30/03                 | 5; 11 12         |
    | 6  | A F1  | online    | 05/03       | withdrawn 08/03                    | 4; 7 9 (closed)  |
    | 7  | A F1  | online    | 10/03       | resolved 16/03 (after), due 20/03  | 4; 11 12         |
    | 8  | A F1  | online    | 14/03 23:00 | running, due 25/03                 | 4; 11 12         |
    | 9  | A F1  | online    | 15/03 08:00 | running (after the period)         | —                |
    | 10 | A F1  | online    | 01/02       | resolved 14/02 23:30 (before)      | —                |
    | 11 | B F2  | online    | 20/02       | resolved 25/02, early              | 4; 7 8           |
    | 12 | B F2  | in person | 01/02       | due 10/02, apology: new date 20/03 | 6; 11 13         |
    | 13 | B F1  | in person | 01/03       | supplement asked 05/03, due 06/03  | 5; 11 12         |
    | 14 | C F1  | online    | 20/02       | running                            | — (not A's)      |
    | 15 | A F1  | in person | 10/02       | stopped 20/02                      | 6; 7 9 (closed)  |

    #12 stays late against its first due time (Mẫu 04 gives a new date, not a new deadline);
    #13's clock stopped at 05/03 before its due time: in time at the end of the period."""
    a = AgencyFactory(code="000.00.01.H98", name="Sở Giáo dục và Đào tạo tỉnh Thử")
    b = AgencyFactory(code="000.00.02.H98", name="Trường Thử", parent=a)
    c = AgencyFactory(code="000.00.03.H98")
    f1 = FieldFactory(code="van-bang", name="Văn bằng, chứng chỉ", order=1)
    f2 = FieldFactory(code="thi-tuyen-sinh", name="Thi, tuyển sinh", order=2)
    a_f1 = ProcedureVersionFactory(published=True, level3=True, procedure__agency=a, field=f1)
    b_f1 = ProcedureVersionFactory(published=True, level3=True, procedure__agency=b, field=f1)
    b_f2 = ProcedureVersionFactory(published=True, level3=True, procedure__agency=b, field=f2)
    c_f1 = ProcedureVersionFactory(published=True, level3=True, procedure__agency=c, field=f1)
    online, desk, post = IntakeChannel.ONLINE, IntakeChannel.IN_PERSON, IntakeChannel.POST
    done = State.RESOLVED
    dossier(a_f1, channel=online, received=at(2, 10), state=done, resolved=at(2, 20),
            timeliness=Timeliness.EARLY)  # fmt: skip
    dossier(a_f1, channel=desk, received=at(2, 12), due=at(3, 10, 17))
    dossier(a_f1, channel=online, received=at(2, 16), state=done, resolved=at(3, 1),
            timeliness=Timeliness.ON_TIME)  # fmt: skip
    dossier(a_f1, channel=post, received=at(2, 20), state=done, resolved=at(3, 14),
            timeliness=Timeliness.LATE)  # fmt: skip
    dossier(a_f1, channel=desk, received=at(3, 2), due=at(3, 30, 17))
    dossier(a_f1, channel=online, received=at(3, 5), state=State.WITHDRAWN, closed=at(3, 8))
    dossier(a_f1, channel=online, received=at(3, 10), due=at(3, 20, 17), state=done,
            resolved=at(3, 16), timeliness=Timeliness.ON_TIME)  # fmt: skip
    dossier(a_f1, channel=online, received=at(3, 14, 23), due=at(3, 25, 17))
    dossier(a_f1, channel=online, received=at(3, 15, 8))
    dossier(a_f1, channel=online, received=at(2, 1), state=done, resolved=at(2, 14, 23, 30),
            timeliness=Timeliness.ON_TIME)  # fmt: skip
    dossier(b_f2, channel=online, received=at(2, 20), state=done, resolved=at(2, 25),
            timeliness=Timeliness.EARLY)  # fmt: skip
    apologised = dossier(b_f2, channel=desk, received=at(2, 1), due=at(3, 20, 17))
    Dossier.objects.filter(pk=apologised.pk).update(original_due_at=at(2, 10, 17))
    paused = dossier(b_f1, channel=desk, received=at(3, 1), due=at(3, 6, 17),
                     state=State.SUPPLEMENT_REQUIRED)  # fmt: skip
    Dossier.objects.filter(pk=paused.pk).update(paused_at=at(3, 5, 10))
    dossier(c_f1, channel=online, received=at(2, 20))
    dossier(a_f1, channel=desk, received=at(2, 10), state=State.STOPPED, closed=at(2, 20))
    aggregates.rebuild(first=D(2026, 1, 1), last=D(2026, 3, 31))
    return {"a": a, "b": b, "c": c}


NOW = at(3, 25, 12)  # well after the period


def test_every_column_of_agency_a_and_its_unit_in_march(data):
    figures = figures_for(data["a"], MARCH, now=NOW)
    assert [line.name for line in figures.lines] == ["Văn bằng, chứng chỉ", "Thi, tuyển sinh"]
    f1, f2 = figures.lines
    # F1 — received in the period: online #3 #6 #7 #8 (4), in person or by post #4 #5 #13 (3);
    # carried over (received before 15/02, not finished then): #1 #2 #15 (3). (3) = 10.
    # Resolved: #1 early, #3 on time, #4 late, and the closed #6 (withdrawn) and #15 (stopped)
    # with "on time": (7) = 5, (8) = 1, (9) = 3, (10) = 1.
    # Running at the end: #2 (due 10/03: overdue), #5, #7 (resolved after), #8, #13 (paused
    # before its due time): (11) = 5, (12) = 4, (13) = 1. And 10 = 5 + 5.
    assert f1.cells() == [10, 4, 3, 3, 5, 1, 3, 1, 5, 4, 1]
    assert f1.closed == 2
    # F2 — #11 received online and resolved early; #12 carried over, running, late against its
    # first due time: (3) = 1 + 0 + 1 = 2 = (7) 1 + (11) 1.
    assert f2.cells() == [2, 1, 0, 1, 1, 1, 0, 0, 1, 0, 1]
    assert figures.total.name == "Tổng cộng"
    assert figures.total.cells() == [12, 5, 3, 4, 6, 2, 3, 1, 6, 4, 2]
    assert figures.problems == []
    # The paper's rows: STT, field, columns 3-13.
    assert figures.rows()[0] == ["1", "Văn bằng, chứng chỉ", "10", "4", "3", "3", "5", "1",
                                 "3", "1", "5", "4", "1"]  # fmt: skip


def test_a_unit_reports_its_own_dossiers_only(data):
    figures = figures_for(data["b"], MARCH, now=NOW)
    f1, f2 = figures.lines
    assert f1.cells() == [1, 0, 1, 0, 0, 0, 0, 0, 1, 1, 0]  # #13
    assert f2.cells() == [2, 1, 0, 1, 1, 1, 0, 0, 1, 0, 1]  # #11 #12
    # The other agency: #14 alone, due ten days after 20/02: overdue at the end.
    [c_f1] = figures_for(data["c"], MARCH, now=NOW).lines
    assert c_f1.cells() == [1, 1, 0, 0, 0, 0, 0, 0, 1, 0, 1]


def test_the_next_month_carries_over_what_was_running(data):
    april = ReportPeriod.of(ReportKind.MONTH, 2026, 4)  # 15/03 - 14/04, taken on 25/03
    figures = figures_for(data["a"], april, now=NOW)
    f1, f2 = figures.lines
    # F1 carried over: #2 #5 #7 #8 #13 (the five running at the end of March). Received: #9.
    # Resolved: #7 on 16/03 (on time). Running now (25/03 12:00): #2 (overdue), #5, #8
    # (due 25/03 17:00), #9 (due 25/03 08:00, ten days after its receipt: overdue), #13: 5, of
    # which 2 overdue.
    assert f1.cells() == [6, 1, 0, 5, 1, 0, 1, 0, 5, 3, 2]
    assert f2.cells() == [1, 0, 0, 1, 0, 0, 0, 0, 1, 0, 1]  # #12, still late
    assert figures.problems == []


def test_a_sum_that_does_not_hold_is_reported():
    line = reports.Line("X", received=3, online=1, desk_or_post=1, carried_over=0)
    assert line.problems() == ["X: (3) = (4) + (5) + (6)", "X: (3) = (7) + (11)"]

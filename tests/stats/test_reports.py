"""The periodic report of procedure results, Biểu số 06/VPCP/KSTT (stats.reports; issue 19,
item 4): its figures over a small hand-made data set, every column worked out by hand in the
comments; the periods and their cut-off; the spreadsheet; the signed PDF; the page and who may
see it; the schedule and the command."""

import datetime as dt
import io
import re

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.utils import timezone

from portal.models import StaffRole
from signing.models import Document
from stats import aggregates, reports
from stats.models import Report, ReportKind
from stats.reports import ReportPeriod, figures_for, period_bounds
from submissions.models import Dossier, IntakeChannel, State, Timeliness
from tests.factories import (
    AgencyFactory,
    CitizenFactory,
    FieldFactory,
    OfficerFactory,
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


# --- the spreadsheet, the page and who may see it -------------------------------------------------

PAGE = "/office/statistics/reports/"
QUERY = {"kind": "month", "number": "3", "year": "2026"}


def officer(client, agency, *roles):
    user = OfficerFactory(agency=agency, roles=list(roles), full_name="Lê Văn Lãnh")
    client.force_login(user)
    client.cookies["dvc_language"] = "en"
    return user


def test_the_page_shows_the_table_of_the_month(client, data):
    officer(client, data["a"], StaffRole.Role.DESK)
    response = client.get(PAGE, QUERY)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Report for month 3/2026 (15/02/2026 – 14/03/2026)" in html
    rows = re.findall(
        r"<tr><td>\d+</td><th scope=\"row\">([^<]+)</th>((?:<td>\d+</td>)+)</tr>", html
    )
    assert [(name, re.findall(r"\d+", cells)) for name, cells in rows] == [
        ("Văn bằng, chứng chỉ", ["10", "4", "3", "3", "5", "1", "3", "1", "5", "4", "1"]),
        ("Thi, tuyển sinh", ["2", "1", "0", "1", "1", "1", "0", "0", "1", "0", "1"]),
    ]
    assert '"Resolved" and "on time" include 2 dossiers withdrawn or stopped' in html
    # A desk officer sees the table and the spreadsheet, not the button that signs.
    assert "format=xlsx" in html
    assert "Signed PDF" not in html
    assert "A leader or an administrator of the agency may have the report made" in html


def test_without_a_period_the_page_shows_the_last_month_that_ended(client, data):
    officer(client, data["a"], StaffRole.Role.DESK)
    response = client.get(PAGE)
    assert response.status_code == 200
    latest = response.context["period"]
    assert latest == ReportPeriod.latest_ended(ReportKind.MONTH, timezone.localdate())
    assert latest.last < timezone.localdate() <= latest.last + dt.timedelta(days=31)


def test_the_spreadsheet_has_the_form_s_header_and_a_line_per_field(client, data):
    from openpyxl import load_workbook

    officer(client, data["a"], StaffRole.Role.DESK)
    response = client.get(PAGE, {**QUERY, "format": "xlsx"})
    assert response.status_code == 200
    assert "bao-cao-tthc-000.00.01.H98-month-2026-03.xlsx" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[0][0] == "Biểu số 06/VPCP/KSTT"
    assert values[2][0] == "BÁO CÁO TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH"
    assert values[4][0] == "(Từ ngày 15/02/2026 đến ngày 14/03/2026)"
    header = values[6:10]
    assert header[0][:3] == ["STT", "Lĩnh vực, công việc giải quyết theo cấp",
                             "Số hồ sơ nhận giải quyết"]  # fmt: skip
    assert header[0][6] == "Số hồ sơ đã giải quyết"
    assert header[0][10] == "Số lượng hồ sơ đang giải quyết"
    assert header[1][5] == "Từ kỳ trước"
    assert header[2][3:5] == ["Trực tuyến", "Trực tiếp, dịch vụ bưu chính"]
    assert header[3] == [f"({n})" for n in range(1, 14)]
    assert values[10] == [1, "Văn bằng, chứng chỉ", 10, 4, 3, 3, 5, 1, 3, 1, 5, 4, 1]
    assert values[12] == [None, "Tổng cộng", 12, 5, 3, 4, 6, 2, 3, 1, 6, 4, 2]
    assert values[13][0].startswith("Cột (7) và cột (9) gồm cả 2 hồ sơ")


def test_a_unit_below_may_be_looked_at_and_another_agency_is_not_found(client, data):
    officer(client, data["a"], StaffRole.Role.LEADER)
    below = client.get(PAGE, {**QUERY, "unit": data["b"].code})
    assert below.status_code == 200
    assert [line.name for line in below.context["figures"].lines] == [
        "Văn bằng, chứng chỉ",
        "Thi, tuyển sinh",
    ]
    # A unit's report is signed by the unit: no button for the leader above it.
    assert below.context["may_issue"] is False
    assert client.get(PAGE, {**QUERY, "unit": data["c"].code}).status_code == 404
    assert client.get(PAGE, {**QUERY, "unit": "nope"}).status_code == 404
    officer(client, data["b"], StaffRole.Role.LEADER)
    assert client.get(PAGE, {**QUERY, "unit": data["a"].code}).status_code == 404


def test_citizens_and_visitors_get_nothing(client, data):
    assert client.get(PAGE, QUERY).status_code == 302  # to the sign-in page
    client.force_login(CitizenFactory())
    assert client.get(PAGE, QUERY).status_code == 404
    assert client.post(PAGE, QUERY).status_code == 404
    assert not Report.objects.exists()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"kind": "week", "number": "1", "year": "2026"}, "Choose a kind of period from the list."),
        ({"kind": "month", "number": "13", "year": "2026"}, "Enter a number up to 12."),
        ({"kind": "quarter", "number": "5", "year": "2026"}, "Choose a quarter from 1 to 4."),
        ({"kind": "month", "number": "", "year": "2026"}, "Choose a month from 1 to 12."),
        ({"kind": "month", "number": "3", "year": "abc"}, "Enter a year such as 2026."),
        ({"kind": "month", "number": "3", "year": "next"}, "has not started yet"),
    ],
    ids=["unknown-kind", "month-13", "quarter-5", "no-month", "bad-year", "future"],
)
def test_a_bad_period_is_explained_and_nothing_is_made(client, data, query, message):
    officer(client, data["a"], StaffRole.Role.LEADER)
    if query["year"] == "next":  # a month of next year
        query = {**query, "year": str(timezone.localdate().year + 1)}
    for response in (client.get(PAGE, query), client.post(PAGE, query)):
        assert response.status_code == 400
        assert message in response.content.decode()
    assert not Report.objects.exists()
    assert not Document.objects.filter(kind="report").exists()


def test_a_period_not_over_yet_is_shown_but_not_signed(client, data):
    leader = officer(client, data["a"], StaffRole.Role.LEADER)
    today = timezone.localdate()
    running = ReportPeriod.latest_ended(ReportKind.MONTH, today)
    following = running.number % 12 + 1
    year = running.year + (1 if following == 1 else 0)
    query = {"kind": "month", "number": following, "year": year}
    current = ReportPeriod.of(ReportKind.MONTH, year, following)
    assert current.first <= today <= current.last  # the month that runs now
    page = client.get(PAGE, query)
    assert page.status_code == 200
    assert "This period is not over" in page.content.decode()
    response = client.post(PAGE, query, follow=True)
    assert "once the period has ended" in response.content.decode()
    assert not Report.objects.exists()
    with pytest.raises(ValidationError):
        reports.report_issue(agency=data["a"], period=current, actor=leader)


def test_a_leader_asks_for_the_signed_report_once(client, data, django_capture_on_commit_callbacks):
    officer(client, data["a"], StaffRole.Role.LEADER)
    page = client.get(PAGE, QUERY)
    assert "Signed PDF" in page.content.decode()
    with django_capture_on_commit_callbacks() as enqueued:
        response = client.post(f"{PAGE}?kind=month&number=3&year=2026", QUERY)
    assert response.status_code == 302
    assert response["Location"] == f"{PAGE}?kind=month&number=3&year=2026"
    assert len(enqueued) == 1  # the worker is asked once the request's transaction commits
    (document,) = Document.objects.filter(kind="report")
    report = Report.objects.get()
    assert (report.agency, report.kind, report.year, report.number) == (data["a"], "month", 2026, 3)
    assert (report.first, report.last) == (D(2026, 2, 15), D(2026, 3, 14))
    assert document.owner == report
    assert document.series == "report"
    assert document.context["rows"][0][2:] == ["10", "4", "3", "3", "5", "1", "3", "1", "5",
                                                "4", "1"]  # fmt: skip
    assert document.context["signature"] == {
        "authority": [],
        "name": "Lê Văn Lãnh",
        "note": "",
    }
    shown = client.get(response["Location"])
    text = shown.content.decode()
    assert "The report is being prepared as a signed PDF." in text
    assert "The PDF is being prepared: reload this page in a moment." in text
    assert "Signed PDF</button>" not in text
    # Asked again (a second tab, a double click): the same document, nothing new.
    with django_capture_on_commit_callbacks() as again:
        client.post(f"{PAGE}?kind=month&number=3&year=2026", QUERY)
    assert again == []
    assert Document.objects.filter(kind="report").count() == 1


def test_only_a_leader_or_an_administrator_of_the_agency_itself_may_sign(client, data):
    officer(client, data["a"], StaffRole.Role.DESK, StaffRole.Role.SPECIALIST)
    refused = client.post(f"{PAGE}?kind=month&number=3&year=2026", QUERY, follow=True)
    assert "Only a leader or an administrator of the agency may sign its report." in (
        refused.content.decode()
    )
    officer(client, data["a"], StaffRole.Role.LEADER)
    below = client.post(f"{PAGE}?unit={data['b'].code}", QUERY, follow=True)
    assert "Only a leader or an administrator" in below.content.decode()
    assert not Report.objects.exists()
    admin = officer(client, data["a"], StaffRole.Role.AGENCY_ADMIN)
    assert reports.may_issue(admin, data["a"])
    with pytest.raises(PermissionDenied):
        reports.report_issue(
            agency=data["a"], period=MARCH, actor=OfficerFactory(agency=data["a"], roles=["desk"])
        )


# --- the schedule and the command -----------------------------------------------------------------


@pytest.fixture
def certified(data, settings, tmp_path):
    """The demo PKI with a signing certificate for A (tests/signing/conftest.py's settings)."""
    from signing import keys
    from tests.signing.conftest import _make_demo_pki, clear_signing_caches

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SIGNING_DEMO_PKI_DIR = tmp_path / "pki"
    settings.SIGNING_DEMO_PKI_URL = ""
    settings.SIGNING_TRUST_ROOTS = [str(tmp_path / "pki" / "demo-root.pem")]
    settings.SIGNING_KEK = keys.new_kek_text()
    settings.SIGNING_KEK_OLD = ""
    settings.SIGNING_TSA_URL = ""
    clear_signing_caches()
    yield _make_demo_pki(data["a"], settings)
    clear_signing_caches()


def test_the_schedule_runs_on_the_day_after_the_cut_off(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["issue-monthly-reports"]
    assert entry["task"] == "stats.tasks.issue_monthly_reports_task"
    assert entry["schedule"].day_of_month == {settings.STATS_REPORT_CUTOFF_DAY + 1} == {15}
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({2}, {30})


def test_the_schedule_makes_each_agency_s_monthly_report_once(data, certified):
    from stats.tasks import issue_monthly_reports_task

    # The day after the cut-off of March (14/03): A holds a certificate, B and C do not.
    with time_machine.travel(at(3, 15, 2, 30), tick=False):
        assert issue_monthly_reports_task.apply().get() == 1
        assert issue_monthly_reports_task.apply().get() == 0  # a rerun makes nothing
    (report,) = Report.objects.all()
    assert (report.agency, report.kind, report.number, report.year) == (data["a"], "month", 3, 2026)
    (document,) = Document.objects.filter(kind="report")
    # Made by the schedule: signed in the head's name.
    assert document.created_by is None
    assert document.context["signature"]["authority"] == [data["a"].head_title_or_default.upper()]


def test_the_signed_pdf_is_the_form_on_a4_landscape(
    data, certified, django_capture_on_commit_callbacks
):
    from tests.signing.test_papers import outside_content_box, save_pngs, words

    leader = OfficerFactory(agency=data["a"], roles=["leader"], full_name="Phạm Thị Dung",
                            position="Phó Giám đốc", signing_authority="kt")  # fmt: skip
    from office.slips import signature_of

    with django_capture_on_commit_callbacks(execute=True):
        document = reports.report_issue(
            agency=data["a"], period=MARCH, actor=leader, signature=signature_of(leader, data["a"])
        )
    document.refresh_from_db()
    assert document.status == Document.Status.SIGNED, document.error
    assert document.number == "01/BC-0000001H98"  # the first report of the year
    pdf = document.pdf.read()
    save_pngs("report-06", pdf)
    pages = words(pdf)
    assert outside_content_box(pages) == []
    text = " ".join(w["text"] for _, _, _, page in pages for w in page)
    for number, width, height, page_words in pages:
        assert (round(width), round(height)) == (842, 595)  # A4 landscape
        assert "(13)" in [w["text"] for w in page_words], f"page {number}: no header row"
    for expected in (
        "Biểu số 06/VPCP/KSTT",
        "BÁO CÁO TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH",
        "Kỳ báo cáo: tháng 3 năm 2026",
        "(Từ ngày 15/02/2026 đến ngày 14/03/2026)",
        f"Số: {document.number}",
        "Văn bằng, chứng chỉ 10 4 3 3 5 1 3 1 5 4 1",
        "Tổng cộng 12 5 3 4 6 2 3 1 6 4 2",
        "gồm cả 2 hồ sơ",
        "tính đến hết ngày 14/03/2026",
        "Nơi nhận:",
        "KT. GIÁM ĐỐC",
        "Phạm Thị Dung",
    ):
        assert expected in text, expected


def test_the_command_makes_one_on_demand(data, english):
    out = io.StringIO()
    call_command("stats_report", data["a"].code, "--month", "2026-03", stdout=out)
    assert "tháng 3 năm 2026 (15/02/2026-14/03/2026): asked for" in out.getvalue()
    call_command("stats_report", data["a"].code, "--month", "2026-03", stdout=out)
    assert "already made" in out.getvalue()
    assert Document.objects.filter(kind="report").count() == 1
    call_command("stats_report", data["a"].code, "--quarter", "2025-4", stdout=out)
    assert Report.objects.filter(kind="quarter", year=2025, number=4).exists()
    for arguments, message in (
        (["--month", "2026-13"], "Choose a month from 1 to 12."),
        (["--month", "march"], "--month: expected YYYY-MM"),
        (["--year", "2999"], "once the period has ended"),
    ):
        with pytest.raises(CommandError, match=re.escape(message)):
            call_command("stats_report", data["a"].code, *arguments, stdout=out)
    with pytest.raises(CommandError, match="No agency"):
        call_command("stats_report", "nope", "--year", "2025", stdout=out)
    assert Report.objects.count() == 2


def test_a_long_report_repeats_its_header_on_every_page(data):
    """Forty fields with long names: the table runs over pages, each with the three header rows
    and the column numbers, every word inside the margins; the total and the signature last."""
    from signing import services as signing_services
    from tests.signing.test_papers import outside_content_box, save_pngs, words

    figures = figures_for(data["a"], MARCH, now=NOW)
    figures.lines = [
        reports.Line(f"Lĩnh vực giáo dục và đào tạo thuộc thẩm quyền giải quyết số {n}", *[n] * 11)
        for n in range(1, 41)
    ]
    document = Document(
        kind="report",
        agency=data["a"],
        verification_code="ABCDEFGHJKMNPQRS",
        template="documents/report.html",
        title="Báo cáo",
        context=reports.pdf_context(figures, signature=reports.head_signature(data["a"])),
    )
    pdf = signing_services.render_document(
        document, signer=data["a"].name, signed_at=timezone.localtime()
    )
    save_pngs("report-06-long", pdf)
    pages = words(pdf)
    assert len(pages) >= 2
    assert outside_content_box(pages) == []
    for number, width, height, page_words in pages:
        assert (round(width), round(height)) == (842, 595)
        texts = [w["text"] for w in page_words]
        assert "(13)" in texts and "Trực" in texts, f"page {number}: no header rows"
    last = " ".join(w["text"] for w in pages[-1][3])
    assert "Tổng cộng" in last and "Nơi nhận:" in last

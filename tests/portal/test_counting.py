"""How "N working days" is counted (issue 15, item 1), per agency.

The default is whole working days: the day of receipt is not counted and the period ends at the
close of office on the N-th working day after it. That is the Civil Code 2015's rule for periods
in days (Art. 147(1): "ngày đầu tiên của thời hạn không được tính mà tính từ ngày tiếp theo liền
kề ngày đã được xác định"; Art. 148: the period ends at the end of its last day, the next working
day's when that is a day off), which applies to the time limits of other laws that say nothing
else (Art. 144). An agency may count in working hours instead (N x 8 office hours from receipt)
and keep its own office hours (a province's summer hours). How the National Public Service Portal
counts was not found: see the README."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError

from office import services as workflow
from portal.models import Agency
from portal.workdays import UNIT_WORKING_DAYS, WorkCalendar
from tests.factories import AgencyFactory, DossierFactory, OfficerFactory, ProcedureVersionFactory

pytestmark = pytest.mark.django_db
VN = ZoneInfo("Asia/Ho_Chi_Minh")


def at(year, month, day, hour=0, minute=0):
    return dt.datetime(year, month, day, hour, minute, tzinfo=VN)


@pytest.mark.parametrize(
    ("received", "days", "due"),
    [
        (at(2026, 3, 6, 16), 1, at(2026, 3, 9, 17)),  # Fri 16:00: Monday is day 1
        (at(2026, 3, 9, 9), 5, at(2026, 3, 16, 17)),  # Mon: Tue..Mon
        (at(2026, 3, 9, 18), 1, at(2026, 3, 10, 17)),  # after hours: still the next day
        (at(2026, 2, 13, 10), 1, at(2026, 2, 23, 17)),  # the Friday before Tết
        (at(2026, 1, 9, 10), 1, at(2026, 1, 10, 17)),  # Sat 10/1/2026 is worked (swap)
        (at(2026, 1, 1, 10), 1, at(2026, 1, 5, 17)),  # a day off, then the 2/1 swap
    ],
    ids=["friday-16h", "five-days", "after-hours", "tet-2026", "swap-saturday", "new-year"],
)
def test_whole_working_days_from_the_day_after_receipt(received, days, due):
    assert WorkCalendar().due_at(received, days, UNIT_WORKING_DAYS) == due


def test_an_agency_may_count_in_working_hours():
    agency = AgencyFactory(deadline_counting=Agency.Counting.WORKING_HOURS)
    # Fri 16-17 (1 h), Mon 07:30-11:30 (4 h), 13:00 + 3 h.
    assert WorkCalendar(agency).due_at(at(2026, 3, 6, 16), 1, UNIT_WORKING_DAYS) == at(
        2026, 3, 9, 16
    )


def test_half_a_day_is_counted_in_hours_whatever_the_mode():
    # 4 h: 09:00-11:30 (2.5 h), then 13:00 + 1.5 h.
    due = WorkCalendar().due_at(at(2026, 3, 9, 9), 0.5, UNIT_WORKING_DAYS)
    assert due == at(2026, 3, 9, 14, 30)


def test_an_agency_s_own_office_hours():
    """Summer hours of a province: 07:00-11:00, 13:30-17:30."""
    agency = AgencyFactory(office_hours="07:00-11:00,13:30-17:30")
    calendar = WorkCalendar(agency)
    assert calendar.due_at(at(2026, 6, 5, 16), 1, UNIT_WORKING_DAYS) == at(2026, 6, 8, 17, 30)
    assert calendar.clock_start(at(2026, 6, 8, 6, 50)) == at(2026, 6, 8, 7)
    assert WorkCalendar().clock_start(at(2026, 6, 8, 6, 50)) == at(2026, 6, 8, 7, 30)


@pytest.mark.parametrize(
    "hours", ["7:30-11:30;13:00-17:00", "11:30-07:30", "07:30-12:00,11:00-17:00", "sáng"]
)
def test_office_hours_that_do_not_read_are_refused(hours):
    agency = Agency(code="000.00.12.H26", name="Sở", level="province_committee", office_hours=hours)
    with pytest.raises(ValidationError) as refused:
        agency.full_clean()
    assert refused.value.message_dict["office_hours"] == [
        "Hãy ghi giờ làm việc thành các khoảng như 07:30-11:30,13:00-17:00, theo thứ tự, không "
        "chồng lên nhau."
    ]


def test_acceptance_sets_the_due_time_by_the_agency_s_counting(agency):
    version = ProcedureVersionFactory(
        published=True,
        level3=True,
        procedure__agency=agency,
        channels=[{}, {"online": True, "fee_vnd": 0, "time_amount": Decimal("5")}],
    )
    desk = OfficerFactory(agency=agency, roles=["desk"])
    with time_machine.travel(at(2026, 3, 9, 9), tick=False):
        dossier = DossierFactory(version=version, submitted=True)
        workflow.dossier_accept(dossier=dossier, actor=desk)
    dossier.refresh_from_db()
    assert dossier.due_at == at(2026, 3, 16, 17)  # the default: whole working days
    agency.deadline_counting = Agency.Counting.WORKING_HOURS
    agency.save()
    with time_machine.travel(at(2026, 3, 9, 9), tick=False):
        other = DossierFactory(version=version, submitted=True)
        workflow.dossier_accept(dossier=other, actor=desk)
    other.refresh_from_db()
    assert other.due_at == at(2026, 3, 16, 9)


def test_after_a_pause_a_whole_days_period_still_ends_at_the_close_of_office(agency):
    """Found in review: resuming a paused dossier counted the time left in hours, so under the
    whole-days default the new due time fell at 16:00 instead of the close of office."""
    version = ProcedureVersionFactory(
        published=True,
        level3=True,
        procedure__agency=agency,
        channels=[{}, {"online": True, "fee_vnd": 0, "time_amount": Decimal("5")}],
    )
    desk = OfficerFactory(agency=agency, roles=["desk"])
    specialist = OfficerFactory(agency=agency, roles=["specialist"])
    with time_machine.travel(at(2026, 3, 9, 9), tick=False):
        dossier = DossierFactory(version=version, submitted=True)
        workflow.dossier_accept(dossier=dossier, actor=desk)
        workflow.dossier_assign(dossier=dossier, actor=desk, specialist=specialist)
    with time_machine.travel(at(2026, 3, 10, 10), tick=False):
        workflow.dossier_request_supplement(
            dossier=dossier, actor=specialist, reason="Thiếu.", items=["Học bạ"]
        )
    from submissions import services as filing

    with time_machine.travel(at(2026, 3, 12, 9), tick=False):
        filing.dossier_resubmit(dossier=dossier, actor=dossier.applicant)
    dossier.refresh_from_db()
    assert dossier.due_at == at(2026, 3, 18, 17)

"""The working-day calendar (DOMAIN.md §5): statutory holidays from the `holidays` package,
administrators' CalendarDay corrections, office hours 07:30-11:30 and 13:00-17:00 (8 h a day),
the 15:00 same-day cut-off, all in Asia/Ho_Chi_Minh.

Every expected instant below was worked out by hand from the calendar; the comments show the sums.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from portal import workdays
from portal.models import CalendarDay
from portal.workdays import (
    EARLY,
    LATE,
    ON_TIME,
    UNIT_SAME_DAY,
    UNIT_WORKING_DAYS,
    UNIT_WORKING_HOURS,
    WorkCalendar,
    classify,
)

VN = ZoneInfo("Asia/Ho_Chi_Minh")
UTC = dt.UTC


@pytest.fixture(autouse=True)
def _counted_in_working_hours(settings):
    """The due times below were worked out counting N working days as N x 8 office hours (the
    `working_hours` mode an agency may choose); the whole-days default has its own tests
    (tests/portal/test_counting.py)."""
    settings.DEADLINE_COUNTING = "working_hours"


def at(year, month, day, hour=0, minute=0, second=0):
    """An aware instant on the wall clock in Hà Nội."""
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=VN)


def hours(value):
    return dt.timedelta(hours=value)


@pytest.fixture
def cal(db):
    return WorkCalendar()


# --- Tết ----------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("day", "working"),
    [
        (dt.date(2026, 2, 13), True),  # Fri before Tết
        (dt.date(2026, 2, 14), False),  # Sat
        (dt.date(2026, 2, 15), False),  # Sun
        (dt.date(2026, 2, 16), False),  # Mon, New Year's Eve
        (dt.date(2026, 2, 17), False),  # Tue, first day of Tết
        (dt.date(2026, 2, 18), False),
        (dt.date(2026, 2, 19), False),
        (dt.date(2026, 2, 20), False),  # Fri, fourth day
        (dt.date(2026, 2, 21), False),  # Sat
        (dt.date(2026, 2, 22), False),  # Sun
        (dt.date(2026, 2, 23), True),  # Mon, back at work
    ],
)
def test_tet_2026_working_days(day, working):
    assert workdays.is_working_day(day) is working


def test_tet_2026_one_working_day_from_friday_before(cal):
    # Fri 13/2 10:00-11:30 (1.5 h) + 13:00-17:00 (4 h) = 5.5 h; 2.5 h left → Mon 23/2 07:30 + 2.5 h.
    assert cal.add_working_days(at(2026, 2, 13, 10), 1) == at(2026, 2, 23, 10)
    assert cal.due_at(at(2026, 2, 13, 10), 1, UNIT_WORKING_DAYS) == at(2026, 2, 23, 10)


def test_tet_2026_three_working_days_from_thursday_afternoon(cal):
    # 24 h: Thu 12/2 16-17 (1 h), Fri 13/2 (8 h), Mon 23/2 (8 h), Tue 24/2 07:30-11:30 (4 h),
    # then 3 h from 13:00 → Tue 24/2 16:00.
    assert cal.add_working_days(at(2026, 2, 12, 16), 3) == at(2026, 2, 24, 16)


def test_tet_2026_submission_during_tet_counts_from_first_day_back(cal):
    assert cal.clock_start(at(2026, 2, 17, 9)) == at(2026, 2, 23, 7, 30)
    assert cal.next_working_day(dt.date(2026, 2, 13)) == dt.date(2026, 2, 23)
    # One working day from the reopening is that day's closing time.
    assert cal.add_working_days(at(2026, 2, 18, 10), 1) == at(2026, 2, 23, 17)
    assert cal.due_at(at(2026, 2, 18, 10), 1, UNIT_SAME_DAY) == at(2026, 2, 23, 17)


def test_tet_2026_working_time_across_the_holiday(cal):
    assert cal.working_time_between(at(2026, 2, 13, 10), at(2026, 2, 23, 10)) == hours(8)
    # Fri 13/2 16-17 (1 h) + Mon 23/2 07:30-08:30 (1 h).
    assert cal.working_time_between(at(2026, 2, 13, 16), at(2026, 2, 23, 8, 30)) == hours(2)
    # Midnight to midnight over the whole break: only Fri 13/2 and Mon 23/2 count.
    assert cal.working_time_between(at(2026, 2, 13), at(2026, 2, 24)) == hours(16)
    # Entirely inside the break: nothing runs.
    assert cal.working_time_between(at(2026, 2, 16, 8), at(2026, 2, 20, 16)) == hours(0)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("day", "working"),
    [
        (dt.date(2027, 2, 3), True),  # Wed
        (dt.date(2027, 2, 4), False),  # Thu, 29 Tết
        (dt.date(2027, 2, 5), False),  # Fri, New Year's Eve
        (dt.date(2027, 2, 6), False),  # Sat, first day of Tết
        (dt.date(2027, 2, 7), False),  # Sun
        (dt.date(2027, 2, 8), False),  # Mon (in lieu)
        (dt.date(2027, 2, 9), False),  # Tue (in lieu)
        (dt.date(2027, 2, 10), False),  # Wed (in lieu)
        (dt.date(2027, 2, 11), True),  # Thu, back at work
        (dt.date(2027, 2, 12), True),  # Fri
    ],
)
def test_tet_2027_working_days(day, working):
    assert workdays.is_working_day(day) is working


def test_tet_2027_deadline_across_the_break(cal):
    assert cal.next_working_day(dt.date(2027, 2, 3)) == dt.date(2027, 2, 11)
    # 16 h: Wed 3/2 14-17 (3 h), Thu 11/2 (8 h), Fri 12/2 07:30-11:30 (4 h), 13:00 + 1 h.
    assert cal.add_working_days(at(2027, 2, 3, 14), 2) == at(2027, 2, 12, 14)
    assert cal.working_time_between(at(2027, 2, 3, 14), at(2027, 2, 12, 14)) == hours(16)


# --- 30/4-1/5, 2/9 -------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("day", "working"),
    [
        (dt.date(2026, 4, 29), True),  # Wed
        (dt.date(2026, 4, 30), False),  # Thu, Reunification Day
        (dt.date(2026, 5, 1), False),  # Fri, Labour Day
        (dt.date(2026, 5, 4), True),  # Mon
        (dt.date(2025, 8, 29), True),  # Fri
        (dt.date(2025, 9, 1), False),  # Mon, adjacent day
        (dt.date(2025, 9, 2), False),  # Tue, National Day
        (dt.date(2025, 9, 3), True),  # Wed
        (dt.date(2026, 9, 1), False),  # Tue, adjacent day
        (dt.date(2026, 9, 2), False),  # Wed, National Day
        (dt.date(2026, 9, 3), True),  # Thu
    ],
)
def test_reunification_labour_and_national_days(day, working):
    assert workdays.is_working_day(day) is working


def test_deadline_across_30_4_and_1_5_2026(cal):
    # Wed 29/4 10-17 gives 5.5 h; Thu-Sun off; Mon 4/5 07:30 + 2.5 h.
    assert cal.add_working_days(at(2026, 4, 29, 10), 1) == at(2026, 5, 4, 10)


def test_deadline_across_hung_kings_day_in_lieu_2026(cal):
    # Hùng Kings' Day 2026 is Sun 26/4, so Mon 27/4 is off in lieu: Fri 24/4 → Tue 28/4.
    assert cal.add_working_days(at(2026, 4, 24, 10), 1) == at(2026, 4, 28, 10)


def test_deadline_across_national_day_2025(cal):
    # Fri 29/8 10-17 gives 5.5 h; Sat-Tue off; Wed 3/9 07:30 + 2.5 h.
    assert cal.add_working_days(at(2025, 8, 29, 10), 1) == at(2025, 9, 3, 10)


def test_deadline_across_national_day_2026(cal):
    # holidays 0.109 also knows the 2026 swap: Sat 22/8 worked, Mon 31/8 off. So after Fri 28/8 the
    # next working day is Thu 3/9.
    assert workdays.is_working_day(dt.date(2026, 8, 31)) is False
    assert cal.add_working_days(at(2026, 8, 28, 10), 1) == at(2026, 9, 3, 10)
    assert cal.clock_start(at(2026, 9, 1, 9)) == at(2026, 9, 3, 7, 30)


# --- swapped days -------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("day", "working"),
    [
        (dt.date(2025, 4, 26), True),  # Sat, worked in exchange
        (dt.date(2025, 4, 27), False),  # Sun
        (dt.date(2025, 4, 30), False),  # Wed
        (dt.date(2025, 5, 1), False),  # Thu
        (dt.date(2025, 5, 2), False),  # Fri, off in exchange
        (dt.date(2025, 5, 5), True),  # Mon
        (dt.date(2026, 8, 22), True),  # Sat, worked in exchange for Mon 31/8/2026
    ],
)
def test_swapped_days(day, working):
    assert workdays.is_working_day(day) is working


def test_swap_2025_saturday_is_worked(cal):
    assert cal.next_working_day(dt.date(2025, 4, 25)) == dt.date(2025, 4, 26)
    assert cal.add_working_days(at(2025, 4, 25, 10), 1) == at(2025, 4, 26, 10)
    assert cal.clock_start(at(2025, 4, 26, 6)) == at(2025, 4, 26, 7, 30)
    assert cal.due_at(at(2025, 4, 26, 9), 1, UNIT_SAME_DAY) == at(2025, 4, 26, 17)


def test_swap_2025_friday_is_off(cal):
    # Tue 29/4 10-17 gives 5.5 h; Wed 30/4 - Sun 4/5 off; Mon 5/5 07:30 + 2.5 h.
    assert cal.add_working_days(at(2025, 4, 29, 10), 1) == at(2025, 5, 5, 10)
    assert cal.next_working_day(dt.date(2025, 4, 29)) == dt.date(2025, 5, 5)
    assert cal.clock_start(at(2025, 5, 2, 9)) == at(2025, 5, 5, 7, 30)


def test_swap_2026_saturday_is_worked(cal):
    assert cal.add_working_days(at(2026, 8, 21, 10), 1) == at(2026, 8, 22, 10)


# --- CalendarDay overrides ----------------------------------------------------------------------


@pytest.mark.django_db
def test_extra_day_off_pushes_the_deadline():
    start = at(2026, 10, 13, 10)  # Tue
    assert workdays.add_working_days(start, 1) == at(2026, 10, 14, 10)
    CalendarDay.objects.create(date=dt.date(2026, 10, 14), kind="off", name="Typhoon")
    assert workdays.is_working_day(dt.date(2026, 10, 14)) is False
    assert workdays.add_working_days(start, 1) == at(2026, 10, 15, 10)
    # Tue 10-17 (5.5 h) + Thu 07:30-10:00 (2.5 h): Wed no longer counts.
    assert workdays.working_time_between(start, at(2026, 10, 15, 10)) == hours(8)


@pytest.mark.django_db
def test_make_up_saturday_pulls_the_deadline_in():
    start = at(2026, 10, 16, 10)  # Fri
    assert workdays.add_working_days(start, 1) == at(2026, 10, 19, 10)
    CalendarDay.objects.create(date=dt.date(2026, 10, 17), kind="work", name="Make-up Saturday")
    assert workdays.is_working_day(dt.date(2026, 10, 17)) is True
    assert workdays.add_working_days(start, 1) == at(2026, 10, 17, 10)
    assert workdays.clock_start(at(2026, 10, 17, 6)) == at(2026, 10, 17, 7, 30)
    assert workdays.next_working_day(dt.date(2026, 10, 16)) == dt.date(2026, 10, 17)


@pytest.mark.django_db
def test_a_superusers_correction_wins_over_the_reviewed_file():
    CalendarDay.objects.filter(date=dt.date(2026, 4, 30), province=None).update(
        kind="work", name="Worked after all"
    )
    CalendarDay.objects.filter(date=dt.date(2025, 4, 26), province=None).update(
        kind="off", name="Swap cancelled"
    )
    assert workdays.is_working_day(dt.date(2026, 4, 30)) is True
    assert workdays.is_working_day(dt.date(2025, 4, 26)) is False
    # Wed 29/4/2026 10-17 (5.5 h), Thu 30/4 07:30 + 2.5 h.
    assert workdays.add_working_days(at(2026, 4, 29, 10), 1) == at(2026, 4, 30, 10)
    # Fri 25/4/2025 10-17 (5.5 h); Sat 26/4 no longer worked; Mon 28/4 07:30 + 2.5 h.
    assert workdays.add_working_days(at(2025, 4, 25, 10), 1) == at(2025, 4, 28, 10)


@pytest.mark.django_db
def test_a_calendar_reads_each_year_once(django_assert_num_queries):
    CalendarDay.objects.create(date=dt.date(2026, 10, 14), kind="off", name="Extra day off")
    cal = WorkCalendar()
    with django_assert_num_queries(2):  # the year's days, and which years are reviewed
        assert cal.add_working_days(at(2026, 10, 13, 10), 1) == at(2026, 10, 15, 10)
        assert cal.add_working_days(at(2026, 10, 13, 10), 2) == at(2026, 10, 16, 10)
    with django_assert_num_queries(0):
        assert cal.is_working_day(dt.date(2026, 10, 14)) is False
    # A row saved after the calendar read the year is not seen by it, only by a new calendar.
    CalendarDay.objects.create(date=dt.date(2026, 10, 15), kind="off", name="Another")
    assert cal.is_working_day(dt.date(2026, 10, 15)) is True
    assert WorkCalendar().is_working_day(dt.date(2026, 10, 15)) is False


@pytest.mark.django_db
def test_deadline_across_the_new_year_reads_both_years(django_assert_num_queries):
    cal = WorkCalendar()
    # Thu 31/12/2026 10-17 (5.5 h); Fri 1/1/2027 New Year's Day; Mon 4/1/2027 07:30 + 2.5 h.
    with django_assert_num_queries(3):  # each year's days, and which years are reviewed
        assert cal.add_working_days(at(2026, 12, 31, 10), 1) == at(2027, 1, 4, 10)


# --- Friday afternoon, the same-day cut-off ------------------------------------------------------


def test_friday_16_00_one_working_day_is_monday_16_00(cal):
    # Fri 16-17 (1 h), Mon 07:30-11:30 (4 h), 13:00 + 3 h.
    assert cal.due_at(at(2026, 3, 6, 16), 1, UNIT_WORKING_DAYS) == at(2026, 3, 9, 16)


def test_friday_16_00_five_working_days_is_next_friday_16_00(cal):
    assert cal.due_at(at(2026, 3, 6, 16), 5, UNIT_WORKING_DAYS) == at(2026, 3, 13, 16)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("submitted", "due"),
    [
        (at(2026, 3, 6, 16), at(2026, 3, 9, 17)),  # Fri after the cut-off → Mon closing
        (at(2026, 3, 6, 15, 0, 1), at(2026, 3, 9, 17)),  # one second late is late
        (at(2026, 3, 6, 15), at(2026, 3, 6, 17)),  # at the cut-off → same day
        (at(2026, 3, 6, 14), at(2026, 3, 6, 17)),  # before the cut-off → Fri closing
        (at(2026, 3, 6, 12), at(2026, 3, 6, 17)),  # lunch: clock starts 13:00, before 15:00
        (at(2026, 3, 6, 17, 30), at(2026, 3, 9, 17)),  # after hours: clock starts Mon 07:30
        (at(2026, 3, 7, 10), at(2026, 3, 9, 17)),  # Saturday → Mon
        (at(2026, 3, 9, 6), at(2026, 3, 9, 17)),  # Mon before opening → Mon
        (at(2026, 3, 9, 10), at(2026, 3, 9, 17)),  # Mon morning
        (at(2026, 3, 9, 16), at(2026, 3, 10, 17)),  # Mon after the cut-off → Tue
    ],
)
def test_same_day_unit(submitted, due):
    assert workdays.due_at(submitted, 1, UNIT_SAME_DAY) == due


def test_same_day_after_cut_off_before_tet_rolls_past_the_break(cal):
    assert cal.due_at(at(2026, 2, 13, 15, 30), 1, UNIT_SAME_DAY) == at(2026, 2, 23, 17)


# --- when the clock starts -----------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("instant", "start"),
    [
        (at(2026, 3, 6, 17, 30), at(2026, 3, 9, 7, 30)),  # Fri after hours → Mon opening
        (at(2026, 3, 6, 17), at(2026, 3, 9, 7, 30)),  # Fri at closing → Mon opening
        (at(2026, 3, 7, 10), at(2026, 3, 9, 7, 30)),  # Sat
        (at(2026, 3, 8, 23, 59), at(2026, 3, 9, 7, 30)),  # Sun night
        (at(2026, 3, 9, 12), at(2026, 3, 9, 13)),  # lunch break
        (at(2026, 3, 9, 11, 30), at(2026, 3, 9, 13)),  # at the start of lunch
        (at(2026, 3, 9, 6), at(2026, 3, 9, 7, 30)),  # before opening
        (at(2026, 3, 9, 0), at(2026, 3, 9, 7, 30)),  # midnight
        (at(2026, 3, 9, 7, 30), at(2026, 3, 9, 7, 30)),  # at opening
        (at(2026, 3, 9, 10, 15, 42), at(2026, 3, 9, 10, 15, 42)),  # in office hours: at once
        (at(2026, 3, 9, 16, 59), at(2026, 3, 9, 16, 59)),
        (at(2026, 3, 9, 20), at(2026, 3, 10, 7, 30)),  # Mon evening → Tue opening
    ],
)
def test_clock_start(instant, start):
    assert workdays.clock_start(instant) == start


@pytest.mark.django_db
def test_clock_start_of_an_instant_in_another_zone():
    # 03:00 UTC is 10:00 in Hà Nội; 10:30 UTC on Friday is 17:30 there, after hours.
    assert workdays.clock_start(dt.datetime(2026, 3, 9, 3, tzinfo=UTC)) == at(2026, 3, 9, 10)
    assert workdays.clock_start(dt.datetime(2026, 3, 6, 10, 30, tzinfo=UTC)) == at(
        2026, 3, 9, 7, 30
    )
    # 23:00 UTC on Sunday is already Monday 06:00 in Hà Nội.
    assert workdays.clock_start(dt.datetime(2026, 3, 8, 23, tzinfo=UTC)) == at(2026, 3, 9, 7, 30)


def test_results_are_in_the_portal_time_zone(cal):
    due = cal.add_working_days(dt.datetime(2026, 3, 9, 3, tzinfo=UTC), 1)
    assert due == at(2026, 3, 10, 10)
    assert due.utcoffset() == hours(7)


# --- hour-based limits ---------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("start", "amount", "due"),
    [
        # 40 h (upper-secondary transfer): five full days of 8 h → next Monday, same time.
        (at(2026, 3, 9, 10), 40, at(2026, 3, 16, 10)),
        # 10:00-11:30 (1.5 h), lunch, 13:00 + 2.5 h.
        (at(2026, 3, 9, 10), 4, at(2026, 3, 9, 15, 30)),
        (at(2026, 3, 9, 10), 1.5, at(2026, 3, 9, 11, 30)),  # ends at lunch, not at 13:00
        (at(2026, 3, 9, 10), 2.5, at(2026, 3, 9, 14)),
        (at(2026, 3, 9, 11), 1.25, at(2026, 3, 9, 13, 45)),
        (at(2026, 3, 9, 7, 30), 8, at(2026, 3, 9, 17)),  # ends at closing, not next opening
        (at(2026, 3, 9, 16, 30), 0.75, at(2026, 3, 10, 7, 45)),
        (at(2026, 3, 9, 12), 4, at(2026, 3, 9, 17)),  # lunch: counts from 13:00
        (at(2026, 3, 6, 18), 0.5, at(2026, 3, 9, 8)),  # Fri evening: counts from Mon 07:30
        (at(2026, 3, 9, 10), 0, at(2026, 3, 9, 10)),
        (at(2026, 3, 7, 10), 0, at(2026, 3, 9, 7, 30)),  # zero from a Saturday: Mon opening
    ],
)
def test_working_hours(start, amount, due):
    assert workdays.add_working_hours(start, amount) == due
    assert workdays.due_at(start, amount, UNIT_WORKING_HOURS) == due


def test_fractional_working_days(cal):
    # 1.5 days = 12 h: Mon 9/3 (8 h) + Tue 07:30-11:30 (4 h) ends at lunch.
    assert cal.add_working_days(at(2026, 3, 9, 7, 30), 1.5) == at(2026, 3, 10, 11, 30)
    # 0.5 day = 4 h from Fri 16:00: 1 h Fri, 3 h Mon → 10:30.
    assert cal.add_working_days(at(2026, 3, 6, 16), 0.5) == at(2026, 3, 9, 10, 30)


def test_add_working_time_with_a_timedelta(cal):
    amount = dt.timedelta(hours=3, minutes=20, seconds=7)
    # 10:00-11:30 (1:30:00), then 13:00 + 1:50:07.
    assert cal.add_working_time(at(2026, 3, 9, 10), amount) == at(2026, 3, 9, 14, 50, 7)


# --- working time between two instants -----------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (at(2026, 3, 9, 11), at(2026, 3, 9, 13, 30), hours(1)),  # across lunch
        (at(2026, 3, 9, 11, 45), at(2026, 3, 9, 12, 45), hours(0)),  # inside lunch
        (at(2026, 3, 9, 7, 30), at(2026, 3, 9, 17), hours(8)),  # a whole day
        (at(2026, 3, 9, 0), at(2026, 3, 10, 0), hours(8)),  # midnight to midnight
        (at(2026, 3, 9, 6), at(2026, 3, 9, 8), hours(0.5)),  # before opening counts nothing
        (at(2026, 3, 6, 16), at(2026, 3, 9, 8, 30), hours(2)),  # across a weekend
        (at(2026, 3, 7, 9), at(2026, 3, 8, 17), hours(0)),  # only a weekend
        (at(2026, 3, 9, 10), at(2026, 3, 16, 10), hours(40)),  # a week
        (at(2026, 3, 9, 10), at(2026, 3, 9, 10), hours(0)),  # end == start
        (at(2026, 3, 9, 15), at(2026, 3, 9, 10), hours(0)),  # end before start
        (at(2026, 3, 13, 10), at(2026, 3, 6, 10), hours(0)),
    ],
)
def test_working_time_between(start, end, expected):
    assert workdays.working_time_between(start, end) == expected


def test_working_time_between_instants_in_another_zone(cal):
    # 04:00 UTC = 11:00, 06:30 UTC = 13:30 in Hà Nội: half an hour either side of lunch.
    start = dt.datetime(2026, 3, 9, 4, tzinfo=UTC)
    end = dt.datetime(2026, 3, 9, 6, 30, tzinfo=UTC)
    assert cal.working_time_between(start, end) == hours(1)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "start",
    [
        at(2026, 3, 9, 10),  # Monday morning
        at(2026, 3, 9, 12, 15),  # lunch
        at(2026, 3, 6, 16, 40),  # Friday afternoon
        at(2026, 3, 7, 9),  # Saturday
        at(2026, 2, 13, 11, 5),  # before Tết
        at(2025, 4, 25, 16, 59, 59),  # before the 2025 swap
        at(2026, 12, 31, 14, 20),  # New Year's Eve
    ],
)
@pytest.mark.parametrize("amount", [0.25, 1, 3.5, 8, 13.75, 40, 123.4])
def test_round_trip(start, amount):
    cal = WorkCalendar()
    due = cal.add_working_hours(start, amount)
    assert due >= start
    assert cal.working_time_between(start, due) == dt.timedelta(hours=amount)


# --- classify ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("finished", "expected"),
    [
        (at(2026, 3, 6, 17), EARLY),  # the working day before
        (at(2026, 3, 8, 23, 59, 59), EARLY),  # a day before, even if not a working one
        (at(2026, 3, 9, 0), ON_TIME),  # the due day, first instant
        (at(2026, 3, 9, 8), ON_TIME),  # the due day, before the due time
        (at(2026, 3, 9, 16), ON_TIME),  # exactly at the due time
        (at(2026, 3, 9, 16, 0, 1), LATE),  # one second after
        (at(2026, 3, 10, 9), LATE),  # the next day
    ],
)
def test_classify(finished, expected):
    assert classify(finished, at(2026, 3, 9, 16)) == expected


def test_classify_compares_days_in_the_portal_time_zone():
    due = at(2026, 3, 9, 8)  # Mon 01:00 UTC
    # Mon 06:30 in Hà Nội is still Sunday in UTC, but it is the due day here: on time, not early.
    assert classify(dt.datetime(2026, 3, 8, 23, 30, tzinfo=UTC), due) == ON_TIME
    # Sun 23:30 in Hà Nội is Sun 16:30 UTC: a day before.
    assert classify(dt.datetime(2026, 3, 8, 16, 30, tzinfo=UTC), due) == EARLY


# --- bad input -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_negative_amounts_are_refused(cal):
    start = at(2026, 3, 9, 10)
    with pytest.raises(ValueError, match="must not be negative"):
        cal.add_working_days(start, -1)
    with pytest.raises(ValueError, match="must not be negative"):
        cal.add_working_hours(start, -0.5)
    with pytest.raises(ValueError, match="must not be negative"):
        cal.add_working_time(start, dt.timedelta(microseconds=-1))
    with pytest.raises(ValueError, match="must not be negative"):
        cal.due_at(start, -2, UNIT_WORKING_DAYS)
    with pytest.raises(ValueError, match="must not be negative"):
        cal.due_at(start, -2, UNIT_WORKING_HOURS)
    assert not CalendarDay.objects.filter(date__year__gte=2027).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("unit", ["weeks", "days", "", "WORKING_DAYS"])
def test_unknown_unit_is_refused(unit):
    with pytest.raises(ValueError, match="unknown time-limit unit"):
        workdays.due_at(at(2026, 3, 9, 10), 1, unit)


@pytest.mark.parametrize(
    ("office_hours", "message"),
    [
        (["07:30-12:00", "11:00-17:00"], "overlap"),
        (["13:00-17:00", "07:30-13:30"], "overlap"),  # overlapping once sorted
        (["07:30-17:00", "12:00-13:00"], "overlap"),  # one block inside another
        (["11:30-07:30", "13:00-17:00"], "ends before it starts"),
        (["07:30-11:30", "17:00-13:00"], "ends before it starts"),
        (["08:00-08:00"], "ends before it starts"),
    ],
)
def test_bad_office_hours_are_refused(settings, office_hours, message):
    settings.OFFICE_HOURS = office_hours
    with pytest.raises(ValueError, match=message):
        workdays.office_blocks()


@pytest.mark.django_db
def test_bad_office_hours_stop_deadline_computation(settings):
    settings.OFFICE_HOURS = ["07:30-12:00", "11:00-17:00"]
    with pytest.raises(ValueError, match="overlap"):
        workdays.add_working_days(at(2026, 3, 9, 10), 1)


def test_office_hours_are_parsed_and_sorted(settings):
    settings.OFFICE_HOURS = ["13:00-17:00", " 7:30-11:30"]
    assert workdays.office_blocks() == (
        (dt.time(7, 30), dt.time(11, 30)),
        (dt.time(13), dt.time(17)),
    )


@pytest.mark.django_db
def test_other_office_hours_are_used(settings):
    # Touching blocks are allowed; a new value is parsed afresh despite the lru_cache.
    settings.OFFICE_HOURS = ["08:00-12:00", "12:00-14:00", "14:00-16:00"]
    cal = WorkCalendar()
    assert cal.clock_start(at(2026, 3, 9, 7, 45)) == at(2026, 3, 9, 8)
    assert cal.clock_start(at(2026, 3, 9, 16)) == at(2026, 3, 10, 8)
    # Fri 15:00-16:00 (1 h), Mon 08:00 + 7 h.
    assert cal.add_working_days(at(2026, 3, 6, 15), 1) == at(2026, 3, 9, 15)
    assert cal.due_at(at(2026, 3, 9, 10), 1, UNIT_SAME_DAY) == at(2026, 3, 9, 16)
    settings.OFFICE_HOURS = ["07:30-11:30", "13:00-17:00"]
    # A calendar keeps the hours it was made with; a new one reads the new value.
    assert cal.clock_start(at(2026, 3, 9, 7, 45)) == at(2026, 3, 9, 8)
    assert WorkCalendar().clock_start(at(2026, 3, 9, 7, 45)) == at(2026, 3, 9, 7, 45)


@pytest.mark.django_db
def test_other_same_day_cut_off_is_used(settings):
    settings.SAME_DAY_CUTOFF = "11:00"
    assert workdays.due_at(at(2026, 3, 9, 11), 1, UNIT_SAME_DAY) == at(2026, 3, 9, 17)
    assert workdays.due_at(at(2026, 3, 9, 11, 1), 1, UNIT_SAME_DAY) == at(2026, 3, 10, 17)

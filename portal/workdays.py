"""Working days and working time for statutory deadlines (DOMAIN.md §5).

A working day is a weekday that is not a public holiday, or a weekend day worked in exchange.
For a year with a reviewed calendar file (portal/calendar/YYYY.json, loaded into `CalendarDay`
rows and a `CalendarYear`: see portal.calendar_files) the national days are exactly the file's;
for another year they come from the `holidays` package (New Year, five days of Tết, Hùng Kings'
day, 30/4, 1/5, 2/9 with its adjacent day, days in lieu and the swaps it knows), corrected by
superusers' `CalendarDay` rows. A province's own days (its People's Committee's `CalendarDay`
rows) apply to the agencies of that province only, over the national ones. A day not yet
confirmed counts for nothing.

Working time runs only inside the office hours of working days (the agency's own, else
settings.OFFICE_HOURS: 8 hours a day). "N working days" is counted one of two ways, per agency
(Agency.deadline_counting, else settings.DEADLINE_COUNTING):

- whole days (the default): the day of receipt is not counted, the period runs from the next
  working day and ends at the close of office on the N-th working day: the Civil Code 2015's
  rule for periods in days (Art. 147(1): "ngày đầu tiên của thời hạn không được tính mà tính từ
  ngày tiếp theo liền kề"; Art. 148: a period ends at the end of its last day, moved to the end
  of the next working day when that is a day off), which applies to time limits set by other
  laws that do not say otherwise (Art. 144). A dossier accepted on Friday at 16:00 with one
  working day is due on Monday at 17:00;
- working hours: N × 8 office hours from the moment the clock starts (due Monday at 16:00).

All functions take and return aware datetimes; they work in the portal's time zone.
"""

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from django.conf import settings

from portal.office_hours import _blocks, _parse_time

HOURS_PER_DAY = 8
WORKING_DAY = dt.timedelta(hours=HOURS_PER_DAY)

UNIT_WORKING_DAYS = "working_days"
UNIT_WORKING_HOURS = "working_hours"
UNIT_SAME_DAY = "same_day"

EARLY, ON_TIME, LATE = "early", "on_time", "late"

COUNT_WHOLE_DAYS, COUNT_WORKING_HOURS = "whole_days", "working_hours"

# A deadline search never walks further than this; a calendar with no working day for a year is
# a data error, not a deadline.
_MAX_DAYS_SCANNED = 3660


def _tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def office_blocks() -> tuple[tuple[dt.time, dt.time], ...]:
    """The office-hour blocks of a working day, e.g. ((07:30, 11:30), (13:00, 17:00))."""
    return _blocks(tuple(settings.OFFICE_HOURS))


def same_day_cutoff() -> dt.time:
    return _parse_time(settings.SAME_DAY_CUTOFF)


@lru_cache(maxsize=64)
def _statutory(year: int) -> tuple[frozenset[dt.date], frozenset[dt.date]]:
    vn = holidays.country_holidays("VN", years=year)
    days_off = frozenset(day for day in vn if day.year == year)
    worked_weekends = frozenset(day for day in vn.weekend_workdays if day.year == year)
    return days_off, worked_weekends


class WorkCalendar:
    """The working days of one agency (`agency`: its province's local days apply; None: the
    national calendar only), read once per year touched.

    Make one per request or task (it does not see rows saved after it read a year).
    """

    def __init__(self, agency=None):
        self._province_id = agency.province_id if agency is not None else None
        own_hours = getattr(agency, "office_hours", "")
        self._blocks = _blocks(tuple(own_hours.split(","))) if own_hours else office_blocks()
        self.counting = getattr(agency, "deadline_counting", "") or settings.DEADLINE_COUNTING
        self.tz = _tz()
        self._reviewed: set[int] | None = None
        self._days: dict[int, tuple[dict[dt.date, str], dict[dt.date, str]]] = {}

    def _days_for(self, year: int) -> tuple[dict[dt.date, str], dict[dt.date, str]]:
        """(the province's own days, the national days) of `year`, each date → "off"/"work"."""
        if year not in self._days:
            from django.db.models import Q

            from portal.models import CalendarDay

            rows = CalendarDay.objects.filter(date__year=year, confirmed=True).filter(
                Q(province__isnull=True) | Q(province_id=self._province_id)
            )
            local, national = {}, {}
            for day, kind, province in rows.values_list("date", "kind", "province_id"):
                (national if province is None else local)[day] = kind
            self._days[year] = (local, national)
        return self._days[year]

    def is_reviewed(self, year: int) -> bool:
        """The year's national days are a reviewed file's (not the `holidays` package's)."""
        if self._reviewed is None:
            from portal.models import CalendarYear

            self._reviewed = set(CalendarYear.objects.values_list("year", flat=True))
        return year in self._reviewed

    def is_working_day(self, day: dt.date) -> bool:
        local, national = self._days_for(day.year)
        if local.get(day) == "off":  # a province adds days off; it never removes national ones
            return False
        kind = national.get(day)
        if kind is not None:
            return kind == "work"
        if not self.is_reviewed(day.year):
            days_off, worked_weekends = _statutory(day.year)
            if day in worked_weekends:
                return True
            if day in days_off:
                return False
        return day.weekday() < 5

    def previous_working_day(self, day: dt.date) -> dt.date:
        """The last working day strictly before `day`."""
        for offset in range(1, _MAX_DAYS_SCANNED):
            candidate = day - dt.timedelta(days=offset)
            if self.is_working_day(candidate):
                return candidate
        raise ValueError(f"no working day within ten years before {day}")

    def close_of(self, day: dt.date) -> dt.datetime:
        """The close of office on `day`."""
        return self._at(day, self._blocks[-1][1])

    def next_working_day(self, day: dt.date) -> dt.date:
        """The first working day strictly after `day`."""
        for offset in range(1, _MAX_DAYS_SCANNED):
            candidate = day + dt.timedelta(days=offset)
            if self.is_working_day(candidate):
                return candidate
        raise ValueError(f"no working day within ten years after {day}")

    # --- instants ---------------------------------------------------------------------------

    def _at(self, day: dt.date, time: dt.time) -> dt.datetime:
        return dt.datetime.combine(day, time, tzinfo=_tz())

    def clock_start(self, instant: dt.datetime) -> dt.datetime:
        """The first working instant at or after `instant`.

        Inside office hours the clock starts at once; during a break it starts when the next block
        opens; after hours, on a weekend or on a holiday it starts when the next working day opens.
        """
        local = instant.astimezone(_tz())
        day = local.date()
        if self.is_working_day(day):
            for start, end in self._blocks:
                if local.time() < end:
                    return max(local, self._at(day, start))
        return self._at(self.next_working_day(day), self._blocks[0][0])

    def add_working_time(self, start: dt.datetime, amount: dt.timedelta) -> dt.datetime:
        """The instant when `amount` of working time has run from `start`."""
        if amount < dt.timedelta(0):
            raise ValueError("working time to add must not be negative")
        current = self.clock_start(start)
        remaining = amount
        day = current.date()
        for _ in range(_MAX_DAYS_SCANNED):
            for block_start, block_end in self._blocks:
                opens, closes = self._at(day, block_start), self._at(day, block_end)
                if closes <= current:
                    continue
                current = max(current, opens)
                available = closes - current
                if remaining <= available:
                    return current + remaining
                remaining -= available
                current = closes
            day = self.next_working_day(day)
            current = self._at(day, self._blocks[0][0])
        raise ValueError("deadline further than ten years away")

    def after_whole_working_days(self, start: dt.datetime, days: int) -> dt.datetime:
        """The close of office on the `days`-th working day after the day of `start` (that day
        itself not counted); zero days: the close of the day the clock starts."""
        if days == 0:
            clock = self.clock_start(start)
            return self._at(clock.astimezone(_tz()).date(), self._blocks[-1][1])
        day = start.astimezone(_tz()).date()
        for _ in range(days):
            day = self.next_working_day(day)
        return self._at(day, self._blocks[-1][1])

    def add_working_days(self, start: dt.datetime, days: int | float) -> dt.datetime:
        return self.add_working_time(start, WORKING_DAY * days)

    def add_working_hours(self, start: dt.datetime, hours: int | float) -> dt.datetime:
        return self.add_working_time(start, dt.timedelta(hours=hours))

    def working_time_between(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        """Working time that runs from `start` to `end` (zero when end is not after start)."""
        if end <= start:
            return dt.timedelta(0)
        start_local, end_local = start.astimezone(_tz()), end.astimezone(_tz())
        total = dt.timedelta(0)
        day = start_local.date()
        while day <= end_local.date():
            if self.is_working_day(day):
                for block_start, block_end in self._blocks:
                    lo = max(start_local, self._at(day, block_start))
                    hi = min(end_local, self._at(day, block_end))
                    if hi > lo:
                        total += hi - lo
            day += dt.timedelta(days=1)
        return total

    def due_at(self, start: dt.datetime, amount: int | float, unit: str) -> dt.datetime:
        """The due instant of a time limit of `amount` `unit`s that starts at `start`.

        - working days and working hours: counted from when the clock starts (after-hours and
          holiday submissions count from the next working day's opening);
        - same day: due at closing time that day if the clock starts by the cut-off (15:00),
          else at closing time of the next working day (Decree 23/2015).
        """
        if unit == UNIT_WORKING_DAYS:
            if self.counting == COUNT_WHOLE_DAYS and float(amount) == int(amount):
                return self.after_whole_working_days(start, int(amount))
            return self.add_working_days(start, amount)
        if unit == UNIT_WORKING_HOURS:
            return self.add_working_hours(start, amount)
        if unit == UNIT_SAME_DAY:
            clock = self.clock_start(start)
            day = clock.date()
            if clock.astimezone(_tz()).time() > same_day_cutoff():
                day = self.next_working_day(day)
            return self._at(day, self._blocks[-1][1])
        raise ValueError(f"unknown time-limit unit {unit!r}")


def classify(finished_at: dt.datetime, due_at: dt.datetime) -> str:
    """Early (finished on a day before the due day), on time (on the due day, by the due time)
    or late (after the due time): the classes of Decision 766/QĐ-TTg."""
    if finished_at > due_at:
        return LATE
    if finished_at.astimezone(_tz()).date() < due_at.astimezone(_tz()).date():
        return EARLY
    return ON_TIME


# Module-level shortcuts, each reading the calendar afresh.
def is_working_day(day: dt.date) -> bool:
    return WorkCalendar().is_working_day(day)


def next_working_day(day: dt.date) -> dt.date:
    return WorkCalendar().next_working_day(day)


def clock_start(instant: dt.datetime) -> dt.datetime:
    return WorkCalendar().clock_start(instant)


def add_working_days(start: dt.datetime, days: int | float) -> dt.datetime:
    return WorkCalendar().add_working_days(start, days)


def add_working_hours(start: dt.datetime, hours: int | float) -> dt.datetime:
    return WorkCalendar().add_working_hours(start, hours)


def working_time_between(start: dt.datetime, end: dt.datetime) -> dt.timedelta:
    return WorkCalendar().working_time_between(start, end)


def due_at(start: dt.datetime, amount: int | float, unit: str) -> dt.datetime:
    return WorkCalendar().due_at(start, amount, unit)

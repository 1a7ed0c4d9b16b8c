"""The counts the statistics read (feedback.selectors.rating_counts, feedback_counts), on a small
data set whose expected numbers are written by hand below each one."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from feedback.selectors import feedback_counts, rating_counts
from tests.factories import DossierFactory, FeedbackFactory, RatingFactory

pytestmark = pytest.mark.django_db
VN = ZoneInfo("Asia/Ho_Chi_Minh")
START, END = dt.datetime(2026, 1, 1, tzinfo=VN), dt.datetime(2026, 4, 1, tzinfo=VN)  # Q1 2026
NOW = dt.datetime(2026, 4, 15, 9, tzinfo=VN)


def at(month, day, hour=9):
    return dt.datetime(2026, month, day, hour, tzinfo=VN)


@pytest.fixture
def ratings(agency, other_agency):
    a = DossierFactory(submitted=True, version__procedure__agency=agency)
    procedure_a = a.version.procedure
    b = DossierFactory(submitted=True, version__procedure__agency=agency)
    other = DossierFactory(submitted=True, version__procedure__agency=other_agency)

    def dossier_like(template):
        return DossierFactory(submitted=True, version=template.version)

    # agency, procedure A: very_satisfied (Jan), unsatisfied (Mar 31 23:00, in), satisfied
    # (Apr 1 00:00: the end is excluded)
    RatingFactory(dossier=a, level="very_satisfied", created_at=at(1, 5))
    RatingFactory(dossier=dossier_like(a), level="unsatisfied", created_at=at(3, 31, 23))
    RatingFactory(
        dossier=dossier_like(a), level="satisfied", created_at=dt.datetime(2026, 4, 1, tzinfo=VN)
    )
    # agency, procedure B: satisfied (Feb), hidden comment, still counted; satisfied Dec 2025 (out)
    RatingFactory(
        dossier=b, level="satisfied", created_at=at(2, 10), comment="x", hidden_at=at(2, 11)
    )
    RatingFactory(
        dossier=dossier_like(b), level="satisfied", created_at=dt.datetime(2025, 12, 31, tzinfo=VN)
    )
    # other agency: unsatisfied (Feb), very_satisfied (Mar)
    RatingFactory(dossier=other, level="unsatisfied", created_at=at(2, 1))
    RatingFactory(dossier=dossier_like(other), level="very_satisfied", created_at=at(3, 1))
    return {"procedure_a": procedure_a}


def test_rating_counts_by_agency_procedure_and_portal(ratings, agency, other_agency):
    # Agency in Q1: very_satisfied (A, Jan 5), unsatisfied (A, Mar 31), satisfied (B, Feb 10).
    assert rating_counts(agency_ids=[agency.pk], start=START, end=END) == {
        "very_satisfied": 1,
        "satisfied": 1,
        "unsatisfied": 1,
        "total": 3,
    }
    # Procedure A only: very_satisfied and unsatisfied.
    assert rating_counts(
        agency_ids=[agency.pk], start=START, end=END, procedure_id=ratings["procedure_a"].pk
    ) == {"very_satisfied": 1, "satisfied": 0, "unsatisfied": 1, "total": 2}
    # The whole portal: the agency's 3 and the other's 2.
    assert rating_counts(agency_ids=None, start=START, end=END) == {
        "very_satisfied": 2,
        "satisfied": 1,
        "unsatisfied": 2,
        "total": 5,
    }
    assert rating_counts(agency_ids=[], start=START, end=END)["total"] == 0


@pytest.fixture
def feedback(agency, other_agency):
    def make(**kwargs):
        kwargs.setdefault("agency", agency)
        return FeedbackFactory(**kwargs)

    # 1. answered early, sender satisfied
    make(received_at=at(1, 5), due_at=at(1, 26, 17), answered=True, sender_satisfied=True)
    # 2. answered on time, sender unsatisfied
    make(
        received_at=at(1, 10),
        due_at=at(1, 30, 17),
        answered=True,
        answered_at=at(1, 30, 16),
        timeliness="on_time",
        sender_satisfied=False,
    )
    # 3. answered late, sender unsatisfied (counted once in late_or_unsatisfied)
    make(received_at=at(2, 2), due_at=at(2, 27, 17), late=True, sender_satisfied=False)
    # 4. answered late, not rated
    make(received_at=at(2, 3), due_at=at(2, 28, 17), late=True)
    # 5. open, past due at NOW
    make(received_at=at(3, 2), due_at=at(3, 23, 17))
    # 6. open, not yet due at NOW (received Mar 31 evening)
    make(received_at=at(3, 31, 20), due_at=at(4, 21, 17))
    # 7. refused (closed: neither answered nor open)
    make(received_at=at(3, 5), due_at=at(3, 26, 17), refused=True)
    # out of the period: received Apr 1 00:00, open and past due anyway
    make(received_at=dt.datetime(2026, 4, 1, tzinfo=VN), due_at=at(4, 2, 17))
    # another agency: answered late, in the period
    make(agency=other_agency, received_at=at(1, 20), due_at=at(2, 10, 17), late=True)


def test_feedback_counts_of_the_agency(feedback, agency):
    assert feedback_counts(agency_ids=[agency.pk], start=START, end=END, now=NOW) == {
        "total": 7,  # 1–7
        "answered": 4,  # 1, 2, 3, 4
        "answered_on_time": 2,  # 1 early, 2 on time
        "answered_late": 2,  # 3, 4
        "refused": 1,  # 7
        "open_overdue": 1,  # 5
        "unsatisfied": 2,  # 2, 3
        "late_or_unsatisfied": 4,  # 2 (unsatisfied), 3 (both, once), 4 (late), 5 (overdue)
    }


def test_feedback_counts_of_the_portal_and_at_another_now(feedback, agency, other_agency):
    counts = feedback_counts(agency_ids=None, start=START, end=END, now=NOW)
    # The agency's 7 and the other's one, answered late.
    assert (counts["total"], counts["answered"], counts["answered_late"]) == (8, 5, 3)
    assert counts["late_or_unsatisfied"] == 5
    # Before 6 was due and before 5 was: on Mar 20 nothing is open past due.
    early_now = at(3, 20)
    counts = feedback_counts(agency_ids=[agency.pk], start=START, end=END, now=early_now)
    assert (counts["open_overdue"], counts["late_or_unsatisfied"]) == (0, 3)
    # Every value is a plain int.
    assert all(type(value) is int for value in counts.values())

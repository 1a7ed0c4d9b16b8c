"""The Decision 766 indicators over a small hand-made data set: every expected value is worked
out by hand in the comments (stats.indicators; issue 19)."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError

from payments.models import Payment
from signing.models import Document
from stats import aggregates
from stats.indicators import Period, Scope, Status, monthly, scorecard
from submissions.models import Dossier, DossierFile, IntakeChannel, State, Timeliness
from tests.factories import (
    AgencyFactory,
    CitizenFactory,
    FeedbackFactory,
    ProcedureVersionFactory,
    RatingFactory,
)

pytestmark = pytest.mark.django_db

VN = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = dt.datetime(2026, 3, 25, 12, 0, tzinfo=VN)
MARCH = Period(dt.date(2026, 3, 1), dt.date(2026, 3, 31))
FEBRUARY = Period(dt.date(2026, 2, 1), dt.date(2026, 2, 28))


def at(month: int, day: int, hour: int = 9) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, 0, tzinfo=VN)


def dossier(
    version,
    *,
    channel,
    received,
    state=State.PROCESSING,
    due=None,
    resolved=None,
    timeliness="",
    closed=None,
    files=False,
    result=False,
    paid=False,
    agency=None,
):
    """A dossier in the given state with the given times, made directly (the workflow's own
    tests cover how dossiers get there; here only what the counts read matters)."""
    made = Dossier.objects.create(
        applicant=CitizenFactory(),
        version=version,
        agency=agency or version.procedure.agency,
        channel=channel,
        state=state,
        code=f"T-{Dossier.objects.count() + 1:04d}",
        submitted_at=received,
        received_at=received,
        due_at=due or received + dt.timedelta(days=10),
        resolved_at=resolved,
        timeliness=timeliness,
        closed_at=closed,
    )
    if files:
        DossierFile.objects.create(
            dossier=made, requirement=version.documents.first(), name="scan.pdf",
            content_type="application/pdf", size=10, sha256="0" * 64,
            file="dossiers/test/scan.pdf", uploaded_by=made.applicant, uploaded_at=received,
        )  # fmt: skip
    if result:
        Document.objects.create(
            kind="result", title="Kết quả", template="documents/result.html",
            agency=made.agency, owner_type=ContentType.objects.get_for_model(Dossier),
            owner_id=made.pk, key=f"test:result:{made.pk}", status=Document.Status.SIGNED,
        )  # fmt: skip
    if paid:
        Payment.objects.create(
            dossier=made, provider="vnpay", order_ref=f"T{made.pk}", amount=50_000,
            purpose=Payment.Purpose.BEFORE, status=Payment.Status.PAID,
            expires_at=received, paid_at=received,
        )  # fmt: skip
    return made


@pytest.fixture
def data():
    """Agency A (with a child B) and another agency C, in March 2026:

    | # | procedure | channel | received | now / result | files | result doc | paid |
    | - | - | - | - | - | - | - | - |
    | 1 | free | online | 02/03 | resolved 05/03 early | yes | yes |  |
    | 2 | free | online | 03/03 | resolved 10/03 on time, rated "not satisfied" | yes | yes |  |
    | 3 | free | in person | 04/03 | resolved 20/03 late |  |  |  |
    | 4 | free | in person | 05/03 | in progress, due 30/03 (in time) | yes |  |  |
    | 5 | free | post | 06/03 | in progress, due 20/03 (overdue) |  |  |  |
    | 6 | fee | online | 07/03 | resolved 12/03 on time | yes | yes | yes |
    | 7 | fee | in person | 08/03 | withdrawn 09/03 |  |  |  |
    | 8 | free | online | 27/02 | resolved 02/03 on time | yes | yes |  |
    B: one online dossier received 10/03, resolved 11/03 early. C: one received 10/03, late.
    """
    a = AgencyFactory(code="000.00.01.H99")
    b = AgencyFactory(code="000.00.02.H99", parent=a)
    c = AgencyFactory(code="000.00.03.H99")
    free = ProcedureVersionFactory(published=True, level3=True, procedure__agency=a)
    fee = ProcedureVersionFactory(
        published=True, level4=True, procedure__agency=a,
        channels=[{"fee_vnd": 50_000}, {"online": True, "fee_vnd": 50_000}],
    )  # fmt: skip
    ProcedureVersionFactory(published=True, procedure__agency=a)  # level 1: information only
    of_b = ProcedureVersionFactory(published=True, level3=True, procedure__agency=b)
    of_c = ProcedureVersionFactory(published=True, level3=True, procedure__agency=c)
    online, desk, post = IntakeChannel.ONLINE, IntakeChannel.IN_PERSON, IntakeChannel.POST
    resolved = State.RESOLVED
    dossier(free, channel=online, received=at(3, 2), state=resolved, resolved=at(3, 5),
            timeliness=Timeliness.EARLY, files=True, result=True)  # fmt: skip
    second = dossier(free, channel=online, received=at(3, 3), state=resolved, resolved=at(3, 10),
                     timeliness=Timeliness.ON_TIME, files=True, result=True)  # fmt: skip
    RatingFactory(dossier=second, level="unsatisfied", created_at=at(3, 11))
    dossier(free, channel=desk, received=at(3, 4), state=resolved, resolved=at(3, 20),
            timeliness=Timeliness.LATE)  # fmt: skip
    dossier(free, channel=desk, received=at(3, 5), due=at(3, 30, 17), files=True)
    dossier(free, channel=post, received=at(3, 6), due=at(3, 20, 17))
    dossier(fee, channel=online, received=at(3, 7), state=resolved, resolved=at(3, 12),
            timeliness=Timeliness.ON_TIME, files=True, result=True, paid=True)  # fmt: skip
    dossier(fee, channel=desk, received=at(3, 8), state=State.WITHDRAWN, closed=at(3, 9))
    dossier(free, channel=online, received=at(2, 27), state=resolved, resolved=at(3, 2),
            timeliness=Timeliness.ON_TIME, files=True, result=True)  # fmt: skip
    dossier(of_b, channel=online, received=at(3, 10), state=resolved, resolved=at(3, 11),
            timeliness=Timeliness.EARLY, files=True, result=True)  # fmt: skip
    dossier(of_c, channel=online, received=at(3, 10), state=resolved, resolved=at(3, 11),
            timeliness=Timeliness.LATE, files=True, result=True)  # fmt: skip
    # A's feedback in March: answered on time, answered late, open past its due time (20/03),
    # and one not taken up (not A's to handle).
    FeedbackFactory(agency=a, received_at=at(3, 2), due_at=at(3, 20, 17), answered=True)
    FeedbackFactory(agency=a, received_at=at(3, 2), due_at=at(3, 20, 17), late=True)
    FeedbackFactory(agency=a, received_at=at(3, 3), due_at=at(3, 20, 17))
    FeedbackFactory(agency=a, received_at=at(3, 3), due_at=at(3, 20, 17), refused=True)
    aggregates.rebuild(first=dt.date(2026, 2, 1), last=dt.date(2026, 3, 31))
    return {"a": a, "b": b, "c": c, "free": free, "fee": fee}


def test_the_counts_of_agency_a_in_march(data):
    card = scorecard(Scope.agency(data["a"]), MARCH, now=NOW)
    counts = card.sums.counts
    # Received in March: #1-#7; online #1 #2 #6, in person #3 #4 #7, post #5.
    assert (counts["received"], counts["received_online"]) == (7, 3)
    assert (counts["received_in_person"], counts["received_post"]) == (3, 1)
    # Digitised: the four with files (#1 #2 #4 #6). Fee due: #6 #7; paid online: #6.
    assert (counts["digitised"], counts["fee_due"], counts["paid_online"]) == (4, 2, 1)
    # Resolved in March: #1 #2 #3 #6 and #8 (received in February); early 1, on time 3, late 1.
    assert counts["resolved"] == 5
    assert (counts["resolved_early"], counts["resolved_on_time"], counts["resolved_late"]) == (
        1,
        3,
        1,
    )
    assert (counts["results_electronic"], counts["withdrawn"]) == (4, 1)
    # Now (25/03): #4 and #5 in progress, #5 past its due time; nothing due within two days.
    assert (card.sums.in_progress, card.sums.in_progress_overdue, card.sums.due_soon) == (2, 1, 0)


def test_each_indicator_of_agency_a_in_march(data):
    card = scorecard(Scope.agency(data["a"]), MARCH, now=NOW)
    expected = {
        # (early 1 + on time 3 + in progress in time 1) ÷ (resolved 5 + in progress 2) = 5/7;
        # 20 × 5/7 = 14.2857…
        "P1": (5, 7, "14.29"),
        # online 3 of 7 = 42.9 % < 50 %: 6 × (3/7) ÷ 0.5 = 5.1428…
        "O3": (3, 7, "5.14"),
        # both procedures of A that file online (levels 3 and 4) of 3 published = 66.7 % < 80 %:
        # 2 × (2/3) ÷ 0.8 = 1.666…
        "O1": (2, 3, "1.67"),
        # both online procedures had an online dossier: 2/2 → 4
        "O2": (2, 2, "4.00"),
        # paid online 1 of 2 with a fee: 6 × 0.5
        "M1": (1, 2, "3.00"),
        # the one payable procedure had an online payment: 1/1 → 2
        "M2": (1, 1, "2.00"),
        # electronic results 4 of 5 resolved: 6 × 0.8
        "D1": (4, 5, "4.80"),
        # digitised 4 of 7 = 57.1 % < 80 %: 4 × (4/7) ÷ 0.8 = 2.857…
        "D2": (4, 7, "2.86"),
        # feedback answered on time 1 of the 3 A handles (the 4th not taken up): 6 × 1/3
        "S1": (1, 3, "2.00"),
        # of those 3, one answered late and one open past due: (3 - 2) of 3 → 6 × 1/3
        "S2": (1, 3, "2.00"),
        # resolved 5, of which #3 late and #2 rated "not satisfied": 3/5 = 60 % < 90 %:
        # 6 × 0.6 ÷ 0.9 = 4
        "S3": (3, 5, "4.00"),
    }
    for code, (numerator, denominator, points) in expected.items():
        value = card.value(code)
        assert value.status == Status.MEASURED, code
        assert (value.numerator, value.denominator, value.points) == (
            numerator,
            denominator,
            Decimal(points),
        ), code
    assert card.value("P1").percent == Decimal("71.4")
    for code in ("T1", "T2", "T3", "T4", "M3", "D3", "D4", "D5", "D6"):
        value = card.value(code)
        assert value.status == Status.NOT_MEASURED, code
        assert value.points is None and value.note
    groups = {g.code: g for g in card.groups}
    assert groups["transparency"].points is None  # nothing measured: no score, not a 0
    assert groups["progress"].points == Decimal("14.29")
    assert groups["online"].points == Decimal("10.81")  # 1.67 + 4 + 5.14
    assert groups["payment"].points == Decimal("5.00")
    assert groups["payment"].measured_max == 8
    assert groups["digitisation"].points == Decimal("7.66")  # 4.80 + 2.86
    assert groups["satisfaction"].points == Decimal("8.00")
    # 14.29 + 10.81 + 5.00 + 7.66 + 8.00 of the measured 20 + 12 + 8 + 10 + 18
    assert (card.points, card.measured_max) == (Decimal("45.76"), 68)
    assert card.sums.ratings["unsatisfied"] == 1


def test_a_past_period_counts_resolved_dossiers_only(data):
    card = scorecard(Scope.agency(data["a"]), FEBRUARY, now=NOW)
    # February: #8 received (online, with files), nothing resolved: on time has no data.
    assert card.sums.counts["received"] == 1
    assert card.value("P1").status == Status.NO_DATA
    assert card.value("P1").points is None
    assert card.value("O3").numerator == 1 and card.value("O3").points == Decimal("6.00")


def test_an_agency_with_its_children_and_the_whole_portal(data):
    alone = scorecard(Scope.agency(data["a"]), MARCH, now=NOW)
    family = scorecard(Scope.agency(data["a"], with_children=True), MARCH, now=NOW)
    portal = scorecard(Scope(), MARCH, now=NOW)
    assert alone.sums.counts["received"] == 7
    assert family.sums.counts["received"] == 8  # and B's
    assert portal.sums.counts["received"] == 9  # and C's
    # C's late dossier: resolved 5 + B's 1 + C's 1 = 7; early or on time 4 + B's early 1 = 5.
    assert portal.sums.counts["resolved"] == 7
    assert portal.sums.counts["resolved_early"] + portal.sums.counts["resolved_on_time"] == 5


def test_a_procedure_and_a_field(data):
    fee = scorecard(Scope(procedure_id=data["fee"].procedure_id), MARCH, now=NOW)
    assert (fee.sums.counts["received"], fee.sums.counts["fee_due"]) == (2, 2)
    assert fee.value("M1").points == Decimal("3.00")
    field = scorecard(Scope(field_id=data["free"].field_id), MARCH, now=NOW)
    assert field.sums.counts["received"] == 5  # #1-#5


def test_a_refresh_counts_what_changed_since_the_last_one(data):
    from stats.models import RefreshMark

    RefreshMark.objects.update_or_create(pk=1, defaults={"refreshed_at": at(3, 25)})
    late_arrival = dossier(
        data["free"], channel=IntakeChannel.ONLINE, received=at(3, 25, 15), files=True
    )
    from submissions.models import DossierEvent, EventAction

    DossierEvent.objects.create(
        dossier=late_arrival, action=EventAction.ACCEPT, from_state=State.SUBMITTED,
        to_state=State.RECEIVED, created_at=at(3, 25, 15),
    )  # fmt: skip
    assert aggregates.refresh(now=at(3, 25, 16)) == 1  # one day changed
    card = scorecard(Scope.agency(data["a"]), MARCH, now=NOW)
    assert card.sums.counts["received"] == 8
    # The month's row follows its days.
    [march] = monthly(Scope.agency(data["a"]), MARCH)
    assert (march["received"], march["resolved"], march["on_time"]) == (8, 5, 4)


def test_a_period_that_ends_before_it_starts_is_refused():
    with pytest.raises(ValidationError) as error:
        Period.checked(dt.date(2026, 3, 31), dt.date(2026, 3, 1))
    assert error.value.code == "reversed"
    with pytest.raises(ValidationError) as error:
        Period.checked(dt.date(2020, 1, 1), dt.date(2026, 3, 1))
    assert error.value.code == "too_long"
    assert Period.checked(dt.date(2026, 3, 1), dt.date(2026, 3, 1)).months() == [
        dt.date(2026, 3, 1)
    ]


def test_a_rating_given_after_the_last_refresh_is_counted_on_the_day_of_the_result(data):
    from stats.models import RefreshMark

    RefreshMark.objects.update_or_create(pk=1, defaults={"refreshed_at": at(3, 25)})
    first = Dossier.objects.get(code="T-0001")  # resolved 05/03, early
    RatingFactory(dossier=first, level="unsatisfied", created_at=at(3, 25, 10))
    aggregates.refresh(now=at(3, 25, 11))
    card = scorecard(Scope.agency(data["a"]), MARCH, now=NOW)
    # Now #1, #2 (unsatisfied) and #3 (late): (5 - 3) of 5 = 40 % → 6 × 0.4 ÷ 0.9 = 2.666…
    assert (card.value("S3").numerator, card.value("S3").points) == (2, Decimal("2.67"))


def test_feedback_is_measured_per_agency_and_none_earns_its_points(data):
    fee = scorecard(Scope(procedure_id=data["fee"].procedure_id), MARCH, now=NOW)
    assert fee.value("S1").status == Status.NOT_MEASURED
    assert fee.value("S3").status == Status.MEASURED
    c = scorecard(Scope.agency(data["c"]), MARCH, now=NOW)  # C had no feedback
    assert (c.value("S1").points, c.value("S2").points) == (Decimal(6), Decimal(6))
    # C's one dossier was resolved late: 0 of 1 → 0 points.
    assert c.value("S3").points == Decimal("0.00")

"""THE acceptance test of the register of outgoing documents: issuers at the same moment, each on
its own database connection and in its own transaction, get every number once, with no gap."""

import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, transaction

from signing import numbering
from signing.models import Document, NumberCounter, NumberEntry, Series
from tests.factories import AgencyFactory

# Threads writing at once: SQLite's shared in-memory test database refuses a second writer, where
# PostgreSQL makes each wait on the counter's row lock.
pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
SIGNED_AT = dt.datetime(2026, 6, 10, 10, 0, tzinfo=VIETNAM)


def run_together(calls: list) -> list:
    """Each call in its own thread (its own connection), all released at once by a barrier;
    the result or the exception of each."""
    barrier = threading.Barrier(len(calls), timeout=30)
    outcomes: list = [None] * len(calls)

    def worker(index, call):
        try:
            barrier.wait()
            outcomes[index] = call()
        except BaseException as exc:  # the test looks at each outcome
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [
        threading.Thread(target=worker, args=(i, c), daemon=True) for i, c in enumerate(calls)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "an issuer never finished"
    return outcomes


def documents(agency, series: str, count: int, *, prefix: str) -> list[Document]:
    return [
        Document.objects.create(
            kind="notice",
            title=f"Văn bản {prefix} {n}",
            template="documents/notice.html",
            agency=agency,
            key=f"{prefix}:{n}",
            series=series,
        )
        for n in range(count)
    ]


def issue(document: Document, signed_at: dt.datetime = SIGNED_AT):
    """What document_render_and_sign does around the number: its own transaction, the
    document's row locked, the number taken, then some work while the counter stays locked."""

    def call():
        with transaction.atomic():
            locked = (
                Document.objects.select_for_update(of=("self",))
                .select_related("agency")
                .get(pk=document.pk)
            )
            entry = numbering.number_assign(document=locked, issued_at=signed_at, signer="Ký số")
            return entry.number

    return call


def test_fifty_issuers_at_once_get_numbers_1_to_50_and_other_series_count_apart():
    agency = AgencyFactory(code="000.00.12.H26", abbreviation="SGDĐT")
    other_agency = AgencyFactory(code="000.00.31.H29", abbreviation="SGDĐT-HP")
    decisions = documents(agency, Series.DECISION, 50, prefix="qd")
    notices = documents(agency, Series.NOTICE, 10, prefix="tb")
    elsewhere = documents(other_agency, Series.DECISION, 10, prefix="hp")

    # All seventy at once; none of the counter rows exists yet, so they also race to create them.
    outcomes = run_together([issue(d) for d in decisions + notices + elsewhere])

    assert [o for o in outcomes if isinstance(o, BaseException)] == []
    assert sorted(outcomes[:50]) == sorted(f"{n:02d}/QĐ-SGDĐT" for n in range(1, 51))
    assert sorted(outcomes[50:60]) == sorted(f"{n:02d}/TB-SGDĐT" for n in range(1, 11))
    assert sorted(outcomes[60:]) == sorted(f"{n:02d}/QĐ-SGDĐT-HP" for n in range(1, 11))
    sequences = sorted(
        NumberEntry.objects.filter(agency=agency, series=Series.DECISION).values_list(
            "sequence", flat=True
        )
    )
    assert sequences == list(range(1, 51))  # no gap, no duplicate
    # Each document holds the number its issuer got, and its entry says the same.
    for document, number in zip(decisions + notices + elsewhere, outcomes, strict=True):
        document.refresh_from_db()
        assert document.number == number == document.entry.number
    counters = {(c.agency_id, c.series): c.last for c in NumberCounter.objects.all()}
    assert counters == {
        (agency.pk, Series.DECISION): 50,
        (agency.pk, Series.NOTICE): 10,
        (other_agency.pk, Series.DECISION): 10,
    }


def test_a_new_year_starts_again_at_1_even_at_once():
    agency = AgencyFactory(code="000.00.12.H26", abbreviation="SGDĐT")
    old = documents(agency, Series.DECISION, 5, prefix="old")
    new = documents(agency, Series.DECISION, 5, prefix="new")
    last_evening = dt.datetime(2025, 12, 31, 23, 59, tzinfo=VIETNAM)
    first_morning = dt.datetime(2026, 1, 1, 0, 1, tzinfo=VIETNAM)

    outcomes = run_together(
        [issue(d, last_evening) for d in old] + [issue(d, first_morning) for d in new]
    )

    assert [o for o in outcomes if isinstance(o, BaseException)] == []
    by_year = sorted(NumberEntry.objects.values_list("year", "sequence"))
    assert by_year == [(2025, n) for n in range(1, 6)] + [(2026, n) for n in range(1, 6)]

"""Numbers from the agency's register of outgoing documents (sổ đăng ký văn bản đi): per
agency, series and calendar year, from 1, with no gap and never given twice.

A number is taken inside the transaction that stores the signed document, under the lock of
the series' counter row, which it holds until that transaction ends: concurrent issuers queue on
it, and a transaction that rolls back gives its number back unused (no paper carries it, as no
signed PDF was stored). A document that failed keeps its entry, and with it its number."""

import datetime as dt
from zoneinfo import ZoneInfo

from django.db import transaction

from signing.models import Document, NumberCounter, NumberEntry, document_symbol

# The year of a number is the signing date's year in Việt Nam, whatever the server's zone.
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def _next_sequence(*, agency_id: int, year: int, series: str) -> int:
    """The series' next number; the counter row stays locked until the transaction ends. A
    first number of the year creates the row: INSERT … ON CONFLICT DO NOTHING, so two issuers
    creating it at once do not fail (the second waits for the first's row, then locks it)."""
    NumberCounter.objects.bulk_create(
        [NumberCounter(agency_id=agency_id, year=year, series=series)], ignore_conflicts=True
    )
    counter = NumberCounter.objects.select_for_update().get(
        agency_id=agency_id, year=year, series=series
    )
    counter.last += 1
    counter.save(update_fields=["last"])
    return counter.last


def number_assign(*, document: Document, issued_at: dt.datetime, signer: str) -> NumberEntry:
    """The document's entry in the register, taken now or, for a document that was numbered
    before (a failed attempt, retried), the one it has: the same number and the same date of
    issue (a number and its date go together: a paper numbered on 31 December and signed on a
    retry in January still reads 31 December, the year its number counts in), the new signer.
    Precondition: inside a transaction, with the document's row locked, and
    `document.series` set."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("number_assign must run inside the signing transaction")
    entry = NumberEntry.objects.filter(document=document).first()
    if entry is None:
        year = issued_at.astimezone(VIETNAM).year
        sequence = _next_sequence(agency_id=document.agency_id, year=year, series=document.series)
        entry = NumberEntry(
            agency_id=document.agency_id,
            year=year,
            series=document.series,
            sequence=sequence,
            number=document_symbol(
                sequence=sequence, series=document.series, agency=document.agency
            ),
            document=document,
            issued_at=issued_at,
        )
    entry.signer = signer
    entry.summary = document.title[:300]
    entry.recipient = document.recipient
    entry.reference = document.reference
    entry.save()
    if document.number != entry.number:
        document.number = entry.number
        document.save(update_fields=["number"])
    return entry

"""The register of outgoing documents (signing.numbering): a number taken when the document is
signed, printed on it, kept by a document that failed, never taken twice."""

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction

from signing import numbering, services, tasks
from signing.models import Document, NumberCounter, NumberEntry, Series, document_symbol
from signing.templatetags.papers import decree_date
from tests.factories import AgencyFactory
from tests.signing.support import run

pytestmark = pytest.mark.django_db

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def pdf_text(document, tmp_path) -> str:
    path = Path(tmp_path) / f"{document.pk}.pdf"
    path.write_bytes(document.pdf.read())
    return run(["pdftotext", "-layout", str(path), "-"])


@pytest.fixture
def sgd(agency):
    agency.abbreviation = "SGDĐT"
    agency.save(update_fields=["abbreviation"])
    return agency


def test_symbols_follow_decree_30(sgd):
    assert document_symbol(sequence=15, series=Series.DECISION, agency=sgd) == "15/QĐ-SGDĐT"
    assert document_symbol(sequence=7, series=Series.NOTICE, agency=sgd) == "07/TB-SGDĐT"
    assert document_symbol(sequence=3, series=Series.SLIP, agency=sgd) == "03/PB-SGDĐT"
    assert document_symbol(sequence=120, series=Series.LETTER, agency=sgd) == "120/SGDĐT"
    # No abbreviation yet: the agency code without its dots, so a number is never held up.
    bare = AgencyFactory(code="000.00.31.H29", abbreviation="")
    assert document_symbol(sequence=1, series=Series.DECISION, agency=bare) == "01/QĐ-0000031H29"


def test_a_numbered_document_prints_its_number_and_is_registered(
    demo_pki, sgd, request_document, tmp_path
):
    first = request_document(
        sgd, series=Series.DECISION, recipient="Nguyễn Văn Ánh", reference="H26-260302-0001"
    )
    second = request_document(sgd, revision=2, series=Series.DECISION)
    unnumbered = request_document(sgd, revision=3)
    assert first.status == second.status == unnumbered.status == Document.Status.SIGNED
    assert (first.number, second.number, unnumbered.number) == ("01/QĐ-SGDĐT", "02/QĐ-SGDĐT", "")

    text = pdf_text(first, tmp_path)
    assert "Số: 01/QĐ-SGDĐT" in text
    assert (
        "123/TB-SGDĐT" not in text
    )  # the number in the context is the register's, not a stale one

    entry = NumberEntry.objects.get(document=first)
    year = first.signed_at.astimezone(VIETNAM).year
    assert (entry.agency, entry.year, entry.series, entry.sequence) == (sgd, year, "decision", 1)
    assert entry.issued_at == first.signed_at
    assert (entry.recipient, entry.reference) == ("Nguyễn Văn Ánh", "H26-260302-0001")
    assert entry.summary == first.title
    assert entry.signer == first.signer != ""
    assert NumberEntry.objects.count() == 2  # the unnumbered one has no entry


def test_a_failed_document_keeps_its_number_and_the_retry_signs_with_it(
    demo_pki, sgd, request_document, django_capture_on_commit_callbacks, tmp_path
):
    broken = request_document(sgd, series=Series.NOTICE, template="documents/no-such-template.html")
    assert broken.status == Document.Status.FAILED
    assert broken.number == "01/TB-SGDĐT"
    assert NumberEntry.objects.get().document == broken

    # Another document meanwhile: the failed one's number is not given to it.
    other = request_document(sgd, revision=2, series=Series.NOTICE)
    assert other.number == "02/TB-SGDĐT"

    issued = NumberEntry.objects.get(document=broken).issued_at
    Document.objects.filter(pk=broken.pk).update(template="documents/notice.html")
    # Retried after New Year: the number and its date of issue stay together (the date is the
    # day the number was given, in the year the number counts in), signed now.
    with (
        time_machine.travel(issued + dt.timedelta(days=40)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.document_retry(document=broken)
    retried = Document.objects.get(pk=broken.pk)
    assert retried.status == Document.Status.SIGNED, retried.error
    assert retried.number == "01/TB-SGDĐT"
    text = pdf_text(retried, tmp_path)
    assert "Số: 01/TB-SGDĐT" in text
    assert decree_date(issued) in " ".join(text.split())  # "ngày 06 tháng 12 năm 2026"
    assert retried.signed_at > issued + dt.timedelta(days=39)
    assert NumberCounter.objects.get().last == 2
    assert NumberEntry.objects.get(document=retried).issued_at == issued

    # A second run of the task finds the document signed: nothing is taken again.
    assert tasks.render_and_sign_task.apply(args=[retried.pk]).get() == Document.Status.SIGNED
    assert NumberCounter.objects.get().last == 2
    assert NumberEntry.objects.count() == 2


def test_no_certificate_no_number(sgd, request_document):
    """A document that cannot be signed at all fails before it is numbered."""
    document = request_document(sgd, series=Series.DECISION)
    assert document.status == Document.Status.FAILED
    assert document.number == ""
    assert not NumberEntry.objects.exists()
    assert not NumberCounter.objects.exists() or NumberCounter.objects.get().last == 0


def test_a_rolled_back_signing_gives_its_number_back(demo_pki, sgd, request_document):
    """A transaction that rolls back (here: the database error Celery would retry) stores no
    PDF; its number was never printed on a stored paper and goes to the next document."""
    document = services.document_request(
        kind="notice",
        title="Thông báo",
        template="documents/notice.html",
        context={},
        agency=sgd,
        series=Series.NOTICE,
    )

    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        services.document_render_and_sign(document_id=document.pk)
        assert Document.objects.get(pk=document.pk).number == "01/TB-SGDĐT"
        raise Boom
    assert Document.objects.get(pk=document.pk).number == ""
    assert not NumberEntry.objects.exists()
    services.document_render_and_sign(document_id=document.pk)
    assert Document.objects.get(pk=document.pk).number == "01/TB-SGDĐT"


def test_the_year_is_the_signing_date_in_vietnam(sgd):
    documents = [
        Document.objects.create(
            kind="notice",
            title=f"Thông báo {n}",
            template="documents/notice.html",
            agency=sgd,
            key=f"t:{n}",
            series=Series.NOTICE,
        )
        for n in range(3)
    ]
    # 31/12/2025 23:30 in Hà Nội is still 2025 there, though 2025-12-31T16:30Z in UTC …
    late = dt.datetime(2025, 12, 31, 23, 30, tzinfo=VIETNAM)
    # … and 01/01/2026 06:30 in Hà Nội is 2026 there, though still 31/12/2025 23:30 in UTC.
    early = dt.datetime(2025, 12, 31, 23, 30, tzinfo=dt.UTC)
    with transaction.atomic():
        a = numbering.number_assign(document=documents[0], issued_at=late, signer="A")
        b = numbering.number_assign(document=documents[1], issued_at=early, signer="A")
        c = numbering.number_assign(document=documents[2], issued_at=early, signer="A")
    assert (a.year, a.number) == (2025, "01/TB-SGDĐT")
    assert (b.year, b.number) == (2026, "01/TB-SGDĐT")  # a new year starts again at 1
    assert (c.year, c.number) == (2026, "02/TB-SGDĐT")


@pytest.mark.django_db(transaction=True)
def test_numbering_outside_a_transaction_is_refused(sgd):
    document = Document.objects.create(
        kind="notice", title="T", template="t.html", agency=sgd, key="t", series=Series.NOTICE
    )
    with pytest.raises(RuntimeError):
        numbering.number_assign(document=document, issued_at=dt.datetime.now(dt.UTC), signer="")

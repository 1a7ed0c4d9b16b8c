"""The archive of signed documents, kept verifiable for as long as it is kept (ETSI EN 319 142-1,
PAdES B-LTA): each document's last document timestamp is renewed before the certificate of the
authority that made it expires — the DSS gets that timestamp's revocation data and a new
document timestamp covers it all (pyHanko's `update_archival_timestamp_chain`) — and the whole
archive can be re-checked to list what would not validate today."""

import datetime as dt
import io
import logging

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from signing import certificates, ltv, pdfsign, runner
from signing.models import Document, EarlierVersion

logger = logging.getLogger(__name__)


def archive_until(pdf: bytes) -> dt.datetime | None:
    """When the newest document timestamp of a signed PDF stops proving anything by itself: its
    authority's certificate's expiry (None: no document timestamp)."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    stamps = PdfFileReader(io.BytesIO(pdf)).embedded_timestamp_signatures
    if not stamps:
        return None
    newest = max(stamps, key=lambda stamp: stamp.signed_revision)
    return newest.signer_cert.not_valid_after


def fill_archive_until(limit: int = 5000) -> int:
    """Read, for B-LTA documents signed since the last run, when their document timestamp stops
    proving anything by itself (kept off the signing path: reading a signed file back costs as
    much as signing it)."""
    done = 0
    for document in Document.objects.filter(
        status=Document.Status.SIGNED, pades_level=ltv.B_LTA, archive_until__isnull=True
    ).order_by("pk")[:limit]:
        try:
            with document.pdf.open("rb") as handle:
                pdf = handle.read()
            until = archive_until(pdf)
        except Exception:  # one unreadable file must not stop the others' renewal
            logger.exception("document %s: its archive timestamp could not be read", document.pk)
            continue
        if until is None:
            # Recorded as B-LTA, yet no document timestamp: the record says what the file is.
            Document.objects.filter(pk=document.pk).update(pades_level=ltv.level_of(pdf))
            logger.warning("document %s: no document timestamp; level corrected", document.pk)
            continue
        Document.objects.filter(pk=document.pk).update(archive_until=until)
        done += 1
    return done


def due(*, margin_days: int | None = None):
    """The B-LTA documents whose newest document timestamp must be renewed now: its authority's
    certificate expires within the margin (SIGNING_ARCHIVE_RENEW_DAYS)."""
    days = settings.SIGNING_ARCHIVE_RENEW_DAYS if margin_days is None else margin_days
    return Document.objects.filter(
        status=Document.Status.SIGNED,
        pades_level=ltv.B_LTA,
        archive_until__lte=timezone.now() + dt.timedelta(days=days),
    ).order_by("archive_until", "pk")


def renew(document_id: int, *, margin_days: int | None = None) -> bool:
    """Add a fresh document timestamp to one document, if it is still due (a rerun, or a
    document renewed meanwhile, changes nothing). The file before stays verifiable by its hash
    (EarlierVersion): a citizen's copy downloaded before the renewal is still ours. A TSA or
    responder that does not answer raises ltv.RevocationUnavailable (an OSError: the task
    retries later)."""
    timestamper = pdfsign._timestamper()
    if timestamper is None:
        return False
    with transaction.atomic():
        document = (
            due(margin_days=margin_days)
            .select_for_update(of=("self",), skip_locked=True)
            .filter(pk=document_id)
            .first()
        )
        if document is None:
            return False
        with document.pdf.open("rb") as handle:
            before = handle.read()
        renewed = runner.run(_renew, before, timestamper=timestamper)
        until = archive_until(renewed)
        if until is None or (document.archive_until and until <= document.archive_until):
            # The TSA still signs with the certificate that is about to expire: a new timestamp
            # from it proves nothing longer. Nothing is stored; its certificate needs renewing.
            logger.warning(
                "document %s: the timestamp authority's certificate expires %s, as the "
                "archive timestamp's does: renew the TSA's certificate (or change "
                "SIGNING_TSA_URL) before then",
                document.pk,
                until,
            )
            return False
        EarlierVersion.objects.create(
            document=document, sha256=document.sha256, replaced_at=timezone.now()
        )
        document.pdf.save(f"{document.verification_code}.pdf", ContentFile(renewed), save=False)
        document.sha256 = certificates.sha256_hex(renewed)
        document.archive_until = until
        document.save(update_fields=["pdf", "sha256", "archive_until"])
    logger.info("document %s: archive timestamp renewed until %s", document.pk,
                document.archive_until)  # fmt: skip
    return True


def _renew(pdf: bytes, *, timestamper) -> bytes:
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.signers.pdf_signer import PdfTimeStamper

    reader = PdfFileReader(io.BytesIO(pdf))
    try:
        out = PdfTimeStamper(timestamper).update_archival_timestamp_chain(
            reader, ltv.signing_context(), in_place=False, output=io.BytesIO()
        )
    except pdfsign._validation_errors() as exc:
        raise ltv.explain(exc) from exc
    return out.getvalue()


def check(documents=None):
    """Each signed document validated as /verify/ would today: yields (document, verdict)."""
    from signing import verify

    documents = (
        documents
        if documents is not None
        else Document.objects.filter(status=Document.Status.SIGNED, draft=False).order_by("pk")
    )
    for document in documents.iterator(chunk_size=200):
        with document.pdf.open("rb") as handle:
            yield document, verify.verify_pdf(handle.read())

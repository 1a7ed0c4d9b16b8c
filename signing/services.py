"""Documents: request one (enqueued on commit), render and sign it (in the worker)."""

import logging
import time

from cryptography.exceptions import InvalidTag
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.template import TemplateDoesNotExist
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from signing import certificates, keys, numbering, pdfsign, render
from signing.models import Document
from signing.signals import document_signed

logger = logging.getLogger(__name__)


def document_request(
    *,
    kind: str,
    title: str,
    template: str,
    context: dict,
    agency,
    owner=None,
    revision: int = 1,
    paper: str = "A4",
    actor=None,
    series: str = "",
    recipient: str = "",
    reference: str = "",
) -> Document:
    """Ask for a signed document; rendering and signing run in a Celery worker after commit.
    The same owner, kind and revision always give the same one document. With a `series`
    (signing.models.Series) it is numbered in the agency's register of outgoing documents when
    it is signed; `recipient` and `reference` (e.g. the dossier code) go in the register too."""
    from signing.tasks import render_and_sign_task

    key = Document.make_key(owner=owner, kind=kind, revision=revision, agency=agency)
    document, created = Document.objects.get_or_create(
        key=key,
        defaults={
            "kind": kind,
            "title": title[:300],
            "template": template,
            "context": context,
            "paper": paper,
            "agency": agency,
            "owner": owner,
            "revision": revision,
            "series": series,
            "recipient": recipient[:300],
            "reference": reference[:60],
            "created_by": actor,
        },
    )
    if created:
        transaction.on_commit(lambda: render_and_sign_task.delay(document.pk))
    return document


def verify_url(document: Document) -> str:
    from django.urls import reverse

    return settings.SITE_URL + reverse("signing:verify", args=[document.verification_code])


def _fail(document: Document, message: str) -> Document:
    document.mark_failed(message)
    document.save(update_fields=["status", "error", "attempts"])
    logger.warning("document %s failed: %s", document.pk, message)
    return document


@transaction.atomic
def document_render_and_sign(*, document_id: int) -> Document | None:
    """Render, sign and store one document. Holds the row lock meanwhile, so a redelivered task
    waits and then finds the work done; a signed document is left as it is. Problems that a
    retry cannot fix (no usable certificate, no KEK, a broken template) are recorded on the
    document as `failed`; database errors propagate so that Celery retries."""
    document = (
        # The document's row only: locking the agency's too would make every other document of
        # the agency wait for this one's rendering.
        Document.objects.select_for_update(of=("self",))
        .select_related("agency")
        .filter(pk=document_id)
        .first()
    )
    if document is None or document.status != Document.Status.PENDING:
        return document
    document.attempts += 1
    certificate = certificates.certificate_for_signing(document.agency)
    if certificate is None:
        latest = document.agency.certificates.filter(is_active=True).order_by("-not_after").first()
        reasons = certificates.usability_errors(certificates.load_x509(latest)) if latest else []
        return _fail(
            document, " ".join([_("The agency has no signing certificate in force."), *reasons])
        )
    problems = certificates.usability_errors(certificates.load_x509(certificate))
    if problems:
        return _fail(document, " ".join(problems))
    started = time.perf_counter()
    url = verify_url(document)
    signed_at = timezone.localtime().replace(microsecond=0)
    signer = certificates.signer_name(certificate)
    # Numbered before rendering, so that the number is printed: from here on the series' counter
    # stays locked until this transaction ends. A failure below that is recorded (_fail) keeps
    # the number for the retry; one that rolls back gives it back, never printed on a stored PDF.
    numbered = {}
    if document.series:
        entry = numbering.number_assign(document=document, issued_at=signed_at, signer=signer)
        numbered["document_number"] = entry.number
    try:
        with override(settings.LANGUAGE_CODE):
            html = render.render_html(
                document.template,
                {
                    **document.context,
                    "document": document,
                    "agency": document.agency,
                    "signer": signer,
                    "signed_at": signed_at,
                    "signed_at_iso": signed_at.isoformat(),
                    "verify_url": url,
                    "qr_src": "qr:" + url,
                    **numbered,
                },
            )
        pdf = render.render_pdf(html)
        rendered = time.perf_counter()
        signed = pdfsign.sign_pdf(
            pdf,
            certificate=certificate,
            reason=document.title,
            location=document.agency.name,
        )
    except keys.KekMissing as exc:
        return _fail(document, str(exc))
    except InvalidTag:  # the stored key is under another KEK: retrying cannot help
        return _fail(
            document,
            _(
                "The signing key cannot be decrypted with the current key-encryption key "
                "(SIGNING_KEK). Was SIGNING_KEK changed without running rotate_signing_kek?"
            ),
        )
    except TemplateDoesNotExist as exc:
        return _fail(document, _("Unknown document template %(name)s.") % {"name": exc})
    document.pdf.save(f"{document.verification_code}.pdf", ContentFile(signed), save=False)
    document.sha256 = certificates.sha256_hex(signed)
    document.certificate = certificate
    document.certificate_serial = certificate.serial
    document.signer = signer
    document.signed_at = signed_at
    document.mark_signed()
    document.save()
    transaction.on_commit(lambda: document_signed.send(sender=Document, document=document))
    logger.info(
        "document %s signed: render %.0f ms, sign %.0f ms, total %.0f ms",
        document.pk,
        (rendered - started) * 1000,
        (time.perf_counter() - rendered) * 1000,
        (time.perf_counter() - started) * 1000,
    )
    return document


@transaction.atomic
def document_retry(*, document: Document) -> Document:
    """Put a failed document back in the queue (after the agency fixed its certificate)."""
    from signing.tasks import render_and_sign_task

    document = Document.objects.select_for_update().get(pk=document.pk)
    if document.status == Document.Status.FAILED:
        document.retry()
        document.save(update_fields=["status", "error"])
        transaction.on_commit(lambda: render_and_sign_task.delay(document.pk))
    return document

"""Documents: request one (enqueued on commit), render and sign it (in the worker)."""

import logging
import time

from cryptography.exceptions import InvalidTag
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.template import TemplateDoesNotExist
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from signing import certificates, keys, ltv, numbering, pdfsign, render, sources
from signing.models import Document, NumberEntry
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
    personal_certificate=None,
    series: str = "",
    recipient: str = "",
    reference: str = "",
    draft: bool = False,
) -> Document:
    """Ask for a signed document (a `draft`: rendered only, marked as a draft, never signed);
    rendering and signing run in a Celery worker after commit.
    The same owner, kind and revision always give the same one document. With a `series`
    (signing.models.Series) it is numbered in the agency's register of outgoing documents when
    it is signed (before the leader signs, for a document with a `personal_certificate`);
    `recipient` and `reference` (e.g. the dossier code) go in the register too. With a
    `personal_certificate` (a leader's), the worker prepares the document for the leader's
    signature first (`document_sign_personal`), and the organisation signs after the leader."""

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
            "recipient": recipient[:300],
            "reference": reference[:60],
            "created_by": actor,
            "personal_certificate": None if draft else personal_certificate,
            "series": "" if draft else series,
            "draft": draft,
        },
    )
    if created:
        transaction.on_commit(lambda: enqueue(document))
    return document


def enqueue(document: Document) -> None:
    """Send the document to the worker: a document whose lines are read as it renders (a
    register, signing.sources) with the long time limits, any other with the usual ones."""
    from signing.tasks import render_and_sign_task

    if sources.provides(document.kind):
        render_and_sign_task.apply_async(
            (document.pk,),
            soft_time_limit=settings.DOCUMENT_LONG_SOFT_TIME_LIMIT,
            time_limit=settings.DOCUMENT_LONG_TIME_LIMIT,
        )
    else:
        render_and_sign_task.delay(document.pk)


def verify_url(document: Document) -> str:
    from django.urls import reverse

    return settings.SITE_URL + reverse("signing:verify", args=[document.verification_code])


def render_document(document: Document, *, signer: str, signed_at) -> bytes:
    """The document's PDF as it will be signed: its template over its content and what the
    signature adds (signer, time, the verification link and its QR). A document whose lines a
    provider gives (signing.sources: a register) is rendered in parts, any length."""
    context = _render_context(document, signer=signer, signed_at=signed_at)
    with override(settings.LANGUAGE_CODE):
        lines = sources.lines_of(document)
        if lines is not None:
            return render.render_parts(
                document.template, context, lines, part_lines=settings.DOCUMENT_PART_LINES
            )
        return render.render_pdf(render.render_html(document.template, context))


def _level(rows) -> str:
    """The PAdES level of a document signed now with these certificates (records), in order."""
    return ltv.reached(
        lasting=[ltv.cryptography_has_pointers(certificates.load_x509(row)) for row in rows],
        timestamped=bool(settings.SIGNING_TSA_URL),
        archived=settings.SIGNING_ARCHIVE_TIMESTAMP,
    )


def _fail(document: Document, message: str) -> Document:
    document.mark_failed(message)
    document.save(update_fields=["status", "error", "attempts"])
    logger.warning("document %s failed: %s", document.pk, message)
    return document


@transaction.atomic
def document_render_and_sign(*, document_id: int) -> Document | None:
    """Render, sign and store one document. Holds the row lock meanwhile, so a redelivered task
    skips it (and finds it done, or being done); a signed document is left as it is. Problems that a
    retry cannot fix (no usable certificate, no KEK, a broken template) are recorded on the
    document as `failed`; database errors propagate so that Celery retries."""
    document = (
        # The document's row only: locking the agency's too would make every other document of
        # the agency wait for this one's rendering.
        # SKIP LOCKED: a copy of the task (a redelivery, a sweep while it was still queued)
        # returns at once while another worker renders it, instead of waiting on the row for as
        # long as a long register takes.
        Document.objects.select_for_update(of=("self",), skip_locked=True)
        .select_related("agency")
        .filter(pk=document_id)
        .first()
    )
    if document is None or document.status != Document.Status.PENDING:
        return document
    document.attempts += 1
    if document.draft:
        return _render_draft(document)
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
    if document.personal_certificate_id:
        return _prepare_personal(document)
    started = time.perf_counter()
    signed_at = timezone.localtime().replace(microsecond=0)
    signer = certificates.signer_name(certificate)
    # Numbered before rendering, so that the number is printed: from here on the series' counter
    # stays locked until this transaction ends. A failure below that is recorded (_fail) keeps
    # the number for the retry; one that rolls back gives it back, never printed on a stored PDF.
    if document.series:
        numbering.number_assign(document=document, issued_at=signed_at, signer=signer)
    try:
        pdf = render_document(document, signer=signer, signed_at=signed_at)
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
    except (ltv.CertificateRevoked, ltv.CertificateUnusable) as exc:
        return _fail(document, str(exc))
    document.pdf.save(f"{document.verification_code}.pdf", ContentFile(signed), save=False)
    document.sha256 = certificates.sha256_hex(signed)
    document.pades_level = _level([certificate])
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


def _render_context(document: Document, *, signer: str, signed_at) -> dict:
    url = verify_url(document)
    return {
        **document.context,
        "document": document,
        "agency": document.agency,
        "signer": signer,
        "signed_at": signed_at,
        "signed_at_iso": signed_at.isoformat(),
        "verify_url": url,
        "qr_src": "qr:" + url,
        "document_number": document.number,
        # The date of issue printed with the number: the day the number was given.
        "issued_at": NumberEntry.objects.filter(document=document)
        .values_list("issued_at", flat=True)
        .first()
        if document.number
        else None,
        "draft": document.draft,
    }


def _render_draft(document: Document) -> Document:
    """A draft: the document as it will read, marked DỰ THẢO on every page, with no number and
    no signature (the signature block left empty)."""
    try:
        pdf = render_document(document, signer="", signed_at=timezone.localtime())
    except TemplateDoesNotExist as exc:
        return _fail(document, _("Unknown document template %(name)s.") % {"name": exc})
    document.pdf.save(f"{document.verification_code}.pdf", ContentFile(pdf), save=False)
    document.sha256 = certificates.sha256_hex(pdf)
    document.mark_rendered()
    document.save()
    return document


def _personal_problems(document: Document) -> list[str]:
    personal = document.personal_certificate
    if not personal.is_active:
        return [_("The leader's personal certificate has been deactivated.")]
    return certificates.usability_errors(certificates.load_x509(personal))


def _prepare_personal(document: Document) -> Document:
    """The final document, rendered once and prepared for the leader's signature: the field
    with the leader's signature image where the template put `sig-personal`, and the bytes the
    leader's key will sign. The document then waits (awaiting_signature) for the leader."""
    from signing import devices

    problems = _personal_problems(document)
    if problems:
        return _fail(document, " ".join(problems))
    personal = document.personal_certificate
    signed_at = timezone.localtime().replace(microsecond=0)
    signer = certificates.personal_signer_name(personal)
    if document.series:  # the number is on the paper the leader signs
        numbering.number_assign(document=document, issued_at=signed_at, signer=signer)
    context = _render_context(document, signer=signer, signed_at=signed_at)
    context["personal_signer"] = True  # the template leaves the leader's signature its space
    try:
        with override(settings.LANGUAGE_CODE):
            html = render.render_html(document.template, context)
        pdf, areas = render.render_pdf_with_areas(html)
        if "sig-personal" not in areas:
            return _fail(
                document,
                _("The template %(name)s has no place for the leader's signature (sig-personal).")
                % {"name": document.template},
            )
        page, box = areas["sig-personal"]
        org_page, org_box = areas.get("sig-org") or (page, pdfsign.seal_box(tuple(box)))
        image = personal.signature_image.read() if personal.signature_image else None
        if personal.signature_image:
            personal.signature_image.close()
        prepared, state, to_be_signed = pdfsign.prepare_personal(
            pdf,
            certificate_pem=personal.certificate_pem,
            chain_pem=personal.chain_pem,
            mechanism=devices.signature_mechanism(personal),
            page=page,
            box=box,
            image_png=image,
            reason=document.title,
            location=document.agency.name,
            org_page=org_page,
            org_box=org_box,
        )
    except TemplateDoesNotExist as exc:
        return _fail(document, _("Unknown document template %(name)s.") % {"name": exc})
    except devices.DeviceError as exc:
        return _fail(document, str(exc.message))
    document.prepared_pdf.save(
        f"{document.verification_code}-prepared.pdf", ContentFile(prepared), save=False
    )
    state["areas"] = {name: [page, list(box)] for name, (page, box) in areas.items()}
    document.prepared_digest = state
    document.to_be_signed = to_be_signed
    document.mark_prepared()
    document.save()
    logger.info("document %s prepared for the leader's signature", document.pk)
    return document


def document_sign_personal(*, document: Document, actor, pin: str) -> Document:
    """The leader signs the prepared document with the token's PIN, in the request: one login
    and one signature of the prepared bytes (a few ms); the worker then embeds it and adds the
    organisation's signature (`document_finish`, on commit). Only the certificate's holder may
    sign; the row lock makes a second submit, or a second leader, wait and then find the
    document signed ("stale"). A wrong PIN or a locked token changes nothing."""
    from signing import devices
    from signing.tasks import finish_document_task

    with transaction.atomic():
        document = (
            Document.objects.select_for_update(of=("self",))
            .select_related("personal_certificate__user")
            .get(pk=document.pk)
        )
        personal = document.personal_certificate
        if personal is None or personal.user_id != actor.pk:
            raise PermissionDenied(_("Only the leader who approved this document signs it."))
        if document.status != Document.Status.AWAITING_SIGNATURE:
            raise ValidationError(
                _("This document is no longer waiting for a signature: it has been signed."),
                code="stale",
            )
        problems = _personal_problems(document)
        if problems:
            # The certificate became unusable after the document was prepared: recorded as
            # failed (it keeps its number), for the agency to retry once the leader has a
            # certificate in force (document_retry prepares it again).
            document.mark_failed(" ".join(problems))
            document.save(update_fields=["status", "error"])
        else:
            try:
                signature = devices.sign(personal, bytes(document.to_be_signed), pin=pin)
            except devices.DeviceError as exc:
                raise ValidationError(
                    {"pin": ValidationError(exc.message, code=exc.code)}
                ) from None
            signer = certificates.personal_signer_name(personal)
            document.receive_signature(signature, signer=signer)
            document.save()
            transaction.on_commit(lambda: finish_document_task.delay(document.pk))
    if problems:
        raise ValidationError(" ".join(problems), code="unusable")
    return document


@transaction.atomic
def document_finish(*, document_id: int) -> Document | None:
    """In the worker, after the leader signed: the leader's CMS signature into the prepared PDF,
    then the organisation's signature as a second revision with the seal over the left third of
    the leader's image. A rerun finds the document signed and leaves it."""
    document = (
        Document.objects.select_for_update(of=("self",))
        .select_related("agency", "personal_certificate")
        .filter(pk=document_id)
        .first()
    )
    if document is None or document.status != Document.Status.SIGNATURE_RECEIVED:
        return document
    document.attempts += 1
    certificate = certificates.certificate_for_signing(document.agency)
    if certificate is None:
        return _fail(document, _("The agency has no signing certificate in force."))
    problems = certificates.usability_errors(certificates.load_x509(certificate))
    if problems:
        return _fail(document, " ".join(problems))
    personal = document.personal_certificate
    state = document.prepared_digest
    with document.prepared_pdf.open("rb") as handle:
        prepared = handle.read()
    signed_at = timezone.localtime().replace(microsecond=0)
    try:
        personally_signed = pdfsign.finish_personal(
            prepared,
            state=state,
            to_be_signed=bytes(document.to_be_signed),
            signature=bytes(document.personal_signature),
            certificate_pem=personal.certificate_pem,
            chain_pem=personal.chain_pem,
        )
        page, personal_box = state["areas"]["sig-personal"]
        if "sig-org" in state["areas"]:
            page, org_box = state["areas"]["sig-org"]
            box = tuple(round(v) for v in org_box)
        else:
            box = pdfsign.seal_box(tuple(personal_box))
        seal = certificate.seal_image.read() if certificate.seal_image else None
        if certificate.seal_image:
            certificate.seal_image.close()
        signed = pdfsign.seal_pdf(
            personally_signed,
            certificate=certificate,
            reason=document.title,
            location=document.agency.name,
            page=page,
            box=box,
            seal_png=seal,
            lines=[f"Ký bởi: {document.agency.name}", f"Thời gian ký: {signed_at.isoformat()}"],
        )
    except keys.KekMissing as exc:
        return _fail(document, str(exc))
    except InvalidTag:
        return _fail(document, _("The signing key cannot be decrypted with SIGNING_KEK."))
    except (ltv.CertificateRevoked, ltv.CertificateUnusable) as exc:
        return _fail(document, str(exc))
    document.pdf.save(f"{document.verification_code}.pdf", ContentFile(signed), save=False)
    document.sha256 = certificates.sha256_hex(signed)
    document.pades_level = _level([personal, certificate])
    document.certificate = certificate
    document.certificate_serial = certificate.serial
    document.signer = certificates.signer_name(certificate)
    document.signed_at = signed_at
    document.mark_signed()
    document.save()
    transaction.on_commit(lambda: document_signed.send(sender=Document, document=document))
    logger.info("document %s signed by the leader and the agency", document.pk)
    return document


HANDED_OVER = (Document.Status.AWAITING_SIGNATURE, Document.Status.FAILED)


@transaction.atomic
def document_hand_over(
    *, document: Document, personal_certificate, title: str, context: dict
) -> Document:
    """The leader who approved a result has not signed it (gone, on leave, their certificate
    withdrawn): it is prepared again for another leader, with their certificate (or none: the
    agency signs alone) and the content naming them as the signer. It keeps its number and
    date of issue (numbering.number_assign); the first leader can no longer sign it.
    Precondition: the caller checked that the actor may approve the owner's result."""
    document = (
        Document.objects.select_for_update(of=("self",))
        .select_related("personal_certificate__user")
        .get(pk=document.pk)
    )
    if document.status not in HANDED_OVER or document.personal_certificate_id is None:
        raise ValidationError(
            _("This document is no longer waiting for a leader's signature."), code="stale"
        )
    if document.prepared_pdf:
        document.prepared_pdf.delete(save=False)
    document.personal_certificate = personal_certificate
    document.title = title[:300]
    document.context = context
    document.hand_over()
    document.save()
    transaction.on_commit(lambda: enqueue(document))
    return document


@transaction.atomic
def document_retry(*, document: Document) -> Document:
    """Put a failed document back in the queue (after the agency fixed its certificate). A
    result waiting for a leader whose certificate lapsed is prepared again with the leader's
    certificate now in force (a renewed one), keeping its number; with none, it fails again
    with the reason."""
    document = (
        Document.objects.select_for_update(of=("self",))
        .select_related("personal_certificate__user")
        .get(pk=document.pk)
    )
    if document.status == Document.Status.FAILED:
        if document.personal_certificate_id and _personal_problems(document):
            current = certificates.personal_certificate_for(document.personal_certificate.user)
            if current is not None:
                document.personal_certificate = current
        document.retry()
        document.save(update_fields=["status", "error", "personal_certificate"])
        transaction.on_commit(lambda: enqueue(document))
    return document

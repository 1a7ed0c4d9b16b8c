"""Is this PDF one we issued, unchanged, signed with a valid signature from a trusted
certificate? Each answer is one verdict, with what exactly is wrong."""

import io
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from signing.certificates import sha256_hex
from signing.models import Document
from signing.trust import _trust_roots, trust_roots  # noqa: F401  (verify.trust_roots, here too)

MAX_UPLOAD_BYTES = 20 * 1024 * 1024

AUTHENTIC = "authentic"
NOT_PDF = "not_pdf"
UNSIGNED = "unsigned"
MODIFIED = "modified"
UNTRUSTED = "untrusted"
NOT_ISSUED = "not_issued"
NOT_SIGNED_YET = "not_signed_yet"
REVOKED = "revoked"
NOT_LONG_TERM = "not_long_term"
UNAVAILABLE = "unavailable"  # a revocation status could not be fetched now: never cached

UNKNOWN_CODE = _("No document has this verification code. Check the code on the paper.")

MESSAGES = {
    AUTHENTIC: _(
        "Authentic: this is a document issued by the portal, unchanged since it was signed, with a "
        "valid signature from a trusted certificate."
    ),
    NOT_PDF: _("This file is not a PDF document that can be read."),
    UNSIGNED: _("This PDF carries no digital signature, and it is not a document we issued."),
    MODIFIED: _(
        "This PDF has been changed after it was signed: its signature no longer matches its "
        "content. Do not rely on it."
    ),
    UNTRUSTED: _(
        "The signature is intact, but it was made with a certificate that this portal does not "
        "trust. It is not a document we issued."
    ),
    NOT_ISSUED: _(
        "The signature is valid and trusted, but this portal has no record of issuing this file."
    ),
    REVOKED: _(
        "The signature was made with a certificate that had been revoked: it is not valid. Do "
        "not rely on this document."
    ),
    UNAVAILABLE: _(
        "This document could not be fully checked right now: the revocation status of a "
        "certificate could not be fetched. Try again in a few minutes."
    ),
    NOT_LONG_TERM: _(
        "The signature is intact, but its certificate has expired and the document carries no "
        "timestamp and revocation data proving that it was valid when the document was signed: "
        "it cannot be validated any more. Ask the issuing agency for a newly signed copy."
    ),
}


@dataclass
class SignatureReport:
    """One signature of a PDF: who, with which certificate, when, and whether it holds."""

    field: str
    signer: str
    certificate_serial: str
    issuer: str
    signed_at: str
    intact: bool
    valid: bool
    trusted: bool
    long_term: bool = False  # validated at the time its timestamp proves (it does not hold today)
    revoked: bool = False
    signer_name: str = ""  # the common names, for people (signer and issuer are the full names)
    issuer_name: str = ""
    signed_at_text: str = ""  # the time it says, in Vietnam's time, as people read it

    @property
    def ok(self) -> bool:
        return self.intact and self.valid and self.trusted


@dataclass
class Verdict:
    code: str
    message: str
    document: Document | None = None
    signer: str = ""
    signed_at: str = ""
    sha256: str = ""
    details: list[str] = field(default_factory=list)
    signatures: list[SignatureReport] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.code == AUTHENTIC


def verify_pdf(data: bytes) -> Verdict:
    """The verdict on a PDF: each signature validated (the leader's, then the organisation's,
    Decree 30/2020), and the file's own record. A signature with a timestamp is validated
    long-term (signing.ltv: at the time its timestamps prove, with the revocation data in the
    document's DSS), so that it stays valid after its certificate expires and reads "revoked"
    when it was made after a revocation; one without (PAdES B-B) at today's date."""
    from pyhanko.pdf_utils.misc import PdfReadError
    from pyhanko.pdf_utils.reader import PdfFileReader

    digest = sha256_hex(data)
    # Ours: the file as stored, or as it was before its archive timestamp was renewed.
    ours = (
        Document.objects.filter(sha256=digest, status=Document.Status.SIGNED).first()
        or Document.objects.filter(earlier__sha256=digest, status=Document.Status.SIGNED).first()
    )
    if not data.startswith(b"%PDF"):
        return Verdict(NOT_PDF, str(MESSAGES[NOT_PDF]), sha256=digest)
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        signatures = reader.embedded_regular_signatures
    except (PdfReadError, ValueError, KeyError, TypeError, IndexError) as exc:
        return Verdict(NOT_PDF, str(MESSAGES[NOT_PDF]), sha256=digest, details=[type(exc).__name__])
    if not signatures:
        return Verdict(UNSIGNED, str(MESSAGES[UNSIGNED]), sha256=digest)
    reports, statuses, findings = [], [], []
    for signature in signatures:  # the leader's, then the organisation's (Decree 30/2020)
        try:
            status, finding, long_term = _validate(signature)
        except _network_errors() as exc:  # a responder away: no verdict on the document
            return Verdict(
                UNAVAILABLE, str(MESSAGES[UNAVAILABLE]), sha256=digest, details=[type(exc).__name__]
            )
        except Exception as exc:  # a mangled signature raises all kinds of errors: it is broken
            return Verdict(
                MODIFIED, str(MESSAGES[MODIFIED]), sha256=digest, details=[type(exc).__name__]
            )
        statuses.append(status)
        findings.append(finding)
        reports.append(_report(signature, status, finding, long_term))
    status = statuses[-1]
    signer = status.signing_cert.subject.human_friendly if status.signing_cert else ""
    signed_at = status.signer_reported_dt.isoformat() if status.signer_reported_dt else ""
    common = {"sha256": digest, "signer": signer, "signed_at": signed_at, "signatures": reports}
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    if not all(s.intact and s.valid for s in statuses) or MODIFIED in findings:
        return Verdict(MODIFIED, str(MESSAGES[MODIFIED]), **common)
    # The last signature covers the whole file but for what PAdES adds after it (the DSS and
    # document timestamps); each earlier one is followed only by later signatures (pyHanko's
    # difference analysis: nothing but a new signature and its seal, and DocMDP respected).
    last = signatures[-1]
    if (
        status.coverage != SignatureCoverageLevel.ENTIRE_FILE
        and not _only_long_term_data_after(data, reader, last, status)
    ) or not all(_only_signatures_after(s) for s in statuses[:-1]):
        return Verdict(
            MODIFIED, str(MESSAGES[MODIFIED]), details=["content added after signing"], **common
        )
    if REVOKED in findings:
        return Verdict(REVOKED, str(MESSAGES[REVOKED]), **common)
    if UNAVAILABLE in findings:
        return Verdict(UNAVAILABLE, str(MESSAGES[UNAVAILABLE]), **common)
    if NOT_LONG_TERM in findings:
        return Verdict(NOT_LONG_TERM, str(MESSAGES[NOT_LONG_TERM]), **common)
    if not all(finding == AUTHENTIC for finding in findings):
        return Verdict(UNTRUSTED, str(MESSAGES[UNTRUSTED]), **common)
    if ours is None:
        return Verdict(NOT_ISSUED, str(MESSAGES[NOT_ISSUED]), **common)
    return Verdict(AUTHENTIC, str(MESSAGES[AUTHENTIC]), document=ours, **common)


def _network_errors() -> tuple[type[BaseException], ...]:
    import asyncio

    import aiohttp

    return (OSError, TimeoutError, asyncio.TimeoutError, aiohttp.ClientError)


# Why a chain does not hold that no later evidence can mend: it does not reach a trusted root.
_NO_CHAIN = ("NO_CERTIFICATE_CHAIN_FOUND", "CHAIN_CONSTRAINTS_FAILURE")


def _validate(signature) -> tuple[object, str, bool]:
    """pyHanko's status of one signature and what it means here: AUTHENTIC (valid and
    trusted), REVOKED, NOT_LONG_TERM, UNAVAILABLE, MODIFIED or UNTRUSTED; and whether it was
    validated long-term.

    First offline, at today's date, with the certificates the file carries: nothing is fetched
    for a file whose chain does not reach a trusted root (an uploaded PDF chooses its
    certificates' URLs: fetching them would let anyone make the portal call any address). A
    chain that reaches one is then checked for revocation where its (trusted) CA says. A
    signature that does not hold today (its certificate expired or revoked since) and carries a
    timestamp is validated long-term (ETSI EN 319 102-1 through pyHanko's AdES engine: at the
    time its timestamps prove, with the revocation data in the document's DSS): valid then, it
    is valid; made after a revocation, it is revoked. One without a timestamp (PAdES B-B)
    cannot be: nothing proves when it was made."""
    from django.utils import timezone
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    from signing import ltv

    certificate = signature.signer_cert
    offline = validate_pdf_signature(
        signature,
        ValidationContext(trust_roots=list(trust_roots()), allow_fetching=False),
    )
    if not (offline.intact and offline.valid):
        return offline, MODIFIED, False
    problem = getattr(offline.trust_problem_indic, "name", "")
    if problem in _NO_CHAIN:
        return offline, UNTRUSTED, False
    status = offline
    if ltv.has_pointers(certificate):
        status = validate_pdf_signature(
            signature,
            ValidationContext(
                trust_roots=list(trust_roots()), allow_fetching=True, revocation_mode="soft-fail"
            ),
        )
    if status.trusted and not status.revoked:
        return status, AUTHENTIC, False
    if ltv.timestamped(signature):
        return (*_validate_long_term(signature, status), True)
    if status.revoked:
        return status, REVOKED, False
    if certificate.not_valid_after < timezone.now():
        return status, NOT_LONG_TERM, False
    return status, UNTRUSTED, False


def _validate_long_term(signature, today) -> tuple[object, str]:
    from pyhanko.sign.ades.report import AdESFailure, AdESIndeterminate, AdESPassed

    from signing import ltv

    result = ltv.validate(signature)
    status, indication = result.api_status or today, result.ades_subindic
    if indication == AdESPassed.OK:
        return status, AUTHENTIC
    if indication in (
        AdESFailure.REVOKED,
        AdESIndeterminate.REVOKED_NO_POE,
        AdESIndeterminate.REVOKED_CA_NO_POE,
    ):
        return status, REVOKED
    if indication in (AdESFailure.HASH_FAILURE, AdESFailure.SIG_CRYPTO_FAILURE):
        return status, MODIFIED
    if today.revoked:
        return status, REVOKED
    if indication in (
        AdESIndeterminate.OUT_OF_BOUNDS_NO_POE,
        AdESIndeterminate.OUT_OF_BOUNDS_NOT_REVOKED,
        AdESIndeterminate.NO_POE,
        AdESIndeterminate.EXPIRED,
    ):
        return status, NOT_LONG_TERM
    if indication in (
        AdESIndeterminate.TRY_LATER,
        AdESIndeterminate.CERTIFICATE_CHAIN_GENERAL_FAILURE,
    ):
        # Revocation data that could not be had now (a responder away): say so, not "forged".
        return status, UNAVAILABLE
    return status, UNTRUSTED


def _only_long_term_data_after(data: bytes, reader, signature, status) -> bool:
    """What follows the last signature is only what PAdES B-LT/B-LTA adds: whole revisions
    (the file ends with one) that pyHanko's difference analysis sees as DSS updates and
    document timestamps, nothing else."""
    from pyhanko.sign.diff_analysis import ModificationLevel
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    return (
        reader.xrefs.total_revisions > signature.signed_revision + 1
        and _nothing_after_the_last_revision(data, reader)
        and status.coverage >= SignatureCoverageLevel.ENTIRE_REVISION
        and status.modification_level is not None
        and status.modification_level <= ModificationLevel.LTA_UPDATES
    )


def _nothing_after_the_last_revision(data: bytes, reader) -> bool:
    """Every byte of the file belongs to a revision pyHanko read: one `startxref` per revision
    (bytes appended with a trailer of their own pointing back at an earlier xref would be
    skipped by a reader, unseen by the difference analysis) and nothing but whitespace after
    the last `%%EOF`."""
    return data.count(b"startxref") == reader.xrefs.total_revisions and data.rstrip(
        b"\r\n\t\0 "
    ).endswith(b"%%EOF")


def _only_signatures_after(status) -> bool:
    """An earlier signature of a document signed twice: what came after it is only form
    filling (a signature field with its appearance), as pyHanko's difference analysis sees."""
    from pyhanko.sign.diff_analysis import ModificationLevel
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    return status.coverage >= SignatureCoverageLevel.ENTIRE_REVISION and (
        status.modification_level is not None
        and status.modification_level <= ModificationLevel.FORM_FILLING
    )


def _common_name(name) -> str:
    return name.native.get("common_name") or name.human_friendly


def _report(signature, status, finding: str, long_term: bool) -> SignatureReport:
    from django.utils import timezone

    cert = status.signing_cert
    when = status.signer_reported_dt
    return SignatureReport(
        long_term=long_term,
        signed_at_text=timezone.localtime(when).strftime("%H:%M:%S %d/%m/%Y") if when else "",
        revoked=finding == REVOKED,
        field=signature.field_name,
        signer=cert.subject.human_friendly if cert else "",
        certificate_serial=format(cert.serial_number, "x") if cert else "",
        issuer=cert.issuer.human_friendly if cert else "",
        signer_name=_common_name(cert.subject) if cert else "",
        issuer_name=_common_name(cert.issuer) if cert else "",
        signed_at=status.signer_reported_dt.isoformat() if status.signer_reported_dt else "",
        intact=bool(status.intact),
        valid=bool(status.valid),
        trusted=finding == AUTHENTIC,
    )

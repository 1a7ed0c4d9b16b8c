"""Is this PDF one we issued, unchanged, signed with a valid signature from a trusted
certificate? Each answer is one verdict, with what exactly is wrong."""

import functools
import io
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from signing.certificates import sha256_hex
from signing.models import Document

MAX_UPLOAD_BYTES = 20 * 1024 * 1024

AUTHENTIC = "authentic"
NOT_PDF = "not_pdf"
UNSIGNED = "unsigned"
MODIFIED = "modified"
UNTRUSTED = "untrusted"
NOT_ISSUED = "not_issued"
NOT_SIGNED_YET = "not_signed_yet"

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


@functools.cache
def _trust_roots(paths: tuple[str, ...]):
    from asn1crypto import pem, x509

    roots = []
    for path in paths:
        try:
            data = open(path, "rb").read()  # noqa: SIM115
        except OSError:
            continue
        for _type, _headers, der in pem.unarmor(data, multiple=True):
            roots.append(x509.Certificate.load(der))
    return tuple(roots)


def trust_roots():
    return _trust_roots(tuple(settings.SIGNING_TRUST_ROOTS))


def verify_pdf(data: bytes) -> Verdict:
    from pyhanko.pdf_utils.misc import PdfReadError
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    digest = sha256_hex(data)
    ours = Document.objects.filter(sha256=digest, status=Document.Status.SIGNED).first()
    if not data.startswith(b"%PDF"):
        return Verdict(NOT_PDF, str(MESSAGES[NOT_PDF]), sha256=digest)
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        signatures = reader.embedded_signatures
    except (PdfReadError, ValueError, KeyError, TypeError, IndexError) as exc:
        return Verdict(NOT_PDF, str(MESSAGES[NOT_PDF]), sha256=digest, details=[type(exc).__name__])
    if not signatures:
        return Verdict(UNSIGNED, str(MESSAGES[UNSIGNED]), sha256=digest)
    context = ValidationContext(trust_roots=list(trust_roots()), allow_fetching=False)
    reports, statuses = [], []
    for signature in signatures:  # the leader's, then the organisation's (Decree 30/2020)
        try:
            status = validate_pdf_signature(signature, context)
        except Exception as exc:  # a mangled signature raises all kinds of errors: it is broken
            return Verdict(
                MODIFIED, str(MESSAGES[MODIFIED]), sha256=digest, details=[type(exc).__name__]
            )
        statuses.append(status)
        reports.append(_report(signature, status))
    status = statuses[-1]
    signer = status.signing_cert.subject.human_friendly if status.signing_cert else ""
    signed_at = status.signer_reported_dt.isoformat() if status.signer_reported_dt else ""
    common = {"sha256": digest, "signer": signer, "signed_at": signed_at, "signatures": reports}
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    if not all(s.intact and s.valid for s in statuses):
        return Verdict(MODIFIED, str(MESSAGES[MODIFIED]), **common)
    # The last signature covers the whole file; each earlier one is followed only by later
    # signatures (pyHanko's difference analysis: nothing but a new signature and its seal).
    if status.coverage != SignatureCoverageLevel.ENTIRE_FILE or not all(
        _only_signatures_after(s) for s in statuses[:-1]
    ):
        return Verdict(
            MODIFIED, str(MESSAGES[MODIFIED]), details=["content added after signing"], **common
        )
    if not all(s.trusted for s in statuses):
        return Verdict(UNTRUSTED, str(MESSAGES[UNTRUSTED]), **common)
    if ours is None:
        return Verdict(NOT_ISSUED, str(MESSAGES[NOT_ISSUED]), **common)
    return Verdict(AUTHENTIC, str(MESSAGES[AUTHENTIC]), document=ours, **common)


def _only_signatures_after(status) -> bool:
    """An earlier signature of a document signed twice: what came after it is only form
    filling (a signature field with its appearance), as pyHanko's difference analysis sees."""
    from pyhanko.sign.diff_analysis import ModificationLevel
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    return status.coverage >= SignatureCoverageLevel.ENTIRE_REVISION and (
        status.modification_level is not None
        and status.modification_level <= ModificationLevel.FORM_FILLING
    )


def _report(signature, status) -> SignatureReport:
    cert = status.signing_cert
    return SignatureReport(
        field=signature.field_name,
        signer=cert.subject.human_friendly if cert else "",
        certificate_serial=format(cert.serial_number, "x") if cert else "",
        issuer=cert.issuer.human_friendly if cert else "",
        signed_at=status.signer_reported_dt.isoformat() if status.signer_reported_dt else "",
        intact=bool(status.intact),
        valid=bool(status.valid),
        trusted=bool(status.trusted),
    )

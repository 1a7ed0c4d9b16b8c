"""PAdES signatures with pyHanko: baseline B-B, or B-T with an RFC 3161 timestamp server."""

import functools
import io

from django.conf import settings

from signing import certificates
from signing.models import SigningCertificate

FIELD_NAME = "ChuKySoCoQuan"  # the organisation's signature (Decree 30/2020)


def _timestamper():
    if not settings.SIGNING_TSA_URL:
        return None
    return _timestamper_for(settings.SIGNING_TSA_URL)


@functools.cache
def _timestamper_for(url: str):
    """One timestamper per server and process: it remembers the size of a token, so only the
    first signature pays pyHanko's extra sizing request."""
    from pyhanko.sign.timestamps import HTTPTimeStamper

    return HTTPTimeStamper(url, timeout=10)


def sign_pdf(pdf: bytes, *, certificate: SigningCertificate, reason: str, location: str) -> bytes:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason[:200],
        location=location[:200],
    )
    signer = signers.PdfSigner(
        meta,
        signer=certificates.load_signer(certificate),
        timestamper=_timestamper(),
        new_field_spec=fields.SigFieldSpec(sig_field_name=FIELD_NAME),
    )
    out = io.BytesIO()
    # A fixed reservation for the CMS container: without it pyHanko signs twice, once only to
    # measure the container (half the cost of a signature). ECDSA/RSA-2048 with a short chain
    # fit in 8 KB; a timestamp token adds a few KB more.
    reserved = 16384 if settings.SIGNING_TSA_URL else 8192
    signer.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf)), output=out, bytes_reserved=reserved)
    return out.getvalue()

"""PAdES signatures with pyHanko: baseline B-B, or B-T with an RFC 3161 timestamp server."""

import functools
import hashlib
import io

from django.conf import settings

from signing import certificates, images, ltv, runner
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


@functools.cache
def _pades_attributes_class():
    """The signed attributes of a PAdES baseline signature, shared by the agency's signer
    (`_signer_class`) and the leader's (`_external_signer`)."""
    from asn1crypto import tsp
    from pyhanko.sign import attributes, general
    from pyhanko.sign.signers.pdf_cms import SignedAttributeProviderSpec

    class Fixed(attributes.CMSAttributeProvider):
        def __init__(self, attribute_type: str, value):
            self.attribute_type = attribute_type
            self.value = value

        async def build_attr_value(self, dry_run=False):
            return self.value

    class PadesSignedAttributes(SignedAttributeProviderSpec):
        """The signed attributes of a PAdES baseline signature besides content-type and
        message-digest (which pyHanko adds itself): signing-certificate-v2, and no signing-time
        (PAdES puts the time in the signature dictionary). It replaces pyHanko's CAdES spec,
        so CAdES extras (commitment type, signature policy, content timestamp) would have to be
        added here; `_sign` asks for none. Built once, then reloaded from its DER: asn1crypto
        re-encodes a value built from Python objects every time anything containing it is
        encoded (this attribute was 60% of a signature's cost), a parsed one not."""

        def __init__(self, signing_cert):
            value = general.as_signing_certificate_v2(signing_cert)
            self.providers = (
                Fixed("signing_certificate_v2", tsp.SigningCertificateV2.load(value.dump())),
            )

        def signed_attr_providers(self, data_digest, digest_algorithm):
            return iter(self.providers)

    return PadesSignedAttributes


@functools.cache
def _signer_class():
    """pyHanko's SimpleSigner, with what is the same for every signature by one certificate made
    once per worker process instead of once per signature (pyHanko imported lazily)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, padding
    from pyhanko.sign import signers
    from pyhanko_certvalidator.util import get_pyca_cryptography_hash

    PadesSignedAttributes = _pades_attributes_class()

    class Signer(signers.SimpleSigner):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.signed_attr_prov_spec = PadesSignedAttributes(self.signing_cert)
            # pyHanko loads the private key again for every signature: 26 ms for RSA-2048 (the
            # key is checked on load), the usual key size of an agency's certificate.
            self.private_key = serialization.load_der_private_key(
                self.signing_key.dump(), password=None
            )

        def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
            mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
            try:
                name = mechanism.signature_algo
            except ValueError:
                name = mechanism["algorithm"].native
            hash_algorithm = get_pyca_cryptography_hash(digest_algorithm)
            if name == "rsassa_pkcs1v15":
                return self.private_key.sign(data, padding.PKCS1v15(), hash_algorithm)
            if name == "ecdsa":
                return self.private_key.sign(data, ec.ECDSA(hash_algorithm))
            return super().sign_raw(data, digest_algorithm)  # other mechanisms, as pyHanko does

    return Signer


def make_signer(*, certificate, private_key, chain):
    """The signer of one certificate (asn1crypto values), for `sign_pdf`."""
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    return _signer_class()(
        signing_cert=certificate,
        signing_key=private_key,
        cert_registry=SimpleCertificateStore.from_certs(chain),
    )


def sign_pdf(pdf: bytes, *, certificate: SigningCertificate, reason: str, location: str) -> bytes:
    signer = certificates.load_signer(certificate)
    return runner.run(_sign, pdf, signer=signer, reason=reason, location=location)


# What pyHanko raises when the chain cannot be validated before signing (a responder that does
# not answer, a revoked certificate): signing.ltv.explain says which.
def _validation_errors() -> tuple[type[BaseException], ...]:
    from pyhanko.sign.general import SigningError
    from pyhanko_certvalidator.errors import PathBuildingError, PathValidationError

    return (SigningError, PathValidationError, PathBuildingError, OSError, TimeoutError)


def _has_field(reader, name: str) -> bool:
    from pyhanko.sign import fields

    return any(
        field_name == name
        for field_name, _value, _ref in fields.enumerate_sig_fields(reader, filled_status=False)
    )


def _sign(pdf: bytes, *, signer, reason: str, location: str, appearance=None) -> bytes:
    """One PAdES signature as a new revision. The first signature of a document certifies it
    (DocMDP, ISO 32000-1 § 12.8.2.2) with permission 2: what may follow is filling in forms and
    signing (the organisation's seal after the leader, and the DSS and document timestamps,
    which PAdES always allows); anything else (an overlay, a page replaced) invalidates the
    certification. When the signer's certificate points at its revocation services, its chain's
    revocation data (and the TSA's) goes into the DSS (B-LT), followed by a document timestamp
    when a TSA is configured (B-LTA); a responder that does not answer raises
    ltv.RevocationUnavailable, a revoked certificate ltv.CertificateRevoked."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    long_term = ltv.wanted([signer.signing_cert])
    timestamper = _timestamper()
    archived = long_term and timestamper is not None and settings.SIGNING_ARCHIVE_TIMESTAMP
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason[:200],
        location=location[:200],
        certify=not writer.prev.embedded_signatures,
        docmdp_permissions=fields.MDPPerm.FILL_FORMS,
        embed_validation_info=long_term,
        validation_context=ltv.signing_context(signer.cert_registry) if long_term else None,
        use_pades_lta=archived,
    )
    field = fields.SigFieldSpec(sig_field_name=FIELD_NAME)
    style = None
    if appearance is not None:  # (page, box, the seal's image): a visible seal
        page, box, image = appearance
        field = fields.SigFieldSpec(sig_field_name=FIELD_NAME, on_page=page, box=box)
        style = _image_style(image) if image else None
    if _has_field(writer.prev, FIELD_NAME):
        # Placed, empty, when the leader's signature certified the document: a new visible
        # field after a certification would break it (DocMDP); filling this one in does not.
        field = None
    pdf_signer = signers.PdfSigner(
        meta,
        signer=signer,
        timestamper=timestamper,
        new_field_spec=field,
        stamp_style=style,
    )
    out = io.BytesIO()
    # A fixed reservation for the CMS container: without it pyHanko signs twice, once only to
    # measure the container (half the cost of a signature). ECDSA/RSA-2048 with a short chain
    # fit in 8 KB; a timestamp token adds a few KB more.
    reserved = 16384 if settings.SIGNING_TSA_URL else 8192
    try:
        pdf_signer.sign_pdf(writer, output=out, bytes_reserved=reserved)
    except _validation_errors() as exc:
        if not long_term:
            raise
        raise ltv.explain(exc) from exc
    return out.getvalue()


# --- Two signatures (Decree 30/2020 Art. 5): the leader's, then the organisation's ----------------

PERSONAL_FIELD_NAME = "ChuKySoCaNhan"  # the competent person's signature
SEAL_MM = 36  # the seal's actual size
MM = 72 / 25.4  # PDF points per millimetre


def seal_box(personal: tuple[float, float, float, float]) -> tuple[int, int, int, int]:
    """Where the organisation's seal goes: its actual size, over the left third of the personal
    signature image (Decree 30/2020 Appendix I), centred on it vertically."""
    x1, y1, x2, y2 = personal
    size = SEAL_MM * MM
    right = x1 + (x2 - x1) / 3
    middle = (y1 + y2) / 2
    return (round(right - size), round(middle - size / 2), round(right), round(middle + size / 2))


def _image_style(image):
    """A signature appearance that is a transparent image, PNG bytes or a Pillow image (drawn
    with its text, if any, by signing.images: pyHanko's own text needs a font stack we do not
    ship)."""
    from pyhanko.pdf_utils.images import PdfImage
    from pyhanko.stamp import StaticStampStyle

    if isinstance(image, bytes):  # a stored image (the leader's): encoded once per process
        background = _prebuilt_image(hashlib.sha256(image).digest(), image)
    else:
        background = PdfImage(image.convert("RGBA"))
    return StaticStampStyle(
        background=background,
        background_opacity=1.0,
        border_width=0,
    )


_prebuilt: dict = {}  # the image's SHA-256 -> (Pillow image, its XObject streams' dict and data)


def _prebuilt_image(digest: bytes, png: bytes):
    """A PdfImage of a stored PNG whose image XObject and soft mask are decoded, split and
    compressed once per process (keyed by the PNG's SHA-256) instead of for every document:
    each document's writer gets new stream objects around the same encoded bytes, the objects
    pyHanko's `pil_image` would have written. Only the documents thread uses them."""
    from PIL import Image
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.images import PdfImage, pil_image
    from pyhanko.pdf_utils.writer import PdfFileWriter

    entry = _prebuilt.get(digest)
    if entry is None:
        image = Image.open(io.BytesIO(png)).convert("RGBA")
        scratch = PdfFileWriter()
        main = pil_image(image, scratch).get_object()
        mask = main["/SMask"].get_object()
        streams = [(dict(stream), stream.encoded_data) for stream in (mask, main)]
        if len(_prebuilt) >= 64:
            _prebuilt.clear()
        entry = _prebuilt[digest] = (image, streams)
    image, ((mask_dict, mask_data), (main_dict, main_data)) = entry

    class Prebuilt(PdfImage):
        @property
        def image_ref(self):
            ref = self._image_ref
            if ref is None or ref.get_pdf_handler() is not self.writer:
                mask = self.writer.add_object(
                    generic.StreamObject(dict(mask_dict), encoded_data=mask_data)
                )
                main = generic.StreamObject(dict(main_dict), encoded_data=main_data)
                main[generic.pdf_name("/SMask")] = mask
                self._image_ref = ref = self.writer.add_object(main)
            return ref

    return Prebuilt(image)


def _asn1_cert(pem: str):
    from asn1crypto import pem as asn1_pem
    from asn1crypto import x509 as asn1_x509

    return [
        asn1_x509.Certificate.load(der)
        for _type, _headers, der in asn1_pem.unarmor(pem.encode(), multiple=True)
    ]


def _external_signer(certificate_pem: str, chain_pem: str, mechanism: str, value=None):
    """The leader's signer for one document (the signature's value, or its placeholder size),
    around the parts kept per certificate (`_external_signer_parts`)."""
    from pyhanko.sign.signers.pdf_cms import ExternalSigner

    certificate, registry, algorithm, attributes = _external_signer_parts(
        certificate_pem, chain_pem, mechanism
    )
    signer = ExternalSigner(
        signing_cert=certificate,
        cert_registry=registry,
        signature_value=value if value is not None else 512,
        signature_mechanism=algorithm,
    )
    signer.signed_attr_prov_spec = attributes
    return signer


@functools.lru_cache(maxsize=64)
def _external_signer_parts(certificate_pem: str, chain_pem: str, mechanism: str):
    """What is the same for every signature by one personal certificate, made once per process:
    the parsed certificate and chain, the mechanism and the signed attributes' spec (as the
    agency's signer keeps them: signing-certificate-v2 parsed from its DER, no signing-time,
    the same attributes as pyHanko's PAdES spec gives). Only the documents thread uses them."""
    from asn1crypto import algos
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    certificate = _asn1_cert(certificate_pem)[0]
    registry = SimpleCertificateStore.from_certs(_asn1_cert(chain_pem) if chain_pem else [])
    algorithm = algos.SignedDigestAlgorithm({"algorithm": mechanism})
    return certificate, registry, algorithm, _pades_attributes_class()(certificate)


def prepare_personal(
    pdf: bytes,
    *,
    certificate_pem: str,
    chain_pem: str,
    mechanism: str,
    page: int,
    box: tuple[float, float, float, float],
    image_png: bytes | None,
    reason: str,
    location: str,
    org_box: tuple[float, float, float, float] | None = None,
    org_page: int | None = None,
) -> tuple[bytes, dict, bytes]:
    """The leader's signature, interrupted (pyHanko's "interrupted signing"): the PDF with the
    signature field (the leader's image in `box` of `page`) and its placeholder, the /ByteRange
    digest to resume with, and the DER of the CMS signed attributes, which is what the leader's
    key signs. Nothing here needs the key. The organisation's signature field goes in empty at
    `org_box` on `org_page` (default the leader's), so that its seal fills in a field the
    certification already allows (a new visible field after it would not be)."""
    return runner.run(
        _prepare_personal,
        pdf,
        certificate_pem=certificate_pem,
        chain_pem=chain_pem,
        mechanism=mechanism,
        page=page,
        box=box,
        image_png=image_png,
        reason=reason,
        location=location,
        org_box=org_box,
        org_page=org_page,
    )


def _prepare_personal(pdf: bytes, *, certificate_pem, chain_pem, mechanism, page, box,
                      image_png, reason, location, org_box=None, org_page=None):  # fmt: skip
    import asyncio

    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    signer = _external_signer(certificate_pem, chain_pem, mechanism)
    meta = signers.PdfSignatureMetadata(
        field_name=PERSONAL_FIELD_NAME,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason[:200],
        location=location[:200],
        # The first signature certifies the document (see _sign).
        certify=True,
        docmdp_permissions=fields.MDPPerm.FILL_FORMS,
    )
    pdf_signer = signers.PdfSigner(
        meta,
        signer=signer,
        stamp_style=_image_style(image_png) if image_png else None,
        new_field_spec=None
        if org_box is not None
        else fields.SigFieldSpec(
            sig_field_name=PERSONAL_FIELD_NAME,
            on_page=page,
            box=tuple(round(v) for v in box),
        ),
    )

    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    if org_box is not None:  # the leader's field, then the organisation's, in the form's order
        placed = ((PERSONAL_FIELD_NAME, page, box),
                  (FIELD_NAME, page if org_page is None else org_page, org_box))  # fmt: skip
        for name, on_page, where in placed:
            fields.append_signature_field(
                writer,
                fields.SigFieldSpec(
                    sig_field_name=name, on_page=on_page, box=tuple(round(v) for v in where)
                ),
            )

    async def prepare():
        digest, _tbs, output = await pdf_signer.async_digest_doc_for_signing(
            writer,
            bytes_reserved=16384 if settings.SIGNING_TSA_URL else 8192,
        )
        attributes = await signer.signed_attrs(digest.document_digest, "sha256", use_pades=True)
        return output.getvalue(), digest, attributes.dump()

    prepared, digest, to_be_signed = asyncio.run(prepare())
    state = {
        "document_digest": digest.document_digest.hex(),
        "reserved_region_start": digest.reserved_region_start,
        "reserved_region_end": digest.reserved_region_end,
        "mechanism": mechanism,
    }
    return prepared, state, to_be_signed


def finish_personal(
    prepared: bytes, *, state: dict, to_be_signed: bytes, signature: bytes,
    certificate_pem: str, chain_pem: str,
) -> bytes:  # fmt: skip
    """The prepared PDF with the leader's CMS signature (built around `signature`, the value the
    leader's key made over `to_be_signed`) in its placeholder; a timestamp on it (B-T) when
    SIGNING_TSA_URL is set."""
    return runner.run(
        _finish_personal,
        prepared,
        state=state,
        to_be_signed=to_be_signed,
        signature=signature,
        certificate_pem=certificate_pem,
        chain_pem=chain_pem,
    )


def _finish_personal(prepared, *, state, to_be_signed, signature, certificate_pem, chain_pem):
    import asyncio

    from asn1crypto import cms
    from pyhanko.sign.signers.pdf_byterange import PreparedByteRangeDigest
    from pyhanko.sign.signers.pdf_signer import PdfTBSDocument

    signer = _external_signer(certificate_pem, chain_pem, state["mechanism"], signature)

    async def finish():
        container = await signer.async_sign_prescribed_attributes(
            "sha256",
            signed_attrs=cms.CMSAttributes.load(to_be_signed),
            timestamper=_timestamper(),
        )
        output = io.BytesIO(prepared)
        digest = PreparedByteRangeDigest(
            document_digest=bytes.fromhex(state["document_digest"]),
            reserved_region_start=state["reserved_region_start"],
            reserved_region_end=state["reserved_region_end"],
        )
        await PdfTBSDocument.async_finish_signing(output, digest, container)
        return output.getvalue()

    signed = asyncio.run(finish())
    certificate = signer.signing_cert
    if ltv.wanted([certificate]):  # the leader's chain's revocation data in the DSS (B-LT)
        signed = ltv.add_validation_info(
            signed, PERSONAL_FIELD_NAME, other_certs=_asn1_cert(chain_pem) if chain_pem else []
        )
    return signed


def seal_pdf(
    pdf: bytes,
    *,
    certificate: SigningCertificate,
    reason: str,
    location: str,
    page: int,
    box: tuple[int, int, int, int],
    seal_png: bytes | None,
    lines: list[str],
) -> bytes:
    """The organisation's signature as a new revision, visible: its seal (`seal_png`, or none)
    with `lines` (the organisation's name, then the time: signing.images.seal_with_text) in
    `box` of `page`."""
    signer = certificates.load_signer(certificate)
    return runner.run(
        _seal, pdf, signer=signer, reason=reason, location=location, page=page, box=box,
        seal_png=seal_png, lines=lines,
    )  # fmt: skip


def _seal(pdf: bytes, *, signer, reason, location, page, box, seal_png, lines) -> bytes:
    # On the documents thread: the seal's cached image and font are used by one thread only.
    image = images.seal_with_text(seal_png, lines)
    return _sign(pdf, signer=signer, reason=reason, location=location,
                 appearance=(page, box, image))  # fmt: skip

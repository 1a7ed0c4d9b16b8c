"""PAdES signatures with pyHanko: baseline B-B, or B-T with an RFC 3161 timestamp server."""

import functools
import io

from django.conf import settings

from signing import certificates, runner
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
def _signer_class():
    """pyHanko's SimpleSigner, with what is the same for every signature by one certificate made
    once per worker process instead of once per signature (pyHanko imported lazily)."""
    from asn1crypto import tsp
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, padding
    from pyhanko.sign import attributes, general, signers
    from pyhanko.sign.signers.pdf_cms import SignedAttributeProviderSpec
    from pyhanko_certvalidator.util import get_pyca_cryptography_hash

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


def _sign(pdf: bytes, *, signer, reason: str, location: str) -> bytes:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason[:200],
        location=location[:200],
    )
    pdf_signer = signers.PdfSigner(
        meta,
        signer=signer,
        timestamper=_timestamper(),
        new_field_spec=fields.SigFieldSpec(sig_field_name=FIELD_NAME),
    )
    out = io.BytesIO()
    # A fixed reservation for the CMS container: without it pyHanko signs twice, once only to
    # measure the container (half the cost of a signature). ECDSA/RSA-2048 with a short chain
    # fit in 8 KB; a timestamp token adds a few KB more.
    reserved = 16384 if settings.SIGNING_TSA_URL else 8192
    pdf_signer.sign_pdf(
        IncrementalPdfFileWriter(io.BytesIO(pdf)), output=out, bytes_reserved=reserved
    )
    return out.getvalue()

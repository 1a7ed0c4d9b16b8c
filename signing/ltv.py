"""Signatures that last (ETSI EN 319 142-1, PAdES baseline levels): the revocation data of every
certificate embedded in the document's security store (DSS) when it is signed, a document
timestamp over it all when a timestamp authority is configured, and validation that uses that
evidence at the time it proves, so that a document signed while its certificate was valid stays
valid after the certificate expires, and one signed after a revocation reads "revoked".

    B-B    a signature;
    B-T    with a timestamp on each signature (RFC 3161, from SIGNING_TSA_URL);
    B-LT   and the revocation data (OCSP responses or CRLs) of every signer's certificate in the
           DSS: it validates long after the certificates expire;
    B-LTA  and a document timestamp over the DSS, renewed before its own certificate expires.

Long-term validation needs a proof of the time of signing: without a TSA a document is B-B
(its DSS still holds the revocation data, but nothing proves when it was signed).
"""

import asyncio
import io

from django.utils.translation import gettext as _

from signing.models import PADES_LEVELS

B_B, B_T, B_LT, B_LTA = (value for value, _label in PADES_LEVELS)


def share_tls_context() -> None:
    """pyHanko's HTTP clients (its timestamper and its OCSP/CRL fetchers, on aiohttp) open a new
    session for each operation with a new TLS context, loading certifi's roots each time: about
    18 ms, twice per signature, more than the requests themselves on a nearby server. One
    context, made once per process, serves them all (an SSLContext is not tied to an event
    loop; each session still is, and is still closed after its operation). Called once, from
    SigningConfig.ready; tests/signing/test_ltv.py checks that pyHanko still looks it up."""
    import ssl

    import aiohttp
    import certifi
    from pyhanko_certvalidator.fetchers.aiohttp_fetchers import util

    if getattr(util._default_session, "shared_tls_context", False):
        return
    context = ssl.create_default_context(cafile=certifi.where())

    def session():
        return aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=context))

    session.shared_tls_context = True
    util._default_session = session


class RevocationUnavailable(OSError):
    """The revocation data of a certificate could not be fetched (its OCSP responder or CRL
    server did not answer): nothing is issued; the task retries, then the sweeper. An OSError,
    like a timestamp server's failure, so that the signing tasks' autoretry takes it."""


class CertificateRevoked(Exception):
    """A certificate in the signing chain is revoked: signing with it is refused for good."""


def timestamped(signature) -> bool:
    """Whether an embedded signature carries a signature timestamp token (B-T and up)."""
    from pyhanko.sign.validation.generic_cms import extract_tst_data_iter

    return any(True for _token in extract_tst_data_iter(signature.signer_info, signed=False))


def has_pointers(certificate) -> bool:
    """Whether an (asn1crypto) certificate says where its revocation status is published."""
    return bool(certificate.ocsp_urls or certificate.crl_distribution_points)


def wanted(certificates) -> bool:
    """Embed revocation data when the signer's certificate points at its revocation services
    (a certificate that points nowhere, like an old demo one, has nothing to embed)."""
    return any(has_pointers(cert) for cert in certificates)


def signing_context(other_certs=()):
    """The validation context a signature is made with: the signer's chain (and the TSA's) is
    checked against the trusted roots, its revocation data fetched (and kept, to be embedded);
    a responder that does not answer fails the signature ("hard-fail") instead of issuing it
    without its evidence."""
    from pyhanko_certvalidator import ValidationContext

    from signing.trust import trust_roots

    return ValidationContext(
        trust_roots=list(trust_roots()),
        other_certs=list(other_certs),
        allow_fetching=True,
        revocation_mode="hard-fail",
        # No fetcher backend of ours: pyHanko provisions one per operation (aiohttp, 10 s a
        # request) and releases it when the operation ends.
    )


class CertificateUnusable(Exception):
    """The signing chain cannot be validated for a reason no retry mends (it does not reach a
    trusted root, a certificate is out of its validity, the responder does not know it):
    refused for good, with the reason, like a revoked one."""


def explain(exc: BaseException) -> Exception:
    """pyHanko's refusal to sign (its pre-signing validation of the chain) as ours: a revoked
    certificate or a chain that cannot hold is refused for good (CertificateRevoked,
    CertificateUnusable); revocation data or a timestamp that could not be fetched
    (RevocationUnavailable) is retried."""
    import asyncio

    import aiohttp
    from pyhanko.sign.timestamps import TimestampRequestError
    from pyhanko_certvalidator.errors import (
        InsufficientRevinfoError,
        OCSPFetchError,
        PathBuildingError,
        PathValidationError,
        RevokedError,
    )

    transient = (
        InsufficientRevinfoError, OCSPFetchError, TimestampRequestError, aiohttp.ClientError,
        asyncio.TimeoutError, TimeoutError, ConnectionError,
    )  # fmt: skip
    chain, seen, current = [], set(), exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append(current)
        current = current.__cause__ or current.__context__
    for error in chain:
        if isinstance(error, RevokedError):
            return CertificateRevoked(
                _("The signing certificate has been revoked: %(reason)s") % {"reason": error}
            )
    if any(isinstance(error, transient) for error in chain):
        return RevocationUnavailable(
            _(
                "The revocation status of the signing certificate or a timestamp could not be "
                "fetched: %(reason)s"
            )
            % {"reason": exc}
        )
    if any(isinstance(error, (PathBuildingError, PathValidationError)) for error in chain):
        return CertificateUnusable(
            _("The signing certificate cannot be validated: %(reason)s") % {"reason": chain[-1]}
        )
    return RevocationUnavailable(
        _(
            "The revocation status of the signing certificate or a timestamp could not be "
            "fetched: %(reason)s"
        )
        % {"reason": exc}
    )


def add_validation_info(pdf: bytes, field_name: str, other_certs=()) -> bytes:
    """The document with the revocation data of the signature in `field_name` (its signer's
    chain and its timestamp's) added to the DSS as an incremental update (pyHanko)."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign import validation

    reader = PdfFileReader(io.BytesIO(pdf))
    signature = next(s for s in reader.embedded_signatures if s.field_name == field_name)
    try:
        out = validation.add_validation_info(
            signature, signing_context(other_certs), output=io.BytesIO()
        )
    except Exception as exc:  # pyHanko's validation errors are many; each is explained
        raise explain(exc) from exc
    return out.getvalue()


def reached(*, lasting: list[bool], timestamped: bool, archived: bool) -> str:
    """The level a document reaches from how it was signed (checked against the file by
    `level_of` in the tests; reading the file back costs as much as a signature): `lasting`,
    for each signature, whether its certificate points to its revocation services (its data
    then in the DSS); `timestamped`, whether a TSA stamped them; `archived`, whether a document
    timestamp followed."""
    if not timestamped:
        return B_B
    if not all(lasting):
        return B_T
    return B_LTA if archived else B_LT


def cryptography_has_pointers(certificate) -> bool:
    """`has_pointers` for a `cryptography` certificate (the stored certificates' form)."""
    from cryptography import x509
    from cryptography.x509.oid import AuthorityInformationAccessOID

    try:
        access = certificate.extensions.get_extension_for_class(x509.AuthorityInformationAccess)
        if any(d.access_method == AuthorityInformationAccessOID.OCSP for d in access.value):
            return True
    except x509.ExtensionNotFound:
        pass
    try:
        certificate.extensions.get_extension_for_class(x509.CRLDistributionPoints)
        return True
    except x509.ExtensionNotFound:
        return False


def level_of(pdf: bytes) -> str:
    """The PAdES baseline level the signed file reaches, read from the file itself: B-T when
    every signature carries a timestamp, B-LT when the DSS also holds revocation data for every
    signer's certificate, B-LTA when a document timestamp follows the last signature."""
    from asn1crypto import crl as asn1_crl
    from asn1crypto import ocsp as asn1_ocsp
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation.dss import DocumentSecurityStore, NoDSSFoundError

    reader = PdfFileReader(io.BytesIO(pdf))
    signatures = reader.embedded_regular_signatures
    if not signatures:
        return ""
    if not all(timestamped(s) for s in signatures):
        return B_B
    try:
        store = DocumentSecurityStore.read_dss(reader)
    except NoDSSFoundError:
        return B_T
    answered, listed_by = set(), set()
    for ref in store.ocsps:
        response = asn1_ocsp.OCSPResponse.load(ref.get_object().data)
        basic = response.basic_ocsp_response
        for single in basic["tbs_response_data"]["responses"]:
            answered.add(single["cert_id"]["serial_number"].native)
    for ref in store.crls:
        listed_by.add(asn1_crl.CertificateList.load(ref.get_object().data).issuer.dump())
    covered = all(
        s.signer_cert.serial_number in answered or s.signer_cert.issuer.dump() in listed_by
        for s in signatures
    )
    if not covered:
        return B_T
    last = max(s.signed_revision for s in signatures)
    if any(t.signed_revision > last for t in reader.embedded_timestamp_signatures):
        return B_LTA
    return B_LT


def validation_spec():
    """How /verify/ validates (ETSI EN 319 102-1 through pyHanko's AdES engine): against the
    portal's trusted roots; the revocation status of every certificate that declares where it
    is published must be established, from the document's DSS at the time its timestamps prove,
    or fetched for what must be valid today (the newest timestamp's certificate)."""
    from pyhanko.sign.validation.policy_decl import (
        CertificateFetchingRule,
        PdfSignatureValidationSpec,
        RevocationInfoGatheringSpec,
        SignatureValidationSpec,
    )
    from pyhanko_certvalidator.context import CertValidationPolicySpec
    from pyhanko_certvalidator.policy_decl import (
        CertRevTrustPolicy,
        RevocationCheckingPolicy,
        RevocationCheckingRule,
    )
    from pyhanko_certvalidator.registry import SimpleTrustManager

    from signing.trust import trust_roots

    rule = RevocationCheckingRule.CHECK_IF_DECLARED
    policy = CertValidationPolicySpec(
        trust_manager=SimpleTrustManager.build(trust_roots=list(trust_roots())),
        revinfo_policy=CertRevTrustPolicy(
            revocation_checking_policy=RevocationCheckingPolicy(
                ee_certificate_rule=rule, intermediate_ca_cert_rule=rule
            )
        ),
    )
    return PdfSignatureValidationSpec(
        SignatureValidationSpec(
            cert_validation_policy=policy,
            revinfo_gathering_policy=RevocationInfoGatheringSpec(
                fetcher_backend=None,  # one per validation, released at its end
                # Revocation data from the DSS and, for what must hold today, from where the
                # trusted CA says; certificates never fetched from URLs a file carries.
                certificate_fetching_rule=CertificateFetchingRule.NEVER_FETCH,
            ),
        )
    )


def validate(signature):
    """One embedded signature, validated long-term: pyHanko's AdES-LTA result (its
    `ades_subindic`, and `api_status` with pyHanko's own findings)."""
    from pyhanko.sign.validation.ades import ades_lta_validation

    return asyncio.run(ades_lta_validation(signature, validation_spec()))

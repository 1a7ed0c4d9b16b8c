"""The root certificates the portal trusts (SIGNING_TRUST_ROOTS), read once per process: for
verification (signing.verify) and for the chain validated before signing (signing.ltv)."""

import functools

from django.conf import settings


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

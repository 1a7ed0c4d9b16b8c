import io
import types

import pytest
from django.core.management import call_command

from signing import certificates, keys, pki, services, verify
from signing.models import Document, SigningCertificate
from tests.signing.support import PKIService, notice_context


def clear_signing_caches():
    """The loaded signer (decrypted key) and the trust roots are cached per process."""
    certificates._signer.cache_clear()
    verify._trust_roots.cache_clear()


@pytest.fixture(autouse=True)
def _signing_settings(settings, tmp_path):
    """Files in a throw-away MEDIA_ROOT, the demo PKI in tmp_path (trusted by verification,
    its certificates pointing to no CRL or OCSP responder), a fresh key-encryption key, no
    timestamp server."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SIGNING_DEMO_PKI_DIR = tmp_path / "pki"
    settings.SIGNING_DEMO_PKI_URL = ""
    settings.SIGNING_TRUST_ROOTS = [str(tmp_path / "pki" / "demo-root.pem")]
    settings.SIGNING_KEK = keys.new_kek_text()
    settings.SIGNING_KEK_OLD = ""
    settings.SIGNING_TSA_URL = ""
    settings.PRODUCTION = False
    clear_signing_caches()
    yield
    clear_signing_caches()


def _make_demo_pki(agency, settings, **extra) -> types.SimpleNamespace:
    call_command(
        "make_demo_pki",
        "--dir",
        str(settings.SIGNING_DEMO_PKI_DIR),
        "--agency",
        agency.code,
        stdout=io.StringIO(),
    )
    root_key, root_cert, root_path = pki.load_or_make_root(settings.SIGNING_DEMO_PKI_DIR)
    return types.SimpleNamespace(
        root_key=root_key,
        root_cert=root_cert,
        root_path=root_path,
        certificate=SigningCertificate.objects.get(agency=agency),
        **extra,
    )


@pytest.fixture
def demo_pki(agency, settings):
    """The demo root in SIGNING_DEMO_PKI_DIR and a certificate imported for `agency` (only)."""
    return _make_demo_pki(agency, settings)


@pytest.fixture
def pki_services(tmp_path):
    """The demo PKI's CRL, OCSP responder and timestamp authority (signing/pki_service.py) in a
    real process of their own, on a free port, over the test's demo PKI directory (tmp_path/pki,
    SIGNING_DEMO_PKI_DIR's, made by the service when it starts): a support.PKIService with
    `url`, `dir`, `process`, `stop()` and `start()` (again on the same port). Stopped at the
    end of the test."""
    service = PKIService(tmp_path / "pki", tmp_path / "pki-service.log")
    service.start()
    yield service
    service.stop()


@pytest.fixture
def ltv_pki(pki_services, agency, settings):
    """`demo_pki` whose certificates point to the running `pki_services` (CRL distribution
    point, OCSP and CA issuers), the settings saying so (SIGNING_DEMO_PKI_DIR and
    SIGNING_DEMO_PKI_URL, the root trusted): root_key, root_cert, root_path, certificate, and
    the service's url and dir, and the service itself (`services`, to stop and start it)."""
    settings.SIGNING_DEMO_PKI_DIR = pki_services.dir
    settings.SIGNING_DEMO_PKI_URL = pki_services.url
    settings.SIGNING_TRUST_ROOTS = [str(pki_services.dir / pki.ROOT_CERT_FILE)]
    return _make_demo_pki(
        agency, settings, url=pki_services.url, dir=pki_services.dir, services=pki_services
    )


@pytest.fixture
def request_document(django_capture_on_commit_callbacks):
    """Ask for a notice through the service, run what is enqueued on commit (eager Celery),
    and return the document as stored."""

    def request(agency, *, kind="notice", revision=1, owner=None, context=None, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            document = services.document_request(
                kind=kind,
                title=kwargs.pop("title", "Thông báo kết quả giải quyết hồ sơ"),
                template=kwargs.pop("template", "documents/notice.html"),
                context=notice_context() if context is None else context,
                agency=agency,
                owner=owner,
                revision=revision,
                **kwargs,
            )
        return Document.objects.get(pk=document.pk)

    return request


@pytest.fixture
def signed(demo_pki, agency, request_document):
    document = request_document(agency)
    assert document.status == Document.Status.SIGNED, document.error
    return document


def _in_english(user):
    user.language = "en"
    user.save(update_fields=["language"])
    return user


@pytest.fixture
def agency_admin(agency_admin):
    return _in_english(agency_admin)


@pytest.fixture
def other_admin(other_admin):
    return _in_english(other_admin)


@pytest.fixture
def superuser(superuser):
    return _in_english(superuser)

"""An agency's signing certificate near its end (issue 17, item 6): its administrators are told
by email, once, and every time they open the certificates list, SIGNING_CERTIFICATE_WARN_DAYS
before it expires, unless a successor is already imported; an expired certificate signs
nothing (certificates.usability_errors), a revoked one neither (tests/signing/test_ltv.py)."""

import pytest
from django.core import mail
from django.urls import reverse

from signing import certificates, lifecycle, pki
from signing.models import SigningCertificate
from signing.tasks import warn_expiring_certificates_task

pytestmark = pytest.mark.django_db

CERTIFICATES = reverse("admin:signing_signingcertificate_changelist")


def import_certificate(demo_pki, agency, *, days: int, name: str) -> SigningCertificate:
    key, cert = pki.issue_signing_certificate(
        demo_pki.root_key, demo_pki.root_cert, common_name=agency.name,
        organisation=agency.name, email="c@demo.dvc.vn", days=days,
    )  # fmt: skip
    return certificates.certificate_import(
        agency=agency, data=pki.to_pkcs12(key, cert, [demo_pki.root_cert], "p"), passphrase="p",
        name=name,
    )  # fmt: skip


@pytest.fixture
def expiring(demo_pki, agency):
    """The agency's only certificate expires in 10 days."""
    SigningCertificate.objects.filter(agency=agency).delete()
    return import_certificate(demo_pki, agency, days=10, name="Sắp hết hạn")


def test_the_agency_administrators_are_emailed_once(
    expiring, agency_admin, settings, django_capture_on_commit_callbacks
):
    settings.SIGNING_CERTIFICATE_WARN_DAYS = 30
    with django_capture_on_commit_callbacks(execute=True):
        assert warn_expiring_certificates_task() == 1
    (message,) = mail.outbox
    assert message.to == [agency_admin.email]
    assert "expires on" in message.subject and "Sắp hết hạn" in message.body  # in English
    assert expiring.serial in message.body
    assert warn_expiring_certificates_task() == 0 and len(mail.outbox) == 1  # once


def test_a_certificate_far_from_its_end_or_with_a_successor_is_not_warned_about(
    expiring, demo_pki, agency, agency_admin, settings
):
    settings.SIGNING_CERTIFICATE_WARN_DAYS = 5
    assert lifecycle.warn_expiring() == 0  # 10 days left: not yet
    settings.SIGNING_CERTIFICATE_WARN_DAYS = 30
    import_certificate(demo_pki, agency, days=365, name="Kế nhiệm")
    assert lifecycle.warn_expiring() == 0 and mail.outbox == []
    SigningCertificate.objects.filter(name="Kế nhiệm").update(is_active=False)
    assert lifecycle.warn_expiring() == 1


def test_the_certificates_list_warns_with_the_days_left(
    expiring, agency_admin, other_admin, client, settings
):
    settings.SIGNING_CERTIFICATE_WARN_DAYS = 30
    client.force_login(agency_admin)
    page = client.get(CERTIFICATES).content.decode()
    assert "expires on" in page and "import its successor before then" in page
    assert "in 9 days: import its successor" in page or "in 10 days: import its" in page
    # Another agency's administrator is not told about it.
    client.force_login(other_admin)
    assert "import its successor before then" not in client.get(CERTIFICATES).content.decode()

"""A level-4 fee paid online in a real browser, through VNPAY's protocol against the portal's
gateway simulator over real HTTP: the citizen submits, pays 50,000 VND before processing, comes
back to the portal's return page, downloads the signed e-receipt, and the desk accepts the
dossier; a failed attempt followed by a successful retry; a cancelled attempt.

The simulator's notification (IPN) is an HTTP call from the live server's thread to the live
server itself (it is threaded), so it is handled in another thread, as from the real gateway.
Tasks run eagerly in-process (tests/conftest.py): the receipt is rendered and signed in the live
server's thread, never in this one, where Playwright keeps an event loop running."""

import io
import re
import subprocess
import time

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from payments.models import GatewayMessage, Payment
from signing import certificates, verify
from submissions.models import State
from tests.e2e.conftest import pass_second_factor
from tests.factories import (
    PASSWORD,
    CitizenFactory,
    DossierFactory,
    OfficerFactory,
    ProcedureVersionFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FEE = 50_000
RECEIPT_WITHIN = 30  # seconds for the signed e-receipt to show on the dossier page


@pytest.fixture(autouse=True)
def gateway(settings, live_server, monkeypatch):
    """The simulator is the gateway, reached over HTTP at the live server's address."""
    from payments import transport

    simulator = f"{live_server.url}/payments/simulator"
    settings.PAYMENT_SIMULATOR = True
    settings.VNPAY_PAYMENT_URL = f"{simulator}/paymentv2/vpcpay.html"
    settings.VNPAY_API_URL = f"{simulator}/merchant_webapi/api/transaction"
    settings.PAYMENT_SIMULATOR_IPN_URL = f"{live_server.url}/api/v1/payments/vnpay/ipn/"
    # With eager tasks the IPN's handler renders and signs the e-receipt before it answers
    # (a worker does that in production): give the simulator's call room on a busy machine.
    monkeypatch.setattr(transport, "TIMEOUT", 60)
    certificates._signer.cache_clear()
    verify._trust_roots.cache_clear()
    yield
    certificates._signer.cache_clear()
    verify._trust_roots.cache_clear()


@pytest.fixture
def version():
    version = ProcedureVersionFactory(
        published=True,
        level4=True,
        fee_timing="before",
        channels=[{}, {"online": True, "fee_vnd": FEE}],
        name="Cấp bản sao văn bằng tốt nghiệp",
    )
    # A signing certificate for the agency, so the e-receipt gets signed.
    call_command("make_demo_pki", stdout=io.StringIO())
    return version


@pytest.fixture
def citizen():
    return CitizenFactory(email="mai.tran@example.vn", full_name="Trần Thị Mai")


def _log_in(page, live_server, user, *, start: str = "/account/login/"):
    page.goto(f"{live_server.url}{start}")
    page.locator("#id_username").fill(user.email)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    if user.is_officer:
        pass_second_factor(page, user)
    expect(page.locator('form[action="/account/logout/"]')).to_have_count(1)


def _citizen_state(page, state: str):
    expect(page.locator("main .badge-state")).to_have_class(re.compile(rf"\bstate-{state}\b"))


def _pay(page, dossier, choice: str) -> Payment:
    """From the dossier page to the simulator and back to the portal's return page, choosing
    `choice` there. Returns the attempt."""
    before = set(dossier.payments.values_list("pk", flat=True))
    page.locator("#pay-button").click()
    expect(page).to_have_url(re.compile(r"/payments/simulator/paymentv2/vpcpay\.html\?"))
    payment = dossier.payments.exclude(pk__in=before).get()
    assert payment.status == Payment.Status.PENDING and payment.amount == FEE
    expect(page.locator("#sim-amount")).to_contain_text(str(FEE))
    expect(page.locator("#sim-ref")).to_have_text(payment.order_ref)
    page.locator(f'button[name="choice"][value="{choice}"]').click()
    expect(page).to_have_url(re.compile(r"/payments/vnpay/return/\?"))
    return payment


def _back_to_dossier(page, live_server, dossier):
    page.locator(f'main a[href="/dossiers/{dossier.public_id}/"]').click()
    expect(page).to_have_url(f"{live_server.url}/dossiers/{dossier.public_id}/")


def _reload_until(page, locator, *, what: str, timeout: float = RECEIPT_WITHIN):
    deadline = time.monotonic() + timeout
    while not locator.count():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        page.wait_for_timeout(500)
        page.reload()


def _pdf_text(path) -> str:
    out = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True, timeout=30
    ).stdout
    return " ".join(out.split())


def test_pay_the_fee_online_get_the_signed_receipt_and_the_desk_accepts(
    page, browser, live_server, version, citizen, tmp_path
):
    agency = version.procedure.agency
    desk = OfficerFactory(agency=agency, roles=["desk"], email="mot.cua@so.example.vn")
    dossier = DossierFactory(complete=True, applicant=citizen, version=version)
    url = f"{live_server.url}/dossiers/{dossier.public_id}/"

    # The citizen submits the complete draft from its review page; the fee is due.
    _log_in(page, live_server, citizen)
    page.goto(f"{url}review/")
    expect(page.locator("#missing")).to_have_count(0)
    page.locator(f'form[action="/dossiers/{dossier.public_id}/submit/"] button').click()
    expect(page).to_have_url(f"{url}?submitted=1")
    dossier.refresh_from_db()
    assert dossier.state == State.SUBMITTED and dossier.code
    # (Vietnamese has no thousands grouping in Django's formats: "50000" today.)
    expect(page.locator(".pay-box")).to_contain_text("50.000 đồng")
    expect(page.locator("#pay-button")).to_be_visible()

    # Pay online: the gateway's page, then back on the portal's return page.
    payment = _pay(page, dossier, "pay")
    expect(page.locator(".payment-status")).to_have_attribute("data-status", "paid")
    expect(page.locator("main")).to_contain_text(payment.order_ref)
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PAID and payment.gateway_transaction_no
    ipn = GatewayMessage.objects.get(payment=payment, kind=GatewayMessage.Kind.IPN)
    assert ipn.signature_valid and ipn.outcome == "00"

    # Back on the dossier: paid, nothing more to pay, and the signed e-receipt.
    _back_to_dossier(page, live_server, dossier)
    expect(page.locator("li.payment")).to_have_count(1)
    expect(page.locator("li.payment")).to_have_attribute("data-status", "paid")
    expect(page.locator("#pay-button")).to_have_count(0)
    receipt_link = page.locator('a.document-download[data-kind="fee_receipt"]')
    _reload_until(page, receipt_link, what="the signed e-receipt on the dossier page")
    with page.expect_download() as info:
        receipt_link.click()
    path = tmp_path / "bien-lai.pdf"
    info.value.save_as(path)
    assert path.read_bytes().startswith(b"%PDF")
    text = _pdf_text(path)
    assert "50.000" in text and dossier.code in text and payment.order_ref in text

    # The dossier goes on: the desk accepts it (in a browser context of its own).
    context = browser.new_context(locale="vi-VN", viewport={"width": 1280, "height": 900})
    try:
        office = context.new_page()
        office.set_default_timeout(15_000)
        _log_in(office, live_server, desk, start="/office/")
        office.goto(f"{live_server.url}/office/dossiers/{dossier.public_id}/")
        panel = office.locator("details#action-accept")
        if panel.get_attribute("open") is None:
            panel.locator("summary").click()
        panel.locator("button[type=submit]").click()
        expect(office.locator("#dossier-state")).to_have_attribute("data-state", State.RECEIVED)
    finally:
        context.close()
    dossier.refresh_from_db()
    assert dossier.state == State.RECEIVED and dossier.received_at

    page.reload()
    _citizen_state(page, State.RECEIVED)


def test_a_failed_payment_then_a_successful_retry(page, live_server, version, citizen):
    dossier = DossierFactory(submitted=True, applicant=citizen, version=version)
    _log_in(page, live_server, citizen, start=f"/dossiers/{dossier.public_id}/")

    failed = _pay(page, dossier, "fail")
    expect(page.locator(".payment-status")).to_have_attribute("data-status", "failed")
    failed.refresh_from_db()
    assert failed.status == Payment.Status.FAILED

    _back_to_dossier(page, live_server, dossier)
    expect(page.locator("#pay-button")).to_be_visible()
    expect(page.locator('li.payment[data-status="failed"]')).to_have_count(1)

    paid = _pay(page, dossier, "pay")
    expect(page.locator(".payment-status")).to_have_attribute("data-status", "paid")
    _back_to_dossier(page, live_server, dossier)
    expect(page.locator("#pay-button")).to_have_count(0)
    expect(page.locator("li.payment")).to_have_count(2)
    expect(page.locator('li.payment[data-status="paid"]')).to_have_count(1)
    expect(page.locator('li.payment[data-status="failed"]')).to_have_count(1)
    expect(page.locator('li.payment[data-status="paid"]')).to_contain_text(paid.order_ref)
    assert sorted(dossier.payments.values_list("status", flat=True)) == ["failed", "paid"]


def test_a_cancelled_payment_pays_nothing(page, live_server, version, citizen):
    dossier = DossierFactory(submitted=True, applicant=citizen, version=version)
    _log_in(page, live_server, citizen, start=f"/dossiers/{dossier.public_id}/")

    cancelled = _pay(page, dossier, "cancel")
    expect(page.locator(".payment-status")).to_have_attribute("data-status", "cancelled")
    cancelled.refresh_from_db()
    assert cancelled.status == Payment.Status.CANCELLED

    _back_to_dossier(page, live_server, dossier)
    expect(page.locator("#pay-button")).to_be_visible()
    expect(page.locator("li.payment")).to_have_count(1)
    expect(page.locator("li.payment")).to_have_attribute("data-status", "cancelled")
    expect(page.locator('a.document-download[data-kind="fee_receipt"]')).to_have_count(0)
    assert not Payment.objects.filter(status=Payment.Status.PAID).exists()
    dossier.refresh_from_db()
    assert dossier.state == State.SUBMITTED

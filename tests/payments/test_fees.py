"""Which fee is due and when (DOMAIN.md §8: before processing or on delivery; level 4 only),
what the desk and the specialist may do meanwhile, the API, and the signed e-receipt."""

import datetime as dt
import subprocess

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from office import actions as office
from office import services as workflow
from payments import fees, services
from payments.models import GatewayMessage, Payment
from signing.models import Document
from submissions.models import Decision, Dossier, DossierEvent
from tests.factories import DossierFactory, OfficerFactory, ProcedureVersionFactory
from tests.payments.conftest import FEE
from tests.payments.support import (
    at,
    canonical,
    fee_receipts,
    hmac_sha512,
    make_demo_pki,
    paid_count,
    pay,
    payment_start,
    query_of,
    start_payment,
)

pytestmark = pytest.mark.django_db


def fresh(dossier) -> Dossier:
    return Dossier.objects.get(pk=dossier.pk)


def has_pay_button(client, dossier) -> bool:
    client.force_login(dossier.applicant)
    page = client.get(reverse("submissions:detail", args=[dossier.public_id]))
    assert page.status_code == 200
    return b'id="pay-button"' in page.content


def version(*, level: int = 4, fee: int = FEE, timing: str = "before"):
    traits = {"level4": True} if level == 4 else {"level3": True}
    return ProcedureVersionFactory(
        published=True,
        fee_timing=timing,
        channels=[{"fee_vnd": FEE}, {"online": True, "fee_vnd": fee}],
        **traits,
    )


def start_refused(dossier, code: str = "nothing") -> None:
    with pytest.raises(ValidationError) as refused:
        payment_start(dossier)
    assert refused.value.code == code


# --- free and level-3 procedures ------------------------------------------------------------------


def test_a_free_level4_procedure_has_nothing_to_pay(client, gateway, staff):
    dossier = DossierFactory(version=version(fee=0), submitted=True)
    assert fees.fee_due(dossier) == 0
    assert fees.purpose_now(dossier) is None
    assert fees.fee_outstanding(dossier) is False
    assert has_pay_button(client, dossier) is False
    start_refused(dossier)
    response = client.post(reverse("payments:start", args=[dossier.public_id]))
    assert response.url == reverse("submissions:detail", args=[dossier.public_id])
    api = APIClient()
    api.force_authenticate(dossier.applicant)
    assert api.post(f"/api/v1/dossiers/{dossier.public_id}/payments/").status_code == 400
    assert not Payment.objects.exists()
    desk, _specialist = staff.of(dossier)
    workflow.dossier_accept(dossier=dossier, actor=desk)
    assert fresh(dossier).state == "received"


def test_level3_owes_nothing_online_even_with_a_fee_stated(gateway, staff):
    dossier = DossierFactory(version=version(level=3), submitted=True)
    assert dossier.version.channels.get(kind="online").fee_vnd == FEE
    assert fees.fee_due(dossier) == 0
    assert fees.purpose_now(dossier) is None
    assert fees.fee_outstanding(dossier) is False
    start_refused(dossier)
    desk, _specialist = staff.of(dossier)
    workflow.dossier_accept(dossier=dossier, actor=desk)
    assert fresh(dossier).state == "received"


def test_the_fee_due_is_the_online_channel_one(gateway):
    dossier = DossierFactory(version=version(fee=75_000), submitted=True)
    assert fees.fee_due(dossier) == 75_000  # not the in-person channel's 50,000


# --- a fee paid before processing -----------------------------------------------------------------


def test_the_desk_may_not_accept_until_the_fee_is_paid(
    client, gateway, submitted, staff, django_capture_on_commit_callbacks
):
    desk, _specialist = staff.of(submitted)
    assert has_pay_button(client, submitted) is True
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        workflow.dossier_accept(dossier=submitted, actor=desk)
    assert refused.value.code == "unpaid"
    assert "not paid yet" in " ".join(refused.value.messages)
    assert fresh(submitted).state == "submitted"
    assert fresh(submitted).received_at is None
    assert not submitted.events.filter(action="accept").exists()
    # The office page says why.
    client.force_login(desk)
    page = client.post(
        reverse("office:act", args=[submitted.public_id, "accept"]),
        {"accept-expected_state": "submitted"},
    )
    assert page.status_code == 400
    assert "The fee of this procedure is paid before processing" in page.content.decode()
    assert fresh(submitted).state == "submitted"
    # A pending attempt is not a payment.
    start_payment(client, submitted)
    with pytest.raises(ValidationError):
        workflow.dossier_accept(dossier=submitted, actor=desk)
    with django_capture_on_commit_callbacks(execute=True):
        payment, _back = pay(client, submitted, "pay")
    assert payment.status == "paid" and payment.purpose == "before"
    assert has_pay_button(client, submitted) is False
    assert fees.fee_outstanding(submitted) is False
    workflow.dossier_accept(dossier=submitted, actor=desk)
    assert fresh(submitted).state == "received"


def test_a_fee_due_on_delivery_is_not_asked_at_submission(client, gateway, staff):
    dossier = DossierFactory(version=version(timing="on_delivery"), submitted=True)
    assert fees.purpose_now(dossier) is None
    assert has_pay_button(client, dossier) is False
    assert fees.fee_outstanding(dossier) is False
    desk, _specialist = staff.of(dossier)
    workflow.dossier_accept(dossier=dossier, actor=desk)
    assert fresh(dossier).state == "received"


# --- a fee paid on delivery -----------------------------------------------------------------------


def test_the_specialist_asks_for_the_fee_the_clock_pauses_and_resumes_when_paid(
    client, gateway, delivery_version, django_capture_on_commit_callbacks, settings
):
    settings.DEADLINE_COUNTING = "working_hours"  # the due times below are counted in hours
    with time_machine.travel(at(2026, 3, 9, 9), tick=False) as clock:  # a Monday
        dossier = DossierFactory(version=delivery_version, processing=True)
        specialist = dossier.assignee
        due = fresh(dossier).due_at
        assert due == at(2026, 3, 16, 9)  # five working days
        assert has_pay_button(client, dossier) is False

        clock.move_to(at(2026, 3, 9, 10))
        workflow.dossier_request_payment(dossier=dossier, actor=specialist)
        waiting = fresh(dossier)
        assert (waiting.state, waiting.status_code) == ("awaiting_payment", 6)
        assert waiting.paused_at == at(2026, 3, 9, 10)
        assert waiting.time_left is not None and waiting.time_left > dt.timedelta(0)
        assert waiting.due_at == due  # unchanged while paused
        assert waiting.events.last().action == "request_payment"
        assert has_pay_button(client, dossier) is True

        clock.move_to(at(2026, 3, 10, 10))  # paid a working day later
        with django_capture_on_commit_callbacks(execute=True):
            payment, _back = pay(client, dossier, "pay")
    assert (payment.status, payment.purpose, payment.amount) == ("paid", "on_delivery", FEE)
    resumed = fresh(dossier)
    assert resumed.state == "processing"
    assert (resumed.paused_at, resumed.time_left) == (None, None)
    assert resumed.due_at == at(2026, 3, 17, 9)  # moved on by the day it waited
    event = resumed.events.last()
    assert (event.action, event.from_state, event.to_state) == (
        "payment_received",
        "awaiting_payment",
        "processing",
    )
    assert event.actor is None
    assert event.note == f"50.000 VND ({payment.order_ref})"
    assert fee_receipts(dossier).count() == 1
    assert fees.purpose_now(resumed) is None


def test_request_payment_is_refused_when_the_fee_is_paid_before(
    client, gateway, submitted, staff, django_capture_on_commit_callbacks
):
    desk, specialist = staff.of(submitted)
    with django_capture_on_commit_callbacks(execute=True):
        pay(client, submitted, "pay")
    workflow.dossier_accept(dossier=submitted, actor=desk)
    workflow.dossier_assign(dossier=submitted, actor=desk, specialist=specialist)
    with pytest.raises(ValidationError) as refused:
        workflow.dossier_request_payment(dossier=submitted, actor=specialist)
    assert refused.value.code == "no_fee"
    assert fresh(submitted).state == "processing"
    assert fresh(submitted).paused_at is None


def test_request_payment_is_refused_when_the_fee_is_zero(gateway):
    dossier = DossierFactory(version=version(fee=0, timing="on_delivery"), processing=True)
    with pytest.raises(ValidationError) as refused:
        workflow.dossier_request_payment(dossier=dossier, actor=dossier.assignee)
    assert refused.value.code == "no_fee"
    assert fresh(dossier).state == "processing"
    assert not dossier.events.filter(action="request_payment").exists()


def test_only_the_assigned_specialist_asks_for_the_fee(gateway, processing, staff):
    desk, _specialist = staff.of(processing)
    with pytest.raises(PermissionDenied):
        workflow.dossier_request_payment(dossier=processing, actor=desk)
    with pytest.raises(PermissionDenied):
        workflow.dossier_request_payment(dossier=processing, actor=processing.applicant)
    assert fresh(processing).state == "processing"


def test_request_payment_is_refused_and_not_offered_once_the_fee_is_paid(
    client, gateway, processing, staff, django_capture_on_commit_callbacks
):
    _desk, specialist = staff.of(processing)
    assert "request_payment" in office.available_actions(fresh(processing), specialist)
    workflow.dossier_request_payment(dossier=processing, actor=specialist)
    with django_capture_on_commit_callbacks(execute=True):
        payment, _back = pay(client, processing, "pay")
    assert payment.status == "paid" and fresh(processing).state == "processing"
    # Paid: asking again would pause the clock for nothing the applicant can pay.
    assert "request_payment" not in office.available_actions(fresh(processing), specialist)
    with pytest.raises(ValidationError) as refused:
        workflow.dossier_request_payment(dossier=processing, actor=specialist)
    assert refused.value.code == "no_fee"
    assert (fresh(processing).state, fresh(processing).paused_at) == ("processing", None)
    assert processing.events.filter(action="request_payment").count() == 1


def test_request_payment_is_refused_and_not_offered_without_online_payment(
    gateway, processing, staff, settings
):
    settings.VNPAY_HASH_SECRET = ""  # no terminal: the fee is collected at the desk
    _desk, specialist = staff.of(processing)
    assert "request_payment" not in office.available_actions(fresh(processing), specialist)
    with pytest.raises(ValidationError) as refused:
        workflow.dossier_request_payment(dossier=processing, actor=specialist)
    assert refused.value.code == "no_fee"
    assert fresh(processing).state == "processing"
    assert not processing.events.filter(action="request_payment").exists()


def _propose(dossier, specialist, decision=Decision.GRANT):
    workflow.dossier_propose(
        dossier=dossier,
        actor=specialist,
        decision=decision,
        reasons="Không đủ điều kiện." if decision == Decision.DENY else "",
        result_content="Cấp bản sao văn bằng." if decision == Decision.GRANT else "",
    )


def test_a_grant_whose_fee_is_due_on_delivery_is_approved_only_once_paid(
    client, gateway, processing, staff, django_capture_on_commit_callbacks
):
    _desk, specialist = staff.of(processing)
    leader = OfficerFactory(agency=processing.agency, roles=["leader"], language="en")
    _propose(processing, specialist)
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        workflow.dossier_approve(dossier=processing, actor=leader)
    assert refused.value.code == "unpaid"
    assert "not paid yet" in " ".join(refused.value.messages)
    assert fresh(processing).state == "pending_approval"
    assert not processing.events.filter(action="approve").exists()
    # Sent back; the specialist asks for the fee; the applicant pays; proposed again.
    workflow.dossier_send_back(dossier=processing, actor=leader, note="Thu phí trước.")
    workflow.dossier_request_payment(dossier=processing, actor=specialist)
    with django_capture_on_commit_callbacks(execute=True):
        payment, _back = pay(client, processing, "pay")
    assert payment.status == "paid" and fresh(processing).state == "processing"
    _propose(processing, specialist)
    workflow.dossier_approve(dossier=processing, actor=leader)
    assert fresh(processing).state == "signing"
    assert processing.events.filter(action="approve").count() == 1


@pytest.mark.parametrize("case", ["deny", "online-payment-off"])
def test_approving_needs_no_payment_when_none_is_due_online(
    gateway, processing, staff, settings, case
):
    """A denial owes no fee; without a terminal the fee is collected at the desk."""
    _desk, specialist = staff.of(processing)
    leader = OfficerFactory(agency=processing.agency, roles=["leader"], language="en")
    if case == "online-payment-off":
        settings.VNPAY_TMN_CODE = ""
    _propose(processing, specialist, Decision.DENY if case == "deny" else Decision.GRANT)
    workflow.dossier_approve(dossier=processing, actor=leader)
    assert fresh(processing).state == "signing"
    assert not Payment.objects.exists()


# --- one open attempt at a time -------------------------------------------------------------------


def test_a_second_start_while_an_attempt_is_open_reuses_it(
    client, gateway, submitted, settings, django_capture_on_commit_callbacks
):
    with time_machine.travel(at(2026, 3, 9, 10), tick=False) as clock:
        first, first_url = start_payment(client, submitted)
        clock.shift(dt.timedelta(minutes=5))
        # A second click, in another tab: the same attempt, the same order.
        again, again_url = start_payment(client, submitted)
        assert again.pk == first.pk
        assert query_of(again_url)["vnp_TxnRef"] == first.order_ref
        # In English this time: the same order in a freshly signed address.
        third, english_url = payment_start(submitted, locale="en")
        assert third.pk == first.pk
        params = query_of(english_url)
        assert params["vnp_Locale"] == "en" and query_of(first_url)["vnp_Locale"] == "vn"
        assert (params["vnp_CreateDate"], params["vnp_ExpireDate"]) == (
            "20260309100000",  # the attempt's, not the click's
            "20260309101500",
        )
        unsigned = {k: v for k, v in params.items() if k != "vnp_SecureHash"}
        assert params["vnp_SecureHash"] == hmac_sha512(
            settings.VNPAY_HASH_SECRET, canonical(unsigned)
        )
        assert Payment.objects.filter(dossier=submitted).count() == 1
        assert GatewayMessage.objects.filter(kind="pay_request").count() == 1
        # Both tabs go on to the gateway: it takes the money once.
        with django_capture_on_commit_callbacks(execute=True):
            for url in (english_url, first_url):
                client.get(url)
                client.post(url, {"choice": "pay"})
        first.refresh_from_db()
        assert first.status == "paid"
        assert gateway.ipn_answers == [{"RspCode": "00", "Message": "Confirm Success"}]
        assert paid_count(submitted) == 1 and fee_receipts(submitted).count() == 1
        report = services.daily_report(day=dt.date(2026, 3, 9))
    assert (report.checked, report.mismatches) == (1, [])


@pytest.mark.parametrize("ending", ["fail", "cancel", "time-up"])
def test_after_a_failed_cancelled_or_timed_out_attempt_a_new_one_is_made(
    client, gateway, submitted, ending
):
    with time_machine.travel(at(2026, 3, 9, 10), tick=False) as clock:
        if ending == "time-up":
            first, _url = start_payment(client, submitted)
            clock.shift(dt.timedelta(minutes=15))  # expires_at: no longer open at the gateway
        else:
            first, _back = pay(client, submitted, ending)
        second, url = start_payment(client, submitted)
    first.refresh_from_db()
    assert first.status == {"fail": "failed", "cancel": "cancelled", "time-up": "pending"}[ending]
    assert second.pk != first.pk and second.order_ref != first.order_ref
    assert (second.status, second.purpose) == ("pending", "before")
    assert query_of(url)["vnp_TxnRef"] == second.order_ref
    assert Payment.objects.filter(dossier=submitted).count() == 2


# --- someone else's dossier -----------------------------------------------------------------------


def test_another_users_dossier_gives_404_and_no_payment(client, gateway, submitted, staff):
    client.force_login(staff.stranger)
    response = client.post(reverse("payments:start", args=[submitted.public_id]))
    assert response.status_code == 404
    api = APIClient()
    api.force_authenticate(staff.stranger)
    assert api.post(f"/api/v1/dossiers/{submitted.public_id}/payments/").status_code == 404
    with pytest.raises(PermissionDenied):
        payment_start(submitted, actor=staff.stranger)
    assert not Payment.objects.exists()


def test_starting_a_payment_needs_a_login_and_a_post(client, gateway, submitted):
    url = reverse("payments:start", args=[submitted.public_id])
    response = client.post(url)
    assert response.status_code == 302 and "login" in response.url
    client.force_login(submitted.applicant)
    assert client.get(url).status_code == 405
    assert not Payment.objects.exists()


# --- the API --------------------------------------------------------------------------------------


def test_the_api_starts_and_follows_a_payment(
    client, gateway, submitted, staff, settings, django_capture_on_commit_callbacks
):
    api = APIClient()
    api.force_authenticate(submitted.applicant)
    response = api.post(f"/api/v1/dossiers/{submitted.public_id}/payments/")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["payment_url"].startswith(settings.VNPAY_PAYMENT_URL + "?")
    assert query_of(body["payment_url"])["vnp_TxnRef"] == body["order_ref"]
    assert query_of(body["payment_url"])["vnp_Amount"] == "5000000"
    assert (body["amount"], body["currency"], body["purpose"], body["status"]) == (
        FEE,
        "VND",
        "before",
        "pending",
    )
    assert body["dossier"] == submitted.code
    detail = f"/api/v1/payments/{body['order_ref']}/"
    assert api.get(detail).json()["status"] == "pending"
    # The payer goes to the gateway with the URL the API gave.
    client.force_login(submitted.applicant)
    assert client.get(body["payment_url"]).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        client.post(body["payment_url"], {"choice": "pay"})
    followed = api.get(detail).json()
    assert followed["status"] == "paid" and followed["paid_at"]
    assert "payment_url" not in followed
    # Paid: nothing more to pay.
    again = api.post(f"/api/v1/dossiers/{submitted.public_id}/payments/")
    assert again.status_code == 400
    assert Payment.objects.count() == 1
    # Someone else's payment, or none: 404.
    other = APIClient()
    other.force_authenticate(staff.stranger)
    assert other.get(detail).status_code == 404
    assert api.get("/api/v1/payments/1T000000000000ABCDEF/").status_code == 404
    assert APIClient().get(detail).status_code in (401, 403)


def test_the_payment_endpoints_are_in_the_schema(client):
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "get" in paths["/api/v1/payments/vnpay/ipn/"]
    assert "get" in paths["/api/v1/payments/{order_ref}/"]
    assert "post" in paths["/api/v1/dossiers/{public_id}/payments/"]
    started = paths["/api/v1/dossiers/{public_id}/payments/"]["post"]["responses"]
    assert "201" in started
    ipn = paths["/api/v1/payments/vnpay/ipn/"]["get"]
    assert {p["name"] for p in ipn["parameters"]} >= {"vnp_TxnRef", "vnp_SecureHash"}


# --- the e-receipt --------------------------------------------------------------------------------


def test_the_e_receipt_is_a_signed_pdf_of_the_amount(
    client, gateway, submitted, settings, tmp_path, django_capture_on_commit_callbacks
):
    make_demo_pki(settings, submitted.agency)
    with django_capture_on_commit_callbacks(execute=True):
        payment, _back = pay(client, submitted, "pay")
    assert paid_count(submitted) == 1
    (receipt,) = fee_receipts(submitted)
    assert receipt.status == Document.Status.SIGNED, receipt.__dict__
    assert receipt.owner == submitted
    assert receipt.agency == submitted.agency
    assert receipt.revision == payment.pk
    assert receipt.pdf.name
    with receipt.pdf.open("rb") as stored:
        data = stored.read()
    assert data.startswith(b"%PDF") and b"/ByteRange" in data  # signed
    pdf = tmp_path / "receipt.pdf"
    pdf.write_bytes(data)
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    assert "50.000" in text
    assert payment.order_ref in text
    assert submitted.code in text
    assert "BIÊN LAI" in text.upper()
    assert DossierEvent.objects.filter(dossier=submitted, action="payment_received").count() == 0

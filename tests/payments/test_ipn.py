"""The gateway's notification (IPN) and the browser's return: forged, wrong, unknown, repeated,
early, late, lost and out-of-order messages. Each test ends with the payment in the right state
and nothing paid twice: the paid attempts and the e-receipts are counted."""

import datetime as dt
import threading

import pytest
import time_machine
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from payments import fees, services, simulator, transport
from payments.models import GatewayMessage, Payment
from tests.factories import DossierFactory
from tests.payments.conftest import FEE
from tests.payments.support import (
    at,
    choose,
    fee_receipts,
    gateway_message,
    paid_count,
    pay,
    payment_start,
    query_of,
    send_ipn,
    simulated,
    start_payment,
    statuses,
)

pytestmark = pytest.mark.django_db

CONFIRMED = {"RspCode": "00", "Message": "Confirm Success"}
NOT_FOUND = {"RspCode": "01", "Message": "Order not found"}
ALREADY = {"RspCode": "02", "Message": "Order already confirmed"}
BAD_AMOUNT = {"RspCode": "04", "Message": "Invalid amount"}
BAD_SIGNATURE = {"RspCode": "97", "Message": "Invalid signature"}


def ipns() -> list[GatewayMessage]:
    return list(GatewayMessage.objects.filter(kind="ipn").order_by("pk"))


def shown_status(client, url: str) -> str:
    page = client.get(url)
    assert page.status_code == 200, page.content
    text = page.content.decode()
    return text.split('data-status="', 1)[1].split('"', 1)[0]


# --- refused notifications ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda p: gateway_message(p, secret="NOT-OUR-SECRET"), id="wrong-secret"),
        pytest.param(
            lambda p: {**gateway_message(p), "vnp_ResponseCode": "00", "vnp_Amount": "100"},
            id="changed-after-signing",
        ),
        pytest.param(
            lambda p: {k: v for k, v in gateway_message(p).items() if k != "vnp_SecureHash"},
            id="unsigned",
        ),
        pytest.param(lambda p: gateway_message(p, vnp_TmnCode="OTHERTMN"), id="other-terminal"),
        # Compared as bytes: not a 500 (hmac.compare_digest refuses non-ASCII text).
        pytest.param(lambda p: {**gateway_message(p), "vnp_SecureHash": "é" * 128}, id="non-ascii"),
        pytest.param(
            lambda p: {**gateway_message(p), "vnp_SecureHash": "Chữ ký giả mạo"},
            id="non-ascii-short",
        ),
    ],
)
def test_a_forged_ipn_is_refused_with_97_and_changes_nothing(
    client, gateway, submitted, django_capture_on_commit_callbacks, forge
):
    payment, _url = start_payment(client, submitted)
    params = forge(payment)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert send_ipn(client, params) == BAD_SIGNATURE
    assert callbacks == []
    payment.refresh_from_db()
    assert payment.status == "pending" and payment.paid_at is None
    assert paid_count(submitted) == 0 and fee_receipts(submitted).count() == 0
    (message,) = ipns()
    assert message.payload == params
    assert message.signature_valid is False
    assert message.outcome == "97"
    assert message.payment is None  # a forged message is not filed under the order it names


@pytest.mark.parametrize(
    "amount",
    [
        pytest.param(str((FEE + 1) * 100), id="one-dong-more"),
        pytest.param(str((FEE - 1000) * 100), id="less"),
        pytest.param(str(FEE), id="not-times-100"),
        pytest.param("", id="missing"),
    ],
)
def test_an_ipn_with_a_wrong_amount_is_refused_with_04(
    client, gateway, submitted, django_capture_on_commit_callbacks, amount
):
    payment, _url = start_payment(client, submitted)
    params = gateway_message(payment, vnp_Amount=amount)
    with django_capture_on_commit_callbacks(execute=True):
        assert send_ipn(client, params) == BAD_AMOUNT
    payment.refresh_from_db()
    assert payment.status == "pending"
    assert paid_count(submitted) == 0 and fee_receipts(submitted).count() == 0
    (message,) = ipns()
    assert (message.payload, message.signature_valid) == (params, True)
    assert (message.outcome, message.payment) == ("04", payment)


def test_an_ipn_for_an_unknown_order_is_answered_01(client, gateway, submitted):
    payment, _url = start_payment(client, submitted)
    params = gateway_message(payment, vnp_TxnRef=payment.order_ref + "X")
    assert send_ipn(client, params) == NOT_FOUND
    payment.refresh_from_db()
    assert payment.status == "pending"
    (message,) = ipns()
    assert (message.payload, message.signature_valid) == (params, True)
    assert (message.outcome, message.payment) == ("01", None)


# --- repeated, early, late and lost notifications -------------------------------------------------


def test_a_replayed_ipn_is_answered_02_and_pays_once(
    client, gateway, submitted, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        payment, _back = pay(client, submitted, "pay")
    assert gateway.ipn_answers == [CONFIRMED]
    assert payment.status == "paid"
    assert fee_receipts(submitted).count() == 1
    first = ipns()[0].payload
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert send_ipn(client, first) == ALREADY
        assert send_ipn(client, first) == ALREADY
    assert callbacks == []
    assert paid_count(submitted) == 1 and fee_receipts(submitted).count() == 1
    assert [m.outcome for m in ipns()] == ["00", "02", "02"]
    paid_at = payment.paid_at
    payment.refresh_from_db()
    assert payment.paid_at == paid_at  # not paid again


def test_an_ipn_before_the_browser_returns_the_return_page_shows_paid(
    client, gateway, submitted, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        payment, back = pay(client, submitted, "pay")
    assert payment.status == "paid"
    with django_capture_on_commit_callbacks(execute=True):
        assert shown_status(client, back) == "paid"
    (returned,) = GatewayMessage.objects.filter(kind="return")
    assert (returned.payment, returned.signature_valid, returned.outcome) == (payment, True, "paid")
    # Already settled: the return asks the gateway nothing.
    assert not GatewayMessage.objects.filter(kind="query_request").exists()
    assert paid_count(submitted) == 1 and fee_receipts(submitted).count() == 1


def test_the_browser_back_before_the_ipn_sees_pending_then_paid(
    client, gateway, submitted, django_capture_on_commit_callbacks
):
    gateway.ipn_enabled = False
    payment, back = pay(client, submitted, "pay")
    assert payment.status == "pending"
    assert shown_status(client, back) == "pending"  # its status query is not run (no commit)
    gateway.ipn_enabled = True
    with django_capture_on_commit_callbacks(execute=True):
        assert simulator.send_ipn(simulated(payment).pk) == CONFIRMED  # the gateway's retry
    payment.refresh_from_db()
    assert payment.status == "paid"
    assert shown_status(client, back) == "paid"
    assert paid_count(submitted) == 1 and fee_receipts(submitted).count() == 1


def test_the_return_page_of_an_unconfirmed_payment_asks_the_gateway(
    client, gateway, submitted, django_capture_on_commit_callbacks
):
    payment, back = pay(client, submitted, "pay_no_ipn")
    with django_capture_on_commit_callbacks(execute=True):
        assert shown_status(client, back) == "pending"
    payment.refresh_from_db()
    assert payment.status == "paid"  # settled by the query enqueued by the return
    assert payment.gateway_transaction_no == simulated(payment).transaction_no
    assert GatewayMessage.objects.filter(kind="query_response", outcome="paid").count() == 1
    assert paid_count(submitted) == 1 and fee_receipts(submitted).count() == 1


@pytest.mark.parametrize("lost", ["pay_no_ipn", "ipn_dropped"])
def test_an_ipn_that_never_arrives_is_settled_by_reconciliation(
    client, gateway, submitted, django_capture_on_commit_callbacks, lost
):
    if lost == "ipn_dropped":
        gateway.ipn_enabled = False
    payment, _back = pay(client, submitted, "pay" if lost == "ipn_dropped" else lost)
    assert gateway.ipn_answers == []
    assert payment.status == "pending"
    assert fee_receipts(submitted).count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert services.reconcile_pending(older_than_minutes=0) == 1
    payment.refresh_from_db()
    txn = simulated(payment)
    assert payment.status == "paid"
    assert (payment.gateway_transaction_no, payment.bank_code) == (txn.transaction_no, "NCB")
    kinds = list(payment.messages.values_list("kind", "signature_valid", "outcome"))
    assert ("query_request", None, "") in kinds
    assert ("query_response", True, "paid") in kinds
    assert paid_count(submitted) == 1 and fee_receipts(submitted).count() == 1
    # The notification finally comes: confirmed already, nothing more.
    gateway.ipn_enabled = True
    with django_capture_on_commit_callbacks(execute=True):
        assert simulator.send_ipn(txn.pk) == ALREADY
    assert paid_count(submitted) == 1 and fee_receipts(submitted).count() == 1


# --- out of order ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "status"),
    [("51", "02"), ("24", "02"), ("99", "02")],
    ids=["failed", "cancel", "other"],
)
def test_a_failure_ipn_after_paid_never_unpays(
    client, gateway, submitted, django_capture_on_commit_callbacks, code, status
):
    with django_capture_on_commit_callbacks(execute=True):
        payment, _back = pay(client, submitted, "pay")
    assert payment.status == "paid"
    late = gateway_message(
        payment,
        vnp_ResponseCode=code,
        vnp_TransactionStatus=status,
        vnp_TransactionNo=payment.gateway_transaction_no,
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert send_ipn(client, late) == ALREADY
    payment.refresh_from_db()
    assert (payment.status, payment.response_code) == ("paid", "00")
    assert paid_count(submitted) == 1 and fee_receipts(submitted).count() == 1


def test_a_paid_ipn_after_a_failure_ipn_of_the_same_attempt_pays(
    client, gateway, submitted, django_capture_on_commit_callbacks
):
    """The gateway's word that money was taken wins over its earlier failure notice."""
    payment, _url = start_payment(client, submitted)
    failure = gateway_message(payment, vnp_ResponseCode="51", vnp_TransactionStatus="02")
    assert send_ipn(client, failure) == CONFIRMED
    payment.refresh_from_db()
    assert payment.status == "failed"
    with django_capture_on_commit_callbacks(execute=True):
        assert send_ipn(client, gateway_message(payment)) == CONFIRMED
    payment.refresh_from_db()
    assert payment.status == "paid"
    assert paid_count(submitted) == 1 and fee_receipts(submitted).count() == 1


def test_a_late_paid_ipn_after_local_expiry_is_paid_and_reported_clean(
    client, gateway, fee_version, django_capture_on_commit_callbacks, settings
):
    settings.PAYMENT_EXPIRE_MINUTES = 15
    settings.PAYMENT_PENDING_TIMEOUT_MINUTES = 20
    with time_machine.travel(at(2026, 3, 9, 10), tick=False) as clock:
        dossier = DossierFactory(version=fee_version, submitted=True)
        payment, url = start_payment(client, dossier)
        assert client.get(url).status_code == 200  # the payer is on the gateway's page...
        clock.shift(dt.timedelta(minutes=16))
        assert services.reconcile_pending(older_than_minutes=0) == 1
        payment.refresh_from_db()
        assert payment.status == "pending"  # past its time, but still pending at the gateway
        clock.shift(dt.timedelta(minutes=19))  # expires_at + PAYMENT_PENDING_TIMEOUT_MINUTES
        assert services.reconcile_pending(older_than_minutes=0) == 1
        payment.refresh_from_db()
        assert payment.status == "expired"  # ...for longer than the attempt lasts here
        clock.shift(dt.timedelta(minutes=1))
        with django_capture_on_commit_callbacks(execute=True):
            client.post(url, {"choice": "pay"})
        assert gateway.ipn_answers == [CONFIRMED]
        payment.refresh_from_db()
        assert payment.status == "paid"
        assert paid_count(dossier) == 1 and fee_receipts(dossier).count() == 1
        report = services.daily_report(day=dt.date(2026, 3, 9))
    assert report.checked == 1
    assert report.mismatches == []


def test_a_late_paid_ipn_after_a_new_paid_attempt_is_reported_as_paid_twice(
    client, gateway, fee_version, django_capture_on_commit_callbacks, settings
):
    settings.PAYMENT_EXPIRE_MINUTES = 15
    settings.PAYMENT_PENDING_TIMEOUT_MINUTES = 20
    with time_machine.travel(at(2026, 3, 9, 10), tick=False) as clock:
        dossier = DossierFactory(version=fee_version, submitted=True)
        old, old_url = start_payment(client, dossier)
        assert client.get(old_url).status_code == 200
        clock.shift(dt.timedelta(minutes=35))  # expires_at + PAYMENT_PENDING_TIMEOUT_MINUTES
        services.reconcile_pending(older_than_minutes=0)
        old.refresh_from_db()
        assert old.status == "expired"
        with django_capture_on_commit_callbacks(execute=True):
            new, _back = pay(client, dossier, "pay")
            client.post(old_url, {"choice": "pay"})  # the first tab, paid at last
        old.refresh_from_db()
        assert (old.status, new.status) == ("paid", "paid")
        assert gateway.ipn_answers == [CONFIRMED, CONFIRMED]  # the gateway took it twice
        assert fee_receipts(dossier).count() == 2  # one per payment received
        report = services.daily_report(day=dt.date(2026, 3, 9))
    assert report.checked == 2
    assert report.mismatches == [{"dossier_id": dossier.pk, "problem": "paid 2 times"}]


# --- cancelled and failed attempts, then another --------------------------------------------------


def test_a_cancelled_attempt_then_a_paid_one(
    client, gateway, submitted, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        cancelled, back = pay(client, submitted, "cancel")
    assert query_of(back)["vnp_ResponseCode"] == "24"
    assert gateway.ipn_answers == [CONFIRMED]
    assert (cancelled.status, cancelled.response_code) == ("cancelled", "24")
    assert cancelled.settled_at is not None and cancelled.paid_at is None
    assert shown_status(client, back) == "cancelled"
    assert fees.purpose_now(submitted) == "before"  # may try again
    with django_capture_on_commit_callbacks(execute=True):
        paid, _back = pay(client, submitted, "pay")
    assert paid.pk != cancelled.pk and paid.order_ref != cancelled.order_ref
    assert paid.status == "paid"
    assert statuses(submitted) == ["cancelled", "paid"]
    assert fee_receipts(submitted).count() == 1
    assert fees.purpose_now(submitted) is None


def test_a_failed_attempt_then_a_successful_retry(
    client, gateway, submitted, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        failed, back = pay(client, submitted, "fail")
    assert (failed.status, failed.response_code) == ("failed", "51")
    assert shown_status(client, back) == "failed"
    assert fee_receipts(submitted).count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        paid, _back = pay(client, submitted, "pay")
    assert paid.status == "paid" and paid.pk != failed.pk
    assert statuses(submitted) == ["failed", "paid"]
    assert paid_count(submitted) == 1 and fee_receipts(submitted).count() == 1
    # Nothing left to pay: a third attempt is refused.
    response = client.post(reverse("payments:start", args=[submitted.public_id]))
    assert response.status_code == 302
    assert response.url == reverse("submissions:detail", args=[submitted.public_id])
    assert Payment.objects.filter(dossier=submitted).count() == 2


# --- the browser's return -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(lambda q: {**q, "vnp_Amount": "100"}, id="changed-amount"),
        pytest.param(lambda q: {**q, "vnp_SecureHash": "0" * 128}, id="wrong-hash"),
        pytest.param(
            lambda q: {k: v for k, v in q.items() if k != "vnp_SecureHash"}, id="unsigned"
        ),
        pytest.param(lambda q: {**q, "vnp_SecureHash": "é" * 128}, id="non-ascii-hash"),
    ],
)
def test_a_return_with_a_bad_signature_shows_400_and_settles_nothing(
    client, gateway, submitted, django_capture_on_commit_callbacks, spoil
):
    payment, back = pay(client, submitted, "pay_no_ipn")  # paid at the gateway, not yet here
    params = spoil(query_of(back))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        page = client.get(back.split("?", 1)[0], params)
    assert page.status_code == 400
    assert b'class="form-errors" role="alert"' in page.content
    assert b"data-status" not in page.content
    assert callbacks == []  # no status query on the strength of a forged return
    payment.refresh_from_db()
    assert payment.status == "pending"
    assert not GatewayMessage.objects.filter(kind="query_request").exists()
    (returned,) = GatewayMessage.objects.filter(kind="return")
    assert (returned.payload, returned.signature_valid) == (params, False)
    assert paid_count(submitted) == 0 and fee_receipts(submitted).count() == 0


def test_a_return_for_an_unknown_order_shows_400(client, gateway, submitted):
    payment, _url = start_payment(client, submitted)
    params = gateway_message(payment, vnp_TxnRef="1T000000000000ABCDEF")
    page = client.get("/payments/vnpay/return/", params)
    assert page.status_code == 400
    payment.refresh_from_db()
    assert payment.status == "pending"


def test_the_return_page_shows_the_dossier_link_only_to_its_applicant(
    client, gateway, submitted, staff, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _payment, back = pay(client, submitted, "pay")
    mine = client.get(back).content.decode()
    assert f"/dossiers/{submitted.public_id}/" in mine
    client.force_login(staff.stranger)
    theirs = client.get(back)
    assert theirs.status_code == 200
    assert f"/dossiers/{submitted.public_id}/" not in theirs.content.decode()


# --- every message, as it was ---------------------------------------------------------------------


def test_every_gateway_message_is_stored_verbatim(
    client, gateway, submitted, django_capture_on_commit_callbacks, monkeypatch
):
    exchanged = []
    routed = transport.post_json

    def recording(url, body):
        answer = routed(url, body)
        exchanged.append((body, answer))
        return answer

    monkeypatch.setattr(transport, "post_json", recording)
    gateway.ipn_enabled = False
    payment, url = start_payment(client, submitted)
    back = choose(client, url, "pay")
    client.get(back)  # the return (its query is not run: no commit)
    services.reconcile_pending(older_than_minutes=0)  # the query
    gateway.ipn_enabled = True
    txn = simulated(payment)
    with django_capture_on_commit_callbacks(execute=True):
        simulator.send_ipn(txn.pk)  # the late notification
    messages = {m.kind: m for m in payment.messages.all()}
    assert set(messages) == {"pay_request", "return", "query_request", "query_response", "ipn"}
    assert messages["pay_request"].payload == {"url": url}
    assert messages["return"].payload == query_of(back)
    ((sent, answered),) = exchanged
    assert messages["query_request"].payload == sent
    assert messages["query_response"].payload == answered
    assert messages["ipn"].payload == simulator.callback_params(txn)
    assert messages["ipn"].outcome == "02"


def test_what_anyone_sends_is_stored_bounded(client, gateway, submitted):
    """The notification and return addresses are open to anyone: of what they send, only the
    protocol's fields are kept, at most 64 of them and 512 characters each."""
    payment, _url = start_payment(client, submitted)
    signed = gateway_message(payment)
    padded = {
        **signed,
        "utm_source": "spam",
        "vnp_Padding": "x" * 5000,
        **{f"vnp_Extra{n:03d}": str(n) for n in range(100)},
    }
    assert send_ipn(client, padded) == BAD_SIGNATURE  # what was signed is not what came
    client.get(reverse("payments:return"), padded)
    for message in (*ipns(), GatewayMessage.objects.get(kind="return")):
        payload = message.payload
        assert message.signature_valid is False
        assert len(payload) <= 64
        assert all(name.startswith("vnp_") for name in payload)
        assert all(len(value) <= 512 for value in payload.values())
        assert payload["vnp_TxnRef"] == payment.order_ref  # the protocol's fields come first
        assert payload["vnp_Padding"] == "x" * 512
    payment.refresh_from_db()
    assert payment.status == "pending"


# --- two notifications at the same moment ---------------------------------------------------------


@pytest.mark.postgresql  # concurrent writers wait on the row lock (SQLite refuses the second)
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_ipns_pay_once(gateway, fee_version):
    dossier = DossierFactory(version=fee_version, submitted=True)
    payment, _url = payment_start(dossier)
    params = gateway_message(payment)
    barrier = threading.Barrier(2, timeout=30)
    answers: list = []

    def notify():
        try:
            barrier.wait()
            answers.append(services.handle_ipn(params)["RspCode"])
        finally:
            connection.close()

    threads = [threading.Thread(target=notify, daemon=True) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(answers) == ["00", "02"]
    assert paid_count(dossier) == 1
    assert fee_receipts(dossier).count() == 1
    payment.refresh_from_db()
    assert payment.status == "paid" and payment.paid_at <= timezone.now()

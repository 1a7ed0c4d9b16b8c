"""Settling attempts from the gateway's answer when no notification came, the daily comparison
with the gateway's records (đối soát), and the tasks run twice."""

import datetime as dt

import pytest
import time_machine

from office import services as workflow
from payments import fees, services, tasks
from payments.models import GatewayMessage, Payment, ReconciliationReport
from tests.factories import DossierFactory
from tests.payments.conftest import FEE
from tests.payments.support import (
    at,
    fee_receipts,
    paid_count,
    pay,
    simulated,
    start_payment,
    statuses,
)

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 3, 9)


@pytest.fixture
def morning(settings):
    """Monday 9 March 2026, 10:00 in Hà Nội, the clock standing still until moved."""
    settings.PAYMENT_EXPIRE_MINUTES = 15
    settings.PAYMENT_PENDING_TIMEOUT_MINUTES = 20
    with time_machine.travel(at(2026, 3, 9, 10), tick=False) as clock:
        yield clock


def queries(payment) -> int:
    return payment.messages.filter(kind="query_request").count()


# --- pending attempts -----------------------------------------------------------------------------


def test_reconcile_leaves_young_attempts_alone_and_settles_old_ones(
    client, gateway, fee_version, morning, django_capture_on_commit_callbacks
):
    first = DossierFactory(version=fee_version, submitted=True)
    second = DossierFactory(version=fee_version, submitted=True)
    old, _back = pay(client, first, "pay_no_ipn")
    morning.move_to(at(2026, 3, 9, 10, 25))
    young, _back = pay(client, second, "pay_no_ipn")
    assert (old.status, young.status) == ("pending", "pending")

    morning.move_to(at(2026, 3, 9, 10, 30))  # old: 30 minutes; young: 5
    with django_capture_on_commit_callbacks(execute=True):
        assert services.reconcile_pending() == 1
    old.refresh_from_db()
    young.refresh_from_db()
    assert (old.status, young.status) == ("paid", "pending")
    assert (queries(old), queries(young)) == (1, 0)
    assert fee_receipts(first).count() == 1 and fee_receipts(second).count() == 0

    morning.move_to(at(2026, 3, 9, 10, 45))  # young: 20 minutes
    with django_capture_on_commit_callbacks(execute=True):
        assert services.reconcile_pending() == 1
    young.refresh_from_db()
    assert young.status == "paid"
    assert queries(old) == 1  # settled attempts are not asked again
    assert fee_receipts(second).count() == 1


def test_an_attempt_the_gateway_never_saw_expires_after_its_time(
    client, gateway, submitted, morning
):
    payment, _url = start_payment(client, submitted)  # the payer never reached the gateway
    morning.shift(dt.timedelta(minutes=14))
    assert services.reconcile_pending(older_than_minutes=0) == 1
    payment.refresh_from_db()
    assert payment.status == "pending"  # not yet expired: it may still arrive
    answer = payment.messages.get(kind="query_response")
    assert (answer.payload["vnp_ResponseCode"], answer.outcome) == ("91", "unknown")

    morning.shift(dt.timedelta(minutes=1))  # 15 minutes: expires_at
    assert services.reconcile_pending(older_than_minutes=0) == 1
    payment.refresh_from_db()
    assert payment.status == "expired"
    assert payment.settled_at == at(2026, 3, 9, 10, 15) and payment.paid_at is None
    assert services.reconcile_pending(older_than_minutes=0) == 0  # nothing pending now
    assert fees.purpose_now(submitted) == "before"  # a new attempt may start


def test_an_attempt_left_open_on_the_gateway_page_expires_too(client, gateway, submitted, morning):
    payment, url = start_payment(client, submitted)
    assert client.get(url).status_code == 200  # known to the gateway, still pending there
    morning.shift(dt.timedelta(minutes=16))  # past expires_at: the gateway may still settle it
    services.reconcile_pending(older_than_minutes=0)
    payment.refresh_from_db()
    assert payment.status == "pending"
    morning.shift(dt.timedelta(minutes=19))  # expires_at + PAYMENT_PENDING_TIMEOUT_MINUTES
    services.reconcile_pending(older_than_minutes=0)
    payment.refresh_from_db()
    assert payment.status == "expired"
    assert payment.settled_at == at(2026, 3, 9, 10, 35) and payment.paid_at is None
    assert payment.messages.filter(kind="query_response", outcome="pending").count() == 2


def test_a_lost_failure_notice_is_settled_as_not_paid(client, gateway, submitted, morning):
    gateway.ipn_enabled = False
    payment, _back = pay(client, submitted, "fail")
    assert payment.status == "pending"
    services.reconcile_pending(older_than_minutes=0)
    payment.refresh_from_db()
    assert payment.status == "failed"
    assert paid_count(submitted) == 0 and fee_receipts(submitted).count() == 0


def test_a_query_answer_with_another_amount_does_not_pay(client, gateway, submitted, morning):
    payment, _back = pay(client, submitted, "pay_no_ipn")
    txn = simulated(payment)
    txn.amount = (FEE - 10_000) * 100
    txn.save()
    services.reconcile_pending(older_than_minutes=0)
    payment.refresh_from_db()
    assert payment.status == "pending"
    assert paid_count(submitted) == 0


# --- the daily report -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("gateway_status", "gateway_says"),
    [("failed", "failed"), ("pending", "pending"), ("missing", "unknown")],
)
def test_report_flags_paid_here_but_not_at_the_gateway(
    client,
    gateway,
    submitted,
    morning,
    django_capture_on_commit_callbacks,
    gateway_status,
    gateway_says,
):
    with django_capture_on_commit_callbacks(execute=True):
        payment, _back = pay(client, submitted, "pay")
    txn = simulated(payment)
    if gateway_status == "missing":
        txn.delete()
    else:
        txn.status = gateway_status
        txn.save()
    report = services.daily_report(day=DAY)
    assert report.checked == 1
    assert report.mismatches == [
        {
            "order_ref": payment.order_ref,
            "dossier": submitted.code,
            "ours": "paid",
            "gateway": gateway_says,
            "amount": FEE,
            "gateway_amount": FEE if gateway_status != "missing" else None,
            "problem": "paid here, not at the gateway",
        }
    ]
    payment.refresh_from_db()
    assert payment.status == "paid"  # a report changes nothing


def test_report_flags_paid_at_the_gateway_but_not_here(client, gateway, fee_version, morning):
    unnotified = DossierFactory(version=fee_version, submitted=True)
    cancelled_here = DossierFactory(version=fee_version, submitted=True)
    pending, _back = pay(client, unnotified, "pay_no_ipn")
    cancelled, _back = pay(client, cancelled_here, "cancel")
    assert cancelled.status == "cancelled"
    txn = simulated(cancelled)
    txn.status = "paid"  # the gateway's ledger says otherwise
    txn.save()
    report = services.daily_report(day=DAY)
    assert report.checked == 2
    mismatches = report.mismatches
    found = sorted((m["order_ref"], m["ours"], m["gateway"], m["problem"]) for m in mismatches)
    assert found == sorted(
        [
            (pending.order_ref, "pending", "paid", "paid at the gateway, not here"),
            (cancelled.order_ref, "cancelled", "paid", "paid at the gateway, not here"),
        ]
    )


def test_report_flags_different_amounts(
    client, gateway, submitted, morning, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        payment, _back = pay(client, submitted, "pay")
    txn = simulated(payment)
    txn.amount = 5_000_00
    txn.save()
    (mismatch,) = services.daily_report(day=DAY).mismatches
    assert (mismatch["problem"], mismatch["amount"], mismatch["gateway_amount"]) == (
        "amounts differ",
        FEE,
        5_000,
    )


def test_report_flags_a_dossier_paid_twice(
    client, gateway, submitted, morning, django_capture_on_commit_callbacks
):
    # The first tab left on the gateway's page past the attempt's time; a second attempt made
    # then (the first is no longer open here), and the gateway takes both.
    first, first_url = start_payment(client, submitted)
    assert client.get(first_url).status_code == 200
    morning.shift(dt.timedelta(minutes=16))
    second, second_url = start_payment(client, submitted)
    assert second.pk != first.pk
    with django_capture_on_commit_callbacks(execute=True):
        for url in (first_url, second_url):
            client.get(url)
            client.post(url, {"choice": "pay"})
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("paid", "paid")
    report = services.daily_report(day=DAY)
    assert report.checked == 2
    assert report.mismatches == [{"dossier_id": submitted.pk, "problem": "paid 2 times"}]


def test_report_flags_a_dossier_paid_twice_across_midnight(
    client, gateway, fee_version, morning, django_capture_on_commit_callbacks
):
    """The first attempt is made before midnight and paid late, after a second attempt made
    after midnight was paid: each day holds one paid attempt, and yet the dossier is paid twice."""
    morning.move_to(at(2026, 3, 9, 23, 50))
    dossier = DossierFactory(version=fee_version, submitted=True)
    old, old_url = start_payment(client, dossier)
    client.get(old_url)
    morning.move_to(at(2026, 3, 10, 0, 25))  # expires_at + PAYMENT_PENDING_TIMEOUT_MINUTES
    services.reconcile_pending(older_than_minutes=0)
    old.refresh_from_db()
    assert old.status == "expired"
    with django_capture_on_commit_callbacks(execute=True):
        pay(client, dossier, "pay")
        client.post(old_url, {"choice": "pay"})
    assert statuses(dossier) == ["paid", "paid"]
    twice = {"dossier_id": dossier.pk, "problem": "paid 2 times"}
    assert twice in services.daily_report(day=dt.date(2026, 3, 10)).mismatches
    assert twice in services.daily_report(day=DAY).mismatches


def test_a_clean_day_has_no_mismatch_and_other_days_are_not_checked(
    client, gateway, fee_version, morning, django_capture_on_commit_callbacks
):
    dossiers = [DossierFactory(version=fee_version, submitted=True) for _ in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        pay(client, dossiers[0], "cancel")
        pay(client, dossiers[0], "pay")
        pay(client, dossiers[1], "fail")
        start_payment(client, dossiers[2])  # never reached the gateway
    report = services.daily_report(day=DAY)
    assert (report.checked, report.mismatches) == (4, [])
    morning.move_to(at(2026, 3, 10, 0, 5))  # just after midnight in Hà Nội
    pay(client, dossiers[2], "pay_no_ipn")  # belongs to the 10th
    assert services.daily_report(day=DAY).checked == 4
    tenth = services.daily_report(day=dt.date(2026, 3, 10))
    assert tenth.checked == 1 and tenth.mismatches[0]["problem"] == "paid at the gateway, not here"
    assert services.daily_report(day=dt.date(2026, 3, 8)).checked == 0


# --- tasks, run twice -----------------------------------------------------------------------------


def test_payment_paid_task_twice_gives_one_receipt_and_one_event(
    client, gateway, processing, staff, django_capture_on_commit_callbacks
):
    _desk, specialist = staff.of(processing)
    workflow.dossier_request_payment(dossier=processing, actor=specialist)
    payment, _back = pay(client, processing, "pay")  # its effects not run: no commit here
    assert payment.status == "paid"
    assert fee_receipts(processing).count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        tasks.payment_paid_task.delay(payment.pk)
        tasks.payment_paid_task.delay(payment.pk)
    assert fee_receipts(processing).count() == 1
    assert processing.events.filter(action="payment_received").count() == 1
    processing.refresh_from_db()
    assert processing.state == "processing"


def test_payment_paid_task_does_nothing_for_an_unpaid_attempt(
    client, gateway, submitted, django_capture_on_commit_callbacks
):
    payment, _url = start_payment(client, submitted)
    with django_capture_on_commit_callbacks(execute=True):
        tasks.payment_paid_task.delay(payment.pk)
    assert fee_receipts(submitted).count() == 0


def test_reconcile_task_twice_settles_once(
    client, gateway, submitted, morning, django_capture_on_commit_callbacks
):
    payment, _back = pay(client, submitted, "pay_no_ipn")
    morning.shift(dt.timedelta(minutes=21))
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.reconcile_payments_task.delay().get() == 1
        assert tasks.reconcile_payments_task.delay().get() == 0
        assert tasks.query_payment_task.delay(payment.pk).get() == "paid"
    payment.refresh_from_db()
    assert payment.status == "paid"
    assert queries(payment) == 1
    assert paid_count(submitted) == 1 and fee_receipts(submitted).count() == 1
    assert GatewayMessage.objects.filter(kind="ipn").count() == 0


def test_daily_report_task_twice_keeps_one_report(
    client, gateway, submitted, morning, django_capture_on_commit_callbacks
):
    pay(client, submitted, "pay_no_ipn")
    morning.move_to(at(2026, 3, 10, 1))
    assert tasks.daily_payment_report_task.delay().get() == 1  # yesterday by default
    assert tasks.daily_payment_report_task.delay("2026-03-09").get() == 1
    (report,) = ReconciliationReport.objects.all()
    assert (report.day, report.checked, len(report.mismatches)) == (DAY, 1, 1)
    assert Payment.objects.get().status == "pending"

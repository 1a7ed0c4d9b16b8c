"""Fees of a dossier and their online payment.

A payment is one attempt: started by the applicant, settled by the gateway's notification (IPN),
or by the reconciliation query when no notification came. Settling locks the payment's row, so a
repeated, late or out-of-order notification never pays twice or un-pays; a failed, cancelled or
expired attempt is followed by a new attempt. When a payment settles as paid, `payment_paid` is
sent (payments.signals): the back-office issues the electronic receipt and the dossier continues
(a fee due on delivery resumes processing). What is owed, and when, is payments.fees.
"""

import datetime as dt
import secrets

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from payments.fees import fee_due, online_payment_enabled, purpose_now
from payments.models import GatewayMessage, Payment
from payments.providers import get_provider
from payments.signals import payment_paid
from submissions.models import Dossier


@transaction.atomic
def payment_start(*, dossier: Dossier, actor, return_url: str, client_ip: str, locale: str):
    """The attempt to pay with and the gateway URL to send the browser to. An attempt still open
    at the gateway is reused (a second click or tab pays the same order, never a second one);
    after a failure, a cancel or an expiry, a new attempt is made."""
    dossier = Dossier.objects.select_for_update().get(pk=dossier.pk)
    if dossier.applicant_id != getattr(actor, "pk", None):
        raise PermissionDenied
    if not online_payment_enabled():
        raise ValidationError(
            _("Online payment is not available at the moment: pay at the one-stop desk."),
            code="not_configured",
        )
    purpose = purpose_now(dossier)
    if purpose is None:
        raise ValidationError(_("There is no fee to pay on this dossier now."), code="nothing")
    now = timezone.now()
    provider = get_provider(settings.PAYMENT_PROVIDER)
    open_attempt = dossier.payments.filter(
        status=Payment.Status.PENDING, expires_at__gt=now, purpose=purpose
    ).first()
    if open_attempt is not None:
        url = provider.payment_url(
            open_attempt, return_url=return_url, client_ip=client_ip, locale=locale
        )
        return open_attempt, url
    payment = Payment.objects.create(
        dossier=dossier,
        provider=settings.PAYMENT_PROVIDER,
        order_ref=f"{dossier.pk}T{now:%y%m%d%H%M%S}{secrets.token_hex(3).upper()}",
        amount=fee_due(dossier),
        purpose=purpose,
        created_at=now,
        expires_at=now + dt.timedelta(minutes=settings.PAYMENT_EXPIRE_MINUTES),
        created_by=actor,
    )
    url = provider.payment_url(payment, return_url=return_url, client_ip=client_ip, locale=locale)
    GatewayMessage.objects.create(
        payment=payment, kind=GatewayMessage.Kind.PAY_REQUEST, payload={"url": url}
    )
    return payment, url


def _settle(payment: Payment, result) -> str:
    """Apply the gateway's verdict to a locked payment. Returns what happened."""
    if result.outcome == "paid":
        if payment.status == Payment.Status.PAID:
            return "already"
        payment.mark_paid()
        payment.gateway_transaction_no = result.transaction_no[:40]
        payment.bank_code = result.bank_code[:20]
        payment.response_code = result.response_code[:4]
        payment.save()
        transaction.on_commit(lambda: _after_paid(payment.pk))
        return "paid"
    if payment.status != Payment.Status.PENDING:
        return "already"
    if result.outcome == "cancelled":
        payment.mark_cancelled()
    elif result.outcome == "failed":
        payment.mark_failed()
    else:
        return "pending"
    payment.response_code = result.response_code[:4]
    payment.save()
    return payment.status


def _after_paid(payment_id: int) -> None:
    from payments.tasks import payment_paid_task

    payment_paid_task.delay(payment_id)


@transaction.atomic
def payment_paid_effects(*, payment_id: int) -> None:
    """After a payment settles as paid, with the dossier's row locked: `payment_paid` tells the
    back-office, which issues the electronic receipt and lets the dossier go on
    (awaiting_payment → processing, the clock resuming). Idempotent: a rerun asks for the same
    receipt and finds the dossier already resumed."""
    payment = Payment.objects.get(pk=payment_id)
    if payment.status != Payment.Status.PAID:
        return
    payment.dossier = Dossier.objects.select_for_update().get(pk=payment.dossier_id)
    payment_paid.send(sender=Payment, payment=payment)


def _kept(params: dict) -> dict:
    """What is stored of an incoming message: the protocol's fields, bounded (anyone can call
    these addresses; a signed message is stored whole, its fields are short anyway)."""
    return {k[:64]: str(v)[:512] for k, v in list(params.items())[:64] if k.startswith("vnp_")}


def _without_nul(params: dict) -> dict:
    return {_printable(str(k)): _printable(str(v)) for k, v in params.items()}


def _printable(text: str) -> str:
    """PostgreSQL stores no NUL in a JSON column: kept visibly, as the replacement character
    (such a message never carries a valid signature anyway)."""
    return text.replace("\x00", "\ufffd")


def handle_ipn(params: dict) -> dict:
    """The gateway's notification: verify (signature, terminal, order, amount, currency),
    settle once, and answer in the gateway's terms. Every notification is stored verbatim
    (but for NUL, which no signed message carries and the database cannot keep)."""
    params = _without_nul(params)
    provider = get_provider()
    result = provider.parse_callback(params)
    with transaction.atomic():
        message = GatewayMessage.objects.create(
            kind=GatewayMessage.Kind.IPN,
            payload=_kept(params),
            signature_valid=result.signature_valid,
        )
        if not result.signature_valid:
            code = "97"
        else:
            payment = Payment.objects.select_for_update().filter(order_ref=result.order_ref).first()
            if payment is None:
                code = "01"
            else:
                message.payment = payment
                if result.amount != payment.amount or result.currency != payment.currency:
                    code = "04"
                else:
                    happened = _settle(payment, result)
                    code = "02" if happened == "already" else "00"
        message.outcome = code
        message.save(update_fields=["payment", "outcome"])
    return provider.ipn_response(code)


def handle_return(params: dict) -> tuple[Payment | None, bool]:
    """The browser back from the gateway: show, don't settle (the IPN is the source of truth;
    if it is late, a status query is enqueued)."""
    params = _without_nul(params)
    provider = get_provider()
    result = provider.parse_callback(params)
    payment = (
        Payment.objects.filter(order_ref=result.order_ref).first() if result.order_ref else None
    )
    GatewayMessage.objects.create(
        payment=payment,
        kind=GatewayMessage.Kind.RETURN,
        payload=_kept(params),
        signature_valid=result.signature_valid,
        outcome=result.outcome,
    )
    if payment is not None and result.signature_valid and payment.status == Payment.Status.PENDING:
        from payments.tasks import query_payment_task

        transaction.on_commit(lambda: query_payment_task.apply_async((payment.pk,), countdown=5))
    return payment, result.signature_valid


@transaction.atomic
def payment_query(*, payment_id: int) -> str:
    """Ask the gateway and settle from its answer (reconciliation). Expires an attempt the
    gateway never saw once its time is up."""
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    if payment.status != Payment.Status.PENDING:
        return payment.status
    provider = get_provider(payment.provider)
    request, result = provider.query(payment)
    GatewayMessage.objects.create(
        payment=payment, kind=GatewayMessage.Kind.QUERY_REQUEST, payload=request
    )
    GatewayMessage.objects.create(
        payment=payment,
        kind=GatewayMessage.Kind.QUERY_RESPONSE,
        payload=result.raw,
        signature_valid=result.signature_valid,
        outcome=result.outcome,
    )
    trusted = result.signature_valid and result.order_ref == payment.order_ref
    settles = result.outcome in ("failed", "cancelled") or (
        result.outcome == "paid" and result.amount == payment.amount
    )
    if trusted and settles:
        _settle(payment, result)
    elif timezone.now() >= payment.expires_at + dt.timedelta(
        minutes=settings.PAYMENT_PENDING_TIMEOUT_MINUTES
    ) or (trusted and result.outcome == "unknown" and timezone.now() >= payment.expires_at):
        # Past its time and not confirmed paid: closed here. A later paid notification still
        # pays it (expired → paid), and the daily report shows any doubt.
        payment.mark_expired()
        payment.save()
    return payment.status


def reconcile_pending(*, older_than_minutes: int | None = None) -> int:
    """Settle attempts left pending past the timeout by asking the gateway."""
    minutes = (
        settings.PAYMENT_PENDING_TIMEOUT_MINUTES
        if older_than_minutes is None
        else older_than_minutes
    )
    cutoff = timezone.now() - dt.timedelta(minutes=minutes)
    ids = list(
        Payment.objects.filter(status=Payment.Status.PENDING, created_at__lte=cutoff)
        .order_by("created_at")
        .values_list("pk", flat=True)[:500]
    )
    for payment_id in ids:
        payment_query(payment_id=payment_id)
    return len(ids)


def daily_report(*, day: dt.date):
    """Compare each attempt of `day` with the gateway's record; store the mismatches."""
    from payments.models import ReconciliationReport

    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    end = start + dt.timedelta(days=1)
    provider_cache = {}
    mismatches, checked = [], 0
    for payment in Payment.objects.filter(created_at__gte=start, created_at__lt=end).order_by("pk"):
        provider = provider_cache.setdefault(payment.provider, get_provider(payment.provider))
        _request, result = provider.query(payment)
        checked += 1
        ours = payment.status
        theirs = result.outcome
        problem = ""
        if not result.signature_valid:
            problem = "bad signature"
        elif theirs == "paid" and ours not in (Payment.Status.PAID, Payment.Status.REFUNDED):
            problem = "paid at the gateway, not here"
        elif ours == Payment.Status.PAID and theirs != "paid":
            problem = "paid here, not at the gateway"
        elif theirs == "paid" and result.amount != payment.amount:
            problem = "amounts differ"
        if problem:
            mismatches.append(
                {
                    "order_ref": payment.order_ref,
                    "dossier": payment.dossier.code,
                    "ours": ours,
                    "gateway": theirs,
                    "amount": payment.amount,
                    "gateway_amount": result.amount,
                    "problem": problem,
                }
            )
    # Dossiers with a paid attempt of the day, counting their paid attempts of any day: a late
    # notification can pay yesterday's attempt after today's was paid.
    paid_twice = (
        Payment.objects.filter(
            status=Payment.Status.PAID,
            dossier_id__in=Payment.objects.filter(
                created_at__gte=start, created_at__lt=end, status=Payment.Status.PAID
            ).values("dossier_id"),
        )
        .values("dossier_id")
        .order_by()
    )
    counts: dict[int, int] = {}
    for row in paid_twice:
        counts[row["dossier_id"]] = counts.get(row["dossier_id"], 0) + 1
    for dossier_id, count in counts.items():
        if count > 1:
            mismatches.append({"dossier_id": dossier_id, "problem": f"paid {count} times"})
    report, _created = ReconciliationReport.objects.update_or_create(
        day=day, defaults={"checked": checked, "mismatches": mismatches}
    )
    return report

"""Helpers of the payment tests: the VNPAY signatures computed here, independently of
payments.providers.vnpay; signed gateway messages; the applicant's path through the simulator;
and what a test counts (paid attempts, e-receipts)."""

import datetime as dt
import hashlib
import hmac
import io
from urllib.parse import parse_qsl, quote_plus, urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.urls import reverse

from payments.models import Payment, SimulatedTransaction
from signing.models import Document
from submissions.models import Dossier

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
IPN_URL = "/api/v1/payments/vnpay/ipn/"


def at(year, month, day, hour=0, minute=0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=HANOI)


# --- the protocol, written out once more ---------------------------------------------------------


def hmac_sha512(secret: str, data: str) -> str:
    return hmac.new(secret.encode("utf-8"), data.encode("utf-8"), hashlib.sha512).hexdigest()


def canonical(params: dict) -> str:
    """VNPAY's signed data: non-empty parameters sorted by name, `name=value` with both
    quote_plus-encoded, joined with `&`."""
    return "&".join(
        f"{quote_plus(name)}={quote_plus(str(value))}"
        for name, value in sorted(params.items())
        if value not in (None, "")
    )


def with_signature(params: dict, secret: str | None = None) -> dict:
    data = canonical(params)
    return {**params, "vnp_SecureHash": hmac_sha512(secret or settings.VNPAY_HASH_SECRET, data)}


def pipe_signature(secret: str, values: dict, names: list[str]) -> str:
    return hmac_sha512(secret, "|".join(str(values.get(name, "")) for name in names))


def query_of(url: str) -> dict:
    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))


def gateway_message(payment: Payment, *, secret: str | None = None, **fields) -> dict:
    """What VNPAY sends about `payment` (IPN or browser return), signed: "paid" unless `fields`
    say otherwise."""
    params = {
        "vnp_Amount": str(payment.amount * 100),
        "vnp_BankCode": "NCB",
        "vnp_CardType": "ATM",
        "vnp_OrderInfo": f"Thanh toan phi ho so {payment.dossier.code}",
        "vnp_PayDate": "20260309101500",
        "vnp_ResponseCode": "00",
        "vnp_TmnCode": settings.VNPAY_TMN_CODE,
        "vnp_TransactionNo": "14123456",
        "vnp_TransactionStatus": "00",
        "vnp_TxnRef": payment.order_ref,
        **fields,
    }
    return with_signature(params, secret)


# --- the applicant and the gateway ---------------------------------------------------------------


def send_ipn(client, params: dict) -> dict:
    response = client.get(IPN_URL, params)
    assert response.status_code == 200, response.content
    return response.json()


def start_payment(client, dossier: Dossier) -> tuple[Payment, str]:
    """The applicant presses "Pay online": the new attempt and the gateway's address."""
    client.force_login(dossier.applicant)
    response = client.post(reverse("payments:start", args=[dossier.public_id]))
    assert response.status_code == 302, response.content
    return Payment.objects.get(order_ref=query_of(response.url)["vnp_TxnRef"]), response.url


def choose(client, url: str, choice: str) -> str:
    """On the gateway's page, the payer's choice; returns the address the browser is sent
    back to."""
    page = client.get(url)
    assert page.status_code == 200, page.content
    back = client.post(url, {"choice": choice})
    assert back.status_code == 302, back.content
    return back.url


def pay(client, dossier: Dossier, choice: str = "pay") -> tuple[Payment, str]:
    payment, url = start_payment(client, dossier)
    back = choose(client, url, choice)
    payment.refresh_from_db()
    return payment, back


def simulated(payment: Payment) -> SimulatedTransaction:
    return SimulatedTransaction.objects.get(txn_ref=payment.order_ref)


# --- what a test counts --------------------------------------------------------------------------


def paid_count(dossier: Dossier) -> int:
    return Payment.objects.filter(dossier=dossier, status=Payment.Status.PAID).count()


def fee_receipts(dossier: Dossier):
    return Document.objects.filter(
        kind="fee_receipt",
        owner_type=ContentType.objects.get_for_model(Dossier),
        owner_id=dossier.pk,
    )


def statuses(dossier: Dossier) -> list[str]:
    return sorted(Payment.objects.filter(dossier=dossier).values_list("status", flat=True))


def make_demo_pki(settings, agency) -> None:
    """A demo signing certificate for `agency`, with a fresh key-encryption key and no
    timestamp server (as the signing tests do)."""
    from signing import certificates, keys, verify

    settings.SIGNING_KEK = keys.new_kek_text()
    settings.SIGNING_KEK_OLD = ""
    settings.SIGNING_TSA_URL = ""
    certificates._signer.cache_clear()
    verify._trust_roots.cache_clear()
    call_command(
        "make_demo_pki",
        "--dir",
        str(settings.SIGNING_DEMO_PKI_DIR),
        "--agency",
        agency.code,
        stdout=io.StringIO(),
    )


def payment_start(dossier: Dossier, *, actor=None, locale: str = "vi") -> tuple[Payment, str]:
    """payments.services.payment_start as the applicant (or `actor`), for service-level tests."""
    from payments import services

    return services.payment_start(
        dossier=dossier,
        actor=actor or dossier.applicant,
        return_url="http://testserver/payments/vnpay/return/",
        client_ip="",
        locale=locale,
    )

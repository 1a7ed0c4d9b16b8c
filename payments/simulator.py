"""A VNPAY gateway simulator for development and tests (PAYMENT_SIMULATOR; production refuses
it). It speaks the protocol of payments.providers.vnpay from the gateway's side: the payment
page (pay, pay with the notification late, pay with no notification, cancel, fail), the signed
IPN to the merchant, the signed browser return, and the querydr status API."""

import json
import logging
import secrets

from django.conf import settings
from django.http import Http404, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt

from payments import transport
from payments.models import SimulatedTransaction
from payments.providers import vnpay

logger = logging.getLogger(__name__)

# choice → (status, vnp_ResponseCode, vnp_TransactionStatus)
CHOICES = {
    "pay": ("paid", "00", "00"),
    "pay_late_ipn": ("paid", "00", "00"),
    "pay_no_ipn": ("paid", "00", "00"),
    "cancel": ("cancelled", "24", "02"),
    "fail": ("failed", "51", "02"),
}


def _enabled():
    if not settings.PAYMENT_SIMULATOR:
        raise Http404


def callback_params(txn: SimulatedTransaction) -> dict:
    """What the gateway sends back about a transaction (return URL and IPN), signed."""
    _status, code, transaction_status = CHOICES[_choice_of(txn.status)]
    params = {
        "vnp_Amount": str(txn.amount),
        "vnp_BankCode": txn.bank_code or "NCB",
        "vnp_CardType": "ATM",
        "vnp_OrderInfo": txn.order_info,
        "vnp_PayDate": txn.pay_date,
        "vnp_ResponseCode": code,
        "vnp_TmnCode": txn.tmn_code,
        "vnp_TransactionNo": txn.transaction_no or "0",
        "vnp_TransactionStatus": transaction_status,
        "vnp_TxnRef": txn.txn_ref,
    }
    signed = vnpay.signed_query(params, settings.VNPAY_HASH_SECRET)
    params["vnp_SecureHash"] = signed.rsplit("vnp_SecureHash=", 1)[1]
    return params


def send_ipn(txn_id: int) -> dict:
    txn = SimulatedTransaction.objects.get(pk=txn_id)
    return transport.get_json(settings.PAYMENT_SIMULATOR_IPN_URL, callback_params(txn))


def _choice_of(status: str) -> str:
    return {"paid": "pay", "cancelled": "cancel"}.get(status, "fail")


@csrf_exempt
def pay_page(request):
    """GET: the gateway's payment page for a signed request. POST: the payer's choice."""
    _enabled()
    params = request.GET.dict()
    if (
        not vnpay.check_signature(params, settings.VNPAY_HASH_SECRET)
        or params.get("vnp_TmnCode") != settings.VNPAY_TMN_CODE
    ):
        return render(
            request, "payments/simulator.html", {"error": "Sai chữ ký (code 97)"}, status=400
        )
    txn, _created = SimulatedTransaction.objects.get_or_create(
        tmn_code=params["vnp_TmnCode"],
        txn_ref=params["vnp_TxnRef"],
        defaults={
            "amount": int(params["vnp_Amount"]),
            "order_info": params.get("vnp_OrderInfo", ""),
            "return_url": params["vnp_ReturnUrl"],
            "create_date": params.get("vnp_CreateDate", ""),
        },
    )
    if request.method == "POST" and txn.status == "pending":
        choice = request.POST.get("choice", "")
        if choice not in CHOICES:
            return HttpResponseBadRequest("unknown choice")
        txn.status = CHOICES[choice][0]
        txn.response_code = CHOICES[choice][1]
        txn.transaction_no = str(secrets.randbelow(10**8)).zfill(8)
        txn.bank_code = "NCB"
        txn.pay_date = vnpay.vn_time()
        txn.save()
        if choice in ("pay", "cancel", "fail"):
            try:
                send_ipn(txn.pk)
            except (OSError, ValueError):
                # A gateway sends the payer back whatever became of its notification; the
                # merchant's status query (reconciliation) settles the payment instead.
                logger.warning("simulator: the IPN for %s was not delivered", txn.txn_ref)
        elif choice == "pay_late_ipn":
            from payments.tasks import simulator_send_ipn_task

            simulator_send_ipn_task.apply_async(
                (txn.pk,), countdown=settings.PAYMENT_SIMULATOR_IPN_DELAY
            )
        return redirect(_return_url(txn))
    if txn.status != "pending":
        return redirect(_return_url(txn))
    return render(
        request,
        "payments/simulator.html",
        {"txn": txn, "amount": txn.amount // 100, "choices": list(CHOICES)},
    )


def _return_url(txn) -> str:
    return f"{txn.return_url}?{vnpay.signed_query(_unsigned(txn), settings.VNPAY_HASH_SECRET)}"


def _unsigned(txn) -> dict:
    params = callback_params(txn)
    params.pop("vnp_SecureHash")
    return params


@csrf_exempt
def query_api(request):
    """querydr: the status of a transaction, signed as the protocol says."""
    _enabled()
    if request.method != "POST":
        return JsonResponse({"vnp_ResponseCode": "99"}, status=405)
    try:
        body = {k: str(v) for k, v in json.loads(request.body).items()}
    except (ValueError, AttributeError):
        return JsonResponse({"vnp_ResponseCode": "03", "vnp_Message": "Invalid format"})
    expected = vnpay.pipe_sign(settings.VNPAY_HASH_SECRET, body, vnpay.QUERY_REQUEST_FIELDS)
    answer = {
        "vnp_ResponseId": secrets.token_hex(16),
        "vnp_Command": "querydr",
        "vnp_TmnCode": body.get("vnp_TmnCode", ""),
        "vnp_TxnRef": body.get("vnp_TxnRef", ""),
        "vnp_OrderInfo": body.get("vnp_OrderInfo", ""),
    }
    txn = SimulatedTransaction.objects.filter(
        tmn_code=body.get("vnp_TmnCode", ""), txn_ref=body.get("vnp_TxnRef", "")
    ).first()
    if body.get("vnp_SecureHash", "").lower() != expected:
        answer.update(vnp_ResponseCode="97", vnp_Message="Invalid Checksum")
    elif txn is None:
        answer.update(vnp_ResponseCode="91", vnp_Message="Transaction not found")
    else:
        status = {"paid": "00", "pending": "01"}.get(txn.status, "02")
        answer.update(
            vnp_ResponseCode="00",
            vnp_Message="QueryDR Success",
            vnp_Amount=str(txn.amount),
            vnp_BankCode=txn.bank_code,
            vnp_PayDate=txn.pay_date,
            vnp_TransactionNo=txn.transaction_no,
            vnp_TransactionType="01",
            vnp_TransactionStatus=status,
            vnp_OrderInfo=txn.order_info,
        )
    answer["vnp_SecureHash"] = vnpay.pipe_sign(
        settings.VNPAY_HASH_SECRET, answer, vnpay.QUERY_RESPONSE_FIELDS
    )
    return JsonResponse(answer)

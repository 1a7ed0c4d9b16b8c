"""VNPAY's published merchant protocol, version 2.1.0 (sandbox.vnpayment.vn/apis/docs):

- pay: the browser goes to `VNPAY_PAYMENT_URL?<vnp_* params>&vnp_SecureHash=<hex>`, where the
  hash is HMAC-SHA512 (key: the terminal's secret) of the parameters sorted by name and URL-encoded
  as `name=value` pairs joined with `&` (values encoded as by `quote_plus`);
- return and IPN: the gateway sends `vnp_*` parameters signed the same way (`vnp_SecureHash`,
  `vnp_SecureHashType` excluded from the signed data); the merchant answers the IPN with
  `{"RspCode": ..., "Message": ...}`: 00 confirmed, 01 order not found, 02 already confirmed,
  04 invalid amount, 97 invalid signature, 99 other error;
- query (querydr): a JSON POST to `VNPAY_API_URL`, signed over
  `RequestId|Version|Command|TmnCode|TxnRef|TransactionDate|CreateDate|IpAddr|OrderInfo`; the
  answer is signed over `ResponseId|Command|ResponseCode|Message|TmnCode|TxnRef|Amount|BankCode|
  PayDate|TransactionNo|TransactionType|TransactionStatus|OrderInfo|PromotionCode|
  PromotionAmount`.
Amounts travel as VND × 100. Times are yyyyMMddHHmmss in Vietnam time.
"""

import hashlib
import hmac
import secrets
from urllib.parse import urlencode

from django.conf import settings
from django.utils import timezone

from payments import transport
from payments.providers.base import GatewayResult, Provider

VERSION = "2.1.0"
QUERY_REQUEST_FIELDS = (
    "vnp_RequestId", "vnp_Version", "vnp_Command", "vnp_TmnCode", "vnp_TxnRef",
    "vnp_TransactionDate", "vnp_CreateDate", "vnp_IpAddr", "vnp_OrderInfo",
)  # fmt: skip
QUERY_RESPONSE_FIELDS = (
    "vnp_ResponseId", "vnp_Command", "vnp_ResponseCode", "vnp_Message", "vnp_TmnCode",
    "vnp_TxnRef", "vnp_Amount", "vnp_BankCode", "vnp_PayDate", "vnp_TransactionNo",
    "vnp_TransactionType", "vnp_TransactionStatus", "vnp_OrderInfo", "vnp_PromotionCode",
    "vnp_PromotionAmount",
)  # fmt: skip
IPN_MESSAGES = {
    "00": "Confirm Success",
    "01": "Order not found",
    "02": "Order already confirmed",
    "04": "Invalid amount",
    "97": "Invalid signature",
    "99": "Unknown error",
}


def sign(secret: str, data: str) -> str:
    return hmac.new(secret.encode(), data.encode("utf-8"), hashlib.sha512).hexdigest()


def signed_query(params: dict, secret: str) -> str:
    """The request's query string with its signature appended."""
    data = urlencode(sorted((k, str(v)) for k, v in params.items() if v not in (None, "")))
    return f"{data}&vnp_SecureHash={sign(secret, data)}"


def check_signature(params: dict, secret: str) -> bool:
    given = str(params.get("vnp_SecureHash", ""))
    fields = {
        k: str(v)
        for k, v in params.items()
        if k.startswith("vnp_")
        and k not in ("vnp_SecureHash", "vnp_SecureHashType")
        and v not in (None, "")
    }
    expected = sign(secret, urlencode(sorted(fields.items())))
    return bool(given) and hmac.compare_digest(given.lower().encode(), expected.encode())


def pipe_sign(secret: str, values: dict, fields) -> str:
    return sign(secret, "|".join(str(values.get(name, "")) for name in fields))


def vn_time(value=None) -> str:
    return timezone.localtime(value or timezone.now()).strftime("%Y%m%d%H%M%S")


def _outcome(response_code: str, transaction_status: str) -> str:
    if response_code == "00" and transaction_status in ("", "00"):
        return "paid"
    if response_code == "24":
        return "cancelled"
    if transaction_status == "01":
        return "pending"
    return "failed"


class VnpayProvider(Provider):
    name = "vnpay"

    @property
    def secret(self) -> str:
        return settings.VNPAY_HASH_SECRET

    def payment_params(self, payment, *, return_url: str, client_ip: str, locale: str) -> dict:
        return {
            "vnp_Version": VERSION,
            "vnp_Command": "pay",
            "vnp_TmnCode": settings.VNPAY_TMN_CODE,
            "vnp_Amount": payment.amount * 100,
            "vnp_CurrCode": payment.currency,
            "vnp_TxnRef": payment.order_ref,
            "vnp_OrderInfo": f"Thanh toan phi ho so {payment.dossier.code}",
            "vnp_OrderType": "other",
            "vnp_Locale": "en" if locale == "en" else "vn",
            "vnp_ReturnUrl": return_url,
            "vnp_IpAddr": client_ip or "127.0.0.1",
            "vnp_CreateDate": vn_time(payment.created_at),
            "vnp_ExpireDate": vn_time(payment.expires_at),
        }

    def payment_url(self, payment, *, return_url: str, client_ip: str, locale: str) -> str:
        params = self.payment_params(
            payment, return_url=return_url, client_ip=client_ip, locale=locale
        )
        return f"{settings.VNPAY_PAYMENT_URL}?{signed_query(params, self.secret)}"

    def parse_callback(self, params: dict) -> GatewayResult:
        params = {k: str(v) for k, v in params.items()}
        valid = check_signature(params, self.secret) and (
            params.get("vnp_TmnCode") == settings.VNPAY_TMN_CODE
        )
        try:
            amount = int(params.get("vnp_Amount", "")) // 100
        except ValueError:
            amount = None
        code = params.get("vnp_ResponseCode", "")
        return GatewayResult(
            signature_valid=valid,
            order_ref=params.get("vnp_TxnRef", ""),
            amount=amount,
            currency="VND",
            outcome=_outcome(code, params.get("vnp_TransactionStatus", "")),
            response_code=code,
            transaction_no=params.get("vnp_TransactionNo", ""),
            bank_code=params.get("vnp_BankCode", ""),
            raw=params,
        )

    def ipn_response(self, code: str) -> dict:
        return {"RspCode": code, "Message": IPN_MESSAGES[code]}

    def query(self, payment, *, client_ip: str = "127.0.0.1") -> tuple[dict, GatewayResult]:
        request = {
            "vnp_RequestId": secrets.token_hex(16),
            "vnp_Version": VERSION,
            "vnp_Command": "querydr",
            "vnp_TmnCode": settings.VNPAY_TMN_CODE,
            "vnp_TxnRef": payment.order_ref,
            "vnp_OrderInfo": f"Tra cuu giao dich {payment.order_ref}",
            "vnp_TransactionDate": vn_time(payment.created_at),
            "vnp_CreateDate": vn_time(),
            "vnp_IpAddr": client_ip,
        }
        request["vnp_SecureHash"] = pipe_sign(self.secret, request, QUERY_REQUEST_FIELDS)
        answer = {
            k: str(v) for k, v in transport.post_json(settings.VNPAY_API_URL, request).items()
        }
        valid = bool(answer.get("vnp_SecureHash")) and hmac.compare_digest(
            answer.get("vnp_SecureHash", "").lower().encode(),
            pipe_sign(self.secret, answer, QUERY_RESPONSE_FIELDS).encode(),
        )
        code = answer.get("vnp_ResponseCode", "")
        if code == "91":  # transaction not found at the gateway: the citizen never paid
            outcome = "unknown"
        elif code != "00":
            outcome = "error"
        else:
            status = answer.get("vnp_TransactionStatus", "")
            outcome = "paid" if status == "00" else "pending" if status == "01" else "failed"
        try:
            amount = int(answer.get("vnp_Amount", "")) // 100
        except ValueError:
            amount = None
        return request, GatewayResult(
            signature_valid=valid,
            order_ref=answer.get("vnp_TxnRef", ""),
            amount=amount,
            outcome=outcome,
            response_code=code,
            transaction_no=answer.get("vnp_TransactionNo", ""),
            bank_code=answer.get("vnp_BankCode", ""),
            raw=answer,
        )

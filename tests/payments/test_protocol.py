"""VNPAY 2.1.0 as payments.providers.vnpay speaks it, checked against the protocol written out
again in tests/payments/support.py (HMAC-SHA512 over the sorted, quote_plus-encoded query; the
querydr fields joined with "|")."""

import datetime as dt
import json

import pytest
import time_machine
from django.test import Client

from payments import services, transport
from payments.providers import vnpay
from tests.payments.conftest import FEE
from tests.payments.support import (
    canonical,
    gateway_message,
    hmac_sha512,
    payment_start,
    pipe_signature,
    query_of,
    with_signature,
)

pytestmark = pytest.mark.django_db

SECRET = "TEST-SECRET-0123456789"

# A pay request and its signature, computed once with hmac/hashlib outside the code under test.
VECTOR = {
    "vnp_Version": "2.1.0",
    "vnp_TxnRef": "42T260309101500ABC123",
    "vnp_TmnCode": "TESTTMN1",
    "vnp_ReturnUrl": "https://dvc.example.vn/payments/vnpay/return/",
    "vnp_OrderInfo": "Thanh toan phi ho so 000.00.12.H26-260309-0001",
    "vnp_CreateDate": "20260309101500",
    "vnp_Command": "pay",
    "vnp_Amount": 5000000,
}
VECTOR_DATA = (
    "vnp_Amount=5000000&vnp_Command=pay&vnp_CreateDate=20260309101500"
    "&vnp_OrderInfo=Thanh+toan+phi+ho+so+000.00.12.H26-260309-0001"
    "&vnp_ReturnUrl=https%3A%2F%2Fdvc.example.vn%2Fpayments%2Fvnpay%2Freturn%2F"
    "&vnp_TmnCode=TESTTMN1&vnp_TxnRef=42T260309101500ABC123&vnp_Version=2.1.0"
)
VECTOR_HASH = (
    "5d6d44cdf92453dede7045513ab88af4f699beb7c353edfead66bf71c43f621b"
    "ced895256a5724a94ccde9cb47a1987cdfabe0d4ea67b1d4d0d0623f79dd19a2"
)

# The querydr signed fields, in the order of VNPAY's documentation.
QUERY_REQUEST_SIGNED = [
    "vnp_RequestId", "vnp_Version", "vnp_Command", "vnp_TmnCode", "vnp_TxnRef",
    "vnp_TransactionDate", "vnp_CreateDate", "vnp_IpAddr", "vnp_OrderInfo",
]  # fmt: skip
QUERY_RESPONSE_SIGNED = [
    "vnp_ResponseId", "vnp_Command", "vnp_ResponseCode", "vnp_Message", "vnp_TmnCode",
    "vnp_TxnRef", "vnp_Amount", "vnp_BankCode", "vnp_PayDate", "vnp_TransactionNo",
    "vnp_TransactionType", "vnp_TransactionStatus", "vnp_OrderInfo", "vnp_PromotionCode",
    "vnp_PromotionAmount",
]  # fmt: skip


# --- the pay request ------------------------------------------------------------------------------


def test_signed_query_matches_a_known_vector():
    assert vnpay.signed_query(VECTOR, SECRET) == f"{VECTOR_DATA}&vnp_SecureHash={VECTOR_HASH}"


def test_signed_query_agrees_with_an_independent_hmac_on_awkward_values():
    params = {
        "vnp_OrderInfo": "Thanh toán phí hồ sơ: học bạ & văn bằng = 50.000đ + 10%",
        "vnp_ReturnUrl": "http://127.0.0.1:8000/payments/vnpay/return/?a=1&b=c d",
        "vnp_Amount": 5000000,
        "vnp_BankCode": "",  # empty values are not sent, nor signed
        "vnp_Bill_Email": None,
        "vnp_Locale": "vn",
    }
    data = canonical(params)
    assert "vnp_BankCode" not in data and "vnp_Bill_Email" not in data
    assert "Thanh+to%C3%A1n+ph%C3%AD" in data  # UTF-8, then quote_plus
    assert vnpay.signed_query(params, SECRET) == (
        f"{data}&vnp_SecureHash={hmac_sha512(SECRET, data)}"
    )
    assert vnpay.signed_query(params, SECRET) != vnpay.signed_query(params, SECRET + "x")


def test_the_pay_url_carries_the_amount_times_100_in_vietnam_time(gateway, submitted, settings):
    settings.PAYMENT_EXPIRE_MINUTES = 15
    # 20:30 UTC on 9 March is 03:30 on 10 March in Hà Nội: the date itself changes.
    with time_machine.travel(dt.datetime(2026, 3, 9, 20, 30, tzinfo=dt.UTC), tick=False):
        payment, url = services.payment_start(
            dossier=submitted,
            actor=submitted.applicant,
            return_url="http://testserver/payments/vnpay/return/",
            client_ip="203.0.113.7",
            locale="vi",
        )
    base, query = url.split("?", 1)
    assert base == settings.VNPAY_PAYMENT_URL
    params = query_of(url)
    assert params["vnp_Amount"] == str(FEE * 100) == "5000000"
    assert params["vnp_CreateDate"] == "20260310033000"
    assert params["vnp_ExpireDate"] == "20260310034500"
    assert params["vnp_Version"] == "2.1.0"
    assert params["vnp_Command"] == "pay"
    assert params["vnp_TmnCode"] == "TESTTMN1"
    assert params["vnp_CurrCode"] == "VND"
    assert params["vnp_TxnRef"] == payment.order_ref
    assert params["vnp_IpAddr"] == "203.0.113.7"
    assert params["vnp_Locale"] == "vn"
    assert params["vnp_ReturnUrl"] == "http://testserver/payments/vnpay/return/"
    assert submitted.code in params["vnp_OrderInfo"]
    unsigned = {k: v for k, v in params.items() if k != "vnp_SecureHash"}
    assert (
        query == f"{canonical(unsigned)}&vnp_SecureHash={hmac_sha512(SECRET, canonical(unsigned))}"
    )


def test_the_pay_url_asks_for_english_when_the_applicant_reads_english(gateway, submitted):
    _payment, url = payment_start(submitted, locale="en")
    assert query_of(url)["vnp_Locale"] == "en"
    assert query_of(url)["vnp_IpAddr"] == "127.0.0.1"  # VNPAY requires one


# --- the gateway's signed messages (return, IPN) --------------------------------------------------


def _callback(**fields) -> dict:
    params = {
        "vnp_Amount": "5000000",
        "vnp_BankCode": "NCB",
        "vnp_OrderInfo": "Thanh toan phi ho so 000.00.12.H26-260309-0001",
        "vnp_PayDate": "20260309101500",
        "vnp_ResponseCode": "00",
        "vnp_TmnCode": "TESTTMN1",
        "vnp_TransactionNo": "14123456",
        "vnp_TransactionStatus": "00",
        "vnp_TxnRef": "42T260309101500ABC123",
        **fields,
    }
    return with_signature(params, SECRET)


def test_check_signature_accepts_the_gateway_signature():
    params = _callback()
    assert vnpay.check_signature(params, SECRET) is True
    # The hash type travels unsigned; hex digits may come in capitals.
    assert vnpay.check_signature({**params, "vnp_SecureHashType": "HmacSHA512"}, SECRET) is True
    upper = {**params, "vnp_SecureHash": params["vnp_SecureHash"].upper()}
    assert vnpay.check_signature(upper, SECRET) is True


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda p: {**p, "vnp_Amount": "500000000"}, id="changed-amount"),
        pytest.param(lambda p: {**p, "vnp_ResponseCode": "24"}, id="changed-response-code"),
        pytest.param(lambda p: {**p, "vnp_TxnRef": "43T260309101500ABC123"}, id="changed-order"),
        pytest.param(lambda p: {**p, "vnp_TmnCode": "OTHERTMN"}, id="changed-tmn-code"),
        pytest.param(lambda p: {**p, "vnp_CardType": "ATM"}, id="added-parameter"),
        pytest.param(
            lambda p: {k: v for k, v in p.items() if k != "vnp_SecureHash"}, id="missing-hash"
        ),
        pytest.param(lambda p: {**p, "vnp_SecureHash": ""}, id="empty-hash"),
        pytest.param(
            lambda p: {**p, "vnp_SecureHash": with_signature(p, "WRONG-SECRET")["vnp_SecureHash"]},
            id="wrong-secret",
        ),
    ],
)
def test_check_signature_rejects(tamper):
    params = tamper(_callback())
    assert vnpay.check_signature(params, SECRET) is False


def test_a_message_signed_for_another_terminal_is_not_valid_here(settings):
    settings.VNPAY_TMN_CODE = "TESTTMN1"
    settings.VNPAY_HASH_SECRET = SECRET
    other = _callback(vnp_TmnCode="OTHERTMN")
    assert vnpay.check_signature(other, SECRET) is True  # the hash itself is right...
    assert vnpay.VnpayProvider().parse_callback(other).signature_valid is False  # ...not ours
    assert vnpay.VnpayProvider().parse_callback(_callback()).signature_valid is True


@pytest.mark.parametrize(
    ("code", "status", "outcome"),
    [
        ("00", "00", "paid"),
        ("24", "02", "cancelled"),
        ("51", "02", "failed"),
        ("00", "01", "pending"),
        ("11", "02", "failed"),
    ],
)
def test_parse_callback_reads_the_outcome_and_the_amount_in_vnd(settings, code, status, outcome):
    settings.VNPAY_TMN_CODE = "TESTTMN1"
    settings.VNPAY_HASH_SECRET = SECRET
    result = vnpay.VnpayProvider().parse_callback(
        _callback(vnp_ResponseCode=code, vnp_TransactionStatus=status, vnp_Amount="12345600")
    )
    assert result.signature_valid is True
    assert (result.outcome, result.response_code) == (outcome, code)
    assert result.amount == 123456
    assert result.order_ref == "42T260309101500ABC123"
    assert (result.transaction_no, result.bank_code) == ("14123456", "NCB")


def test_parse_callback_with_an_unreadable_amount_gives_none(settings):
    settings.VNPAY_TMN_CODE = "TESTTMN1"
    settings.VNPAY_HASH_SECRET = SECRET
    assert vnpay.VnpayProvider().parse_callback(_callback(vnp_Amount="50k")).amount is None


# --- querydr --------------------------------------------------------------------------------------


def _answer(request: dict, secret: str = SECRET, **fields) -> dict:
    answer = {
        "vnp_ResponseId": "d1e2f3",
        "vnp_Command": "querydr",
        "vnp_ResponseCode": "00",
        "vnp_Message": "QueryDR Success",
        "vnp_TmnCode": request["vnp_TmnCode"],
        "vnp_TxnRef": request["vnp_TxnRef"],
        "vnp_Amount": "5000000",
        "vnp_BankCode": "NCB",
        "vnp_PayDate": "20260310033500",
        "vnp_TransactionNo": "14123456",
        "vnp_TransactionType": "01",
        "vnp_TransactionStatus": "00",
        "vnp_OrderInfo": request["vnp_OrderInfo"],
        **fields,
    }
    answer["vnp_SecureHash"] = pipe_signature(secret, answer, QUERY_RESPONSE_SIGNED)
    return answer


@pytest.fixture
def answering(monkeypatch):
    """The gateway's query API replaced by `answering.reply(request)`; the requests are kept."""

    class Api:
        sent: list[tuple[str, dict]] = []
        reply = staticmethod(_answer)

    def post_json(url, body):
        Api.sent.append((url, body))
        return Api.reply(body)

    Api.sent = []
    monkeypatch.setattr(transport, "post_json", post_json)
    return Api


def _payment(submitted, settings):
    settings.VNPAY_TMN_CODE = "TESTTMN1"
    settings.VNPAY_HASH_SECRET = SECRET
    with time_machine.travel(dt.datetime(2026, 3, 9, 20, 30, tzinfo=dt.UTC), tick=False):
        payment, _url = payment_start(submitted)
    return payment


def test_querydr_request_is_pipe_signed_in_the_documented_order(submitted, settings, answering):
    payment = _payment(submitted, settings)
    with time_machine.travel(dt.datetime(2026, 3, 9, 21, 0, tzinfo=dt.UTC), tick=False):
        request, result = vnpay.VnpayProvider().query(payment, client_ip="10.0.0.5")
    ((url, sent),) = answering.sent
    assert url == settings.VNPAY_API_URL
    assert sent == request
    assert request["vnp_Command"] == "querydr"
    assert request["vnp_Version"] == "2.1.0"
    assert request["vnp_TmnCode"] == "TESTTMN1"
    assert request["vnp_TxnRef"] == payment.order_ref
    assert request["vnp_TransactionDate"] == "20260310033000"  # the attempt's, Hà Nội time
    assert request["vnp_CreateDate"] == "20260310040000"  # now, Hà Nội time
    assert request["vnp_IpAddr"] == "10.0.0.5"
    assert len(request["vnp_RequestId"]) >= 8
    assert request["vnp_SecureHash"] == pipe_signature(SECRET, request, QUERY_REQUEST_SIGNED)
    joined = "|".join(request[name] for name in QUERY_REQUEST_SIGNED)
    assert request["vnp_SecureHash"] == hmac_sha512(SECRET, joined)
    assert result.signature_valid is True
    assert (result.outcome, result.amount, result.order_ref) == ("paid", FEE, payment.order_ref)
    # A second request is a new one.
    request2, _result = vnpay.VnpayProvider().query(payment)
    assert request2["vnp_RequestId"] != request["vnp_RequestId"]


@pytest.mark.parametrize(
    ("fields", "outcome"),
    [
        ({"vnp_TransactionStatus": "00"}, "paid"),
        ({"vnp_TransactionStatus": "01"}, "pending"),
        ({"vnp_TransactionStatus": "02"}, "failed"),
        ({"vnp_ResponseCode": "91", "vnp_Message": "Transaction not found"}, "unknown"),
        ({"vnp_ResponseCode": "99", "vnp_Message": "Unknown error"}, "error"),
    ],
)
def test_querydr_answer_outcomes(submitted, settings, answering, fields, outcome):
    payment = _payment(submitted, settings)
    answering.reply = staticmethod(lambda request: _answer(request, **fields))
    _request, result = vnpay.VnpayProvider().query(payment)
    assert result.signature_valid is True
    assert result.outcome == outcome


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(lambda a: {**a, "vnp_Amount": "500"}, id="changed-after-signing"),
        pytest.param(lambda a: {**a, "vnp_SecureHash": ""}, id="no-hash"),
        pytest.param(
            lambda a: {**a, "vnp_SecureHash": pipe_signature("WRONG", a, QUERY_RESPONSE_SIGNED)},
            id="wrong-secret",
        ),
        pytest.param(
            lambda a: {
                **a,
                "vnp_SecureHash": pipe_signature(SECRET, a, sorted(QUERY_RESPONSE_SIGNED)),
            },
            id="fields-in-another-order",
        ),
        pytest.param(lambda a: {**a, "vnp_SecureHash": "é" * 128}, id="non-ascii-hash"),
    ],
)
def test_querydr_answer_with_a_bad_signature_is_not_trusted(submitted, settings, answering, spoil):
    payment = _payment(submitted, settings)
    answering.reply = staticmethod(lambda request: spoil(_answer(request)))
    _request, result = vnpay.VnpayProvider().query(payment)
    assert result.signature_valid is False


def test_querydr_answer_with_a_bad_signature_settles_nothing(submitted, settings, answering):
    payment = _payment(submitted, settings)  # 20:30 UTC, open until 20:45
    answering.reply = staticmethod(lambda request: {**_answer(request), "vnp_Amount": "5000001"})
    with time_machine.travel(dt.datetime(2026, 3, 9, 20, 40, tzinfo=dt.UTC), tick=False):
        assert services.payment_query(payment_id=payment.pk) == "pending"
    payment.refresh_from_db()
    assert payment.status == "pending"
    response = payment.messages.get(kind="query_response")
    assert response.signature_valid is False


def _unsigned(answer: dict) -> dict:
    return {**answer, "vnp_SecureHash": pipe_signature("WRONG", answer, QUERY_RESPONSE_SIGNED)}


NOT_FOUND = {"vnp_ResponseCode": "91", "vnp_Message": "Transaction not found"}


@pytest.mark.parametrize(
    ("reply", "minutes", "status"),
    [
        # Before its time is up, an answer that cannot be trusted closes nothing...
        pytest.param(lambda r: _unsigned(_answer(r)), 16, "pending", id="bad-signature-early"),
        pytest.param(
            lambda r: _unsigned(_answer(r, **NOT_FOUND)), 16, "pending", id="forged-91-early"
        ),
        pytest.param(
            lambda r: _answer(r, vnp_TxnRef="1T000000000000AAAAAA", **NOT_FOUND),
            16,
            "pending",
            id="91-about-another-order",
        ),
        # ...nor does the gateway's word that it is still pending, or its error.
        pytest.param(lambda r: _answer(r, vnp_TransactionStatus="01"), 34, "pending", id="pending"),
        pytest.param(lambda r: _answer(r, vnp_ResponseCode="99"), 34, "pending", id="error"),
        # Its trusted word that it never saw the order closes it once expires_at is reached.
        pytest.param(lambda r: _answer(r, **NOT_FOUND), 14, "pending", id="91-before-expiry"),
        pytest.param(lambda r: _answer(r, **NOT_FOUND), 15, "expired", id="91-at-expiry"),
        # At expires_at + PAYMENT_PENDING_TIMEOUT_MINUTES, closed whatever was answered.
        pytest.param(lambda r: _unsigned(_answer(r)), 35, "expired", id="bad-signature-late"),
        pytest.param(
            lambda r: _answer(r, vnp_TransactionStatus="01"), 35, "expired", id="pending-late"
        ),
        pytest.param(lambda r: _answer(r, vnp_ResponseCode="99"), 35, "expired", id="error-late"),
        pytest.param(
            lambda r: _answer(r, vnp_Amount="4900000"), 35, "expired", id="paid-another-amount"
        ),
        # A trusted answer that settles does so at any time.
        pytest.param(lambda r: _answer(r), 35, "paid", id="paid-late"),
        pytest.param(
            lambda r: _answer(r, vnp_TransactionStatus="02"), 5, "failed", id="failed-early"
        ),
    ],
)
def test_payment_query_closes_an_attempt_only_when_it_may(
    submitted, settings, answering, reply, minutes, status
):
    settings.PAYMENT_EXPIRE_MINUTES = 15
    settings.PAYMENT_PENDING_TIMEOUT_MINUTES = 20
    payment = _payment(submitted, settings)  # 20:30 UTC: open until 20:45
    answering.reply = staticmethod(reply)
    now = dt.datetime(2026, 3, 9, 20, 30, tzinfo=dt.UTC) + dt.timedelta(minutes=minutes)
    with time_machine.travel(now, tick=False):
        assert services.payment_query(payment_id=payment.pk) == status
    payment.refresh_from_db()
    assert payment.status == status
    assert payment.paid_at == (now if status == "paid" else None)


def test_the_simulator_query_api_signs_its_answer_and_checks_the_request(gateway, submitted):
    payment, _url = payment_start(submitted)
    request = {
        "vnp_RequestId": "abc123",
        "vnp_Version": "2.1.0",
        "vnp_Command": "querydr",
        "vnp_TmnCode": "TESTTMN1",
        "vnp_TxnRef": payment.order_ref,
        "vnp_TransactionDate": "20260310033000",
        "vnp_CreateDate": "20260310040000",
        "vnp_IpAddr": "127.0.0.1",
        "vnp_OrderInfo": "Tra cuu",
    }
    path = "/payments/simulator/merchant_webapi/api/transaction"
    signed = {**request, "vnp_SecureHash": pipe_signature(SECRET, request, QUERY_REQUEST_SIGNED)}
    answer = Client().post(path, json.dumps(signed), content_type="application/json").json()
    assert answer["vnp_ResponseCode"] == "91"  # never shown the pay page: unknown there
    assert answer["vnp_SecureHash"] == pipe_signature(SECRET, answer, QUERY_RESPONSE_SIGNED)
    forged = {**signed, "vnp_TxnRef": "1T000000000000AAAAAA"}
    answer = Client().post(path, json.dumps(forged), content_type="application/json").json()
    assert answer["vnp_ResponseCode"] == "97"


def test_gateway_message_helper_is_what_the_simulator_sends(gateway, submitted, client):
    """The tests' own IPN builder signs like the simulator (so the IPN tests forge for real)."""
    from payments import simulator
    from tests.payments.support import pay, simulated

    payment, _back = pay(client, submitted, "pay_no_ipn")
    sent = simulator.callback_params(simulated(payment))
    ours = gateway_message(
        payment,
        vnp_PayDate=sent["vnp_PayDate"],
        vnp_TransactionNo=sent["vnp_TransactionNo"],
        vnp_OrderInfo=sent["vnp_OrderInfo"],
    )
    assert ours == sent

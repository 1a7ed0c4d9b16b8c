"""Production refuses the gateway simulator; without a VNPAY terminal online payment is off; the
simulator's pages exist only where it is switched on."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from payments.models import GatewayMessage, Payment, SimulatedTransaction
from tests.payments.support import payment_start, pipe_signature, with_signature

BASE_DIR = Path(__file__).resolve().parents[2]

# What settings.py reads and must not leak from the developer's shell into the child.
_LEAKY = {
    "DATABASE_URL", "REDIS_URL", "CACHE_URL", "PORTAL_ENV", "DEBUG", "SECRET_KEY",
    "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "SIGNING_KEK", "SIGNING_KEK_OLD", "EMAIL_URL",
    "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE",
}  # fmt: skip

SETUP = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps([s.PAYMENT_SIMULATOR, s.VNPAY_TMN_CODE, s.VNPAY_PAYMENT_URL]))"
)


def setup_django(**env_vars: str) -> subprocess.CompletedProcess:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in _LEAKY and not k.startswith(("PAYMENT_", "VNPAY_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings",
        PORTAL_ENV="production",
        SECRET_KEY=secrets.token_hex(32),
        ALLOWED_HOSTS="dvc.example.vn",
        SIGNING_KEK="c2lnbmluZy1rZWstZm9yLXNldHRpbmdzLXRlc3RzISE=",
        VNPAY_TMN_CODE="DVCHN001",
        VNPAY_HASH_SECRET=secrets.token_hex(16),
    )
    env.update(env_vars)
    env = {k: v for k, v in env.items() if v is not None}
    return subprocess.run(
        [sys.executable, "-c", SETUP],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_with_a_terminal_starts_without_the_simulator():
    result = setup_django()
    assert result.returncode == 0, result.stderr
    simulator, tmn_code, pay_url = json.loads(result.stdout.strip().splitlines()[-1])
    assert simulator is False  # off by default in production
    assert tmn_code == "DVCHN001"
    assert pay_url == "https://pay.vnpay.vn/vpcpay.html"


@pytest.mark.parametrize("value", ["true", "1", "yes"])
def test_production_refuses_the_payment_simulator(value):
    result = setup_django(PAYMENT_SIMULATOR=value)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "PAYMENT_SIMULATOR" in result.stderr


@pytest.mark.parametrize(
    "missing",
    [
        {"VNPAY_TMN_CODE": None},
        {"VNPAY_HASH_SECRET": None},
        {"VNPAY_TMN_CODE": "", "VNPAY_HASH_SECRET": ""},
    ],
    ids=["no-tmn-code", "no-secret", "both-empty"],
)
def test_production_without_a_vnpay_terminal_starts_with_online_payment_off(missing):
    """settings.py: without a terminal code and secret, online payment is off (the portal still
    starts; paying is refused, see the next test). It never falls back to the demo terminal."""
    result = setup_django(**missing)
    assert result.returncode == 0, result.stderr
    simulator, tmn_code, _pay_url = json.loads(result.stdout.strip().splitlines()[-1])
    assert simulator is False
    assert tmn_code in ("", "DVCHN001")
    assert tmn_code != "DVCDEMO1"


@pytest.mark.django_db
@pytest.mark.parametrize("missing", ["VNPAY_TMN_CODE", "VNPAY_HASH_SECRET"])
def test_without_a_terminal_paying_is_refused_and_nothing_is_stored(
    client, gateway, submitted, settings, missing
):
    setattr(settings, missing, "")
    with pytest.raises(ValidationError) as refused:
        payment_start(submitted)
    assert refused.value.code == "not_configured"
    client.force_login(submitted.applicant)
    response = client.post(reverse("payments:start", args=[submitted.public_id]))
    assert response.status_code == 302
    assert response.url == reverse("submissions:detail", args=[submitted.public_id])
    api = APIClient()
    api.force_authenticate(submitted.applicant)
    assert api.post(f"/api/v1/dossiers/{submitted.public_id}/payments/").status_code == 400
    assert not Payment.objects.exists()
    assert not GatewayMessage.objects.exists()


def test_development_has_the_simulator_and_a_demo_terminal():
    result = setup_django(PORTAL_ENV="development", VNPAY_TMN_CODE=None, VNPAY_HASH_SECRET=None)
    assert result.returncode == 0, result.stderr
    simulator, tmn_code, pay_url = json.loads(result.stdout.strip().splitlines()[-1])
    assert simulator is True
    assert tmn_code == "DVCDEMO1"
    assert pay_url.endswith("/payments/simulator/paymentv2/vpcpay.html")


@pytest.mark.parametrize(
    "pay_url",
    [
        "https://pay.vnpay.vn/vpcpay.html",
        "https://sandbox.vnpayment.vn/paymentv2/vpcpay.html",
    ],
    ids=["vnpay", "vnpay-sandbox"],
)
def test_the_simulator_is_refused_beside_a_real_gateway(pay_url):
    """The simulator signs with VNPAY_HASH_SECRET: next to a real terminal it could confirm
    payments nobody made. It runs only where payments go to it."""
    result = setup_django(
        PORTAL_ENV="development", PAYMENT_SIMULATOR="true", VNPAY_PAYMENT_URL=pay_url
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "PAYMENT_SIMULATOR needs VNPAY_PAYMENT_URL" in result.stderr
    # Switched off, the same configuration starts.
    result = setup_django(
        PORTAL_ENV="development", PAYMENT_SIMULATOR="false", VNPAY_PAYMENT_URL=pay_url
    )
    assert result.returncode == 0, result.stderr
    simulator, _tmn_code, url = json.loads(result.stdout.strip().splitlines()[-1])
    assert (simulator, url) == (False, pay_url)


def test_the_simulator_runs_with_its_own_address_on_another_host():
    url = "https://dvc-test.example.vn/payments/simulator/paymentv2/vpcpay.html"
    result = setup_django(PORTAL_ENV="development", PAYMENT_SIMULATOR="true", VNPAY_PAYMENT_URL=url)
    assert result.returncode == 0, result.stderr
    simulator, _tmn_code, pay_url = json.loads(result.stdout.strip().splitlines()[-1])
    assert (simulator, pay_url) == (True, url)


# --- the simulator's pages ------------------------------------------------------------------------

PAY_PAGE = "/payments/simulator/paymentv2/vpcpay.html"
QUERY_API = "/payments/simulator/merchant_webapi/api/transaction"


def _pay_request(settings) -> dict:
    return with_signature(
        {
            "vnp_Version": "2.1.0",
            "vnp_Command": "pay",
            "vnp_TmnCode": settings.VNPAY_TMN_CODE,
            "vnp_Amount": "5000000",
            "vnp_CurrCode": "VND",
            "vnp_TxnRef": "7T260309100000ABCDEF",
            "vnp_OrderInfo": "Thanh toan phi ho so",
            "vnp_ReturnUrl": "http://testserver/payments/vnpay/return/",
            "vnp_CreateDate": "20260309100000",
        }
    )


def _query_request(settings) -> dict:
    request = {
        "vnp_RequestId": "r1",
        "vnp_Version": "2.1.0",
        "vnp_Command": "querydr",
        "vnp_TmnCode": settings.VNPAY_TMN_CODE,
        "vnp_TxnRef": "7T260309100000ABCDEF",
        "vnp_TransactionDate": "20260309100000",
        "vnp_CreateDate": "20260309101000",
        "vnp_IpAddr": "127.0.0.1",
        "vnp_OrderInfo": "Tra cuu",
    }
    names = list(request)
    return {**request, "vnp_SecureHash": pipe_signature(settings.VNPAY_HASH_SECRET, request, names)}


@pytest.mark.django_db
def test_the_simulator_pages_are_404_when_it_is_off(gateway, settings):
    client = Client()
    params = _pay_request(settings)
    query = json.dumps(_query_request(settings))
    # Switched on (the gateway fixture), the same requests are served...
    assert client.get(PAY_PAGE, params).status_code == 200
    answer = client.post(QUERY_API, query, content_type="application/json")
    assert answer.status_code == 200 and answer.json()["vnp_ResponseCode"] == "00"
    SimulatedTransaction.objects.all().delete()
    # ...and switched off, they are not there.
    settings.PAYMENT_SIMULATOR = False
    assert client.get(PAY_PAGE, params).status_code == 404
    assert client.post(f"{PAY_PAGE}?{urlencode(params)}", {"choice": "pay"}).status_code == 404
    assert client.post(QUERY_API, query, content_type="application/json").status_code == 404
    assert client.get(QUERY_API).status_code == 404
    assert not SimulatedTransaction.objects.exists()

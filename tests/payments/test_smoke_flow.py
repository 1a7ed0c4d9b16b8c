import pytest
from django.urls import reverse

from payments.models import GatewayMessage, Payment
from tests.payments.conftest import FEE

pytestmark = pytest.mark.django_db


def test_pay_through_the_simulator(client, gateway, submitted, django_capture_on_commit_callbacks):
    client.force_login(submitted.applicant)
    page = client.get(reverse("submissions:detail", args=[submitted.public_id]))
    assert b'id="pay-button"' in page.content
    response = client.post(reverse("payments:start", args=[submitted.public_id]))
    assert response.status_code == 302
    url = response.url
    assert url.startswith("http://testserver/payments/simulator/")
    payment = Payment.objects.get()
    assert payment.status == "pending" and payment.amount == FEE
    page = client.get(url)
    assert page.status_code == 200, page.content
    with django_capture_on_commit_callbacks(execute=True):
        back = client.post(url, {"choice": "pay"})
    assert back.status_code == 302, back.content
    assert gateway.ipn_answers == [{"RspCode": "00", "Message": "Confirm Success"}]
    payment.refresh_from_db()
    assert payment.status == "paid"
    with django_capture_on_commit_callbacks(execute=True):
        shown = client.get(back.url)
    assert shown.status_code == 200
    assert b'data-status="paid"' in shown.content
    assert GatewayMessage.objects.filter(kind="ipn").count() == 1

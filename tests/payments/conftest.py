"""The payment tests talk to the gateway simulator through Django's test client: the provider's
HTTP calls (payments.transport) and the simulator's IPN are routed to it, so that both sides of
the VNPAY protocol run for real, only without sockets."""

import json
from urllib.parse import urlsplit

import pytest
from django.test import Client

from tests.factories import (
    CitizenFactory,
    DossierFactory,
    OfficerFactory,
    ProcedureVersionFactory,
)

FEE = 50_000


@pytest.fixture
def gateway(settings, monkeypatch):
    """The simulator as the gateway, reached through the test client. `gateway.ipn_enabled`
    set to False drops the simulator's notifications (an IPN that never arrives)."""
    from payments import transport

    settings.PAYMENT_SIMULATOR = True
    settings.VNPAY_TMN_CODE = "TESTTMN1"
    settings.VNPAY_HASH_SECRET = "TEST-SECRET-0123456789"
    settings.VNPAY_PAYMENT_URL = "http://testserver/payments/simulator/paymentv2/vpcpay.html"
    settings.VNPAY_API_URL = "http://testserver/payments/simulator/merchant_webapi/api/transaction"
    settings.PAYMENT_SIMULATOR_IPN_URL = "http://testserver/api/v1/payments/vnpay/ipn/"
    client = Client()

    class Gateway:
        ipn_enabled = True
        ipn_answers: list[dict] = []

    def post_json(url, body):
        response = client.post(
            urlsplit(url).path, json.dumps(body), content_type="application/json"
        )
        return response.json()

    def get_json(url, params):
        if url == settings.PAYMENT_SIMULATOR_IPN_URL and not Gateway.ipn_enabled:
            raise OSError("the notification is lost on the way")
        answer = client.get(urlsplit(url).path, params).json()
        Gateway.ipn_answers.append(answer)
        return answer

    monkeypatch.setattr(transport, "post_json", post_json)
    monkeypatch.setattr(transport, "get_json", get_json)
    Gateway.ipn_answers = []
    return Gateway


@pytest.fixture
def fee_version(db):
    """A published level-4 procedure whose online fee (50,000 VND) is paid at submission."""
    return ProcedureVersionFactory(
        published=True,
        level4=True,
        fee_timing="before",
        channels=[{}, {"online": True, "fee_vnd": FEE}],
    )


@pytest.fixture
def submitted(fee_version):
    return DossierFactory(version=fee_version, submitted=True)


@pytest.fixture
def delivery_version(db):
    """A published level-4 procedure whose online fee (50,000 VND) is paid on delivery."""
    return ProcedureVersionFactory(
        published=True,
        level4=True,
        fee_timing="on_delivery",
        channels=[{}, {"online": True, "fee_vnd": FEE}],
    )


@pytest.fixture
def staff(db):
    """`staff.of(dossier)`: a desk officer and a specialist of the dossier's agency (each
    procedure fixture has its own agency); `staff.stranger`: a citizen who owns no dossier."""

    class Staff:
        def __init__(self):
            self.stranger = CitizenFactory(language="en")
            self._people = {}

        def of(self, dossier):
            agency = dossier.agency
            if agency.pk not in self._people:
                self._people[agency.pk] = (
                    OfficerFactory(agency=agency, roles=["desk"], language="en"),
                    OfficerFactory(agency=agency, roles=["specialist"], language="en"),
                )
            return self._people[agency.pk]

    return Staff()


@pytest.fixture
def processing(delivery_version, staff):
    """A dossier under the on-delivery procedure, accepted and assigned to the specialist."""
    from office import services as workflow

    dossier = DossierFactory(version=delivery_version, submitted=True)
    desk, specialist = staff.of(dossier)
    workflow.dossier_accept(dossier=dossier, actor=desk)
    workflow.dossier_assign(dossier=dossier, actor=desk, specialist=specialist)
    dossier.refresh_from_db()
    assert dossier.state == "processing"
    return dossier

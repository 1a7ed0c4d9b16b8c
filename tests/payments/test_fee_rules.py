"""Per-copy fees and exemptions (issue 14, item 7): the amount is computed once
(procedures.fees) and is the same wherever it is shown: the procedure page (the unit), the
review page, the receipt (Mẫu 01), the API and the online payment."""

import json

import pytest
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from office import slips
from payments import fees
from procedures import exchange
from procedures.fees import fee_amount
from submissions import services
from submissions.models import Dossier
from tests.factories import CitizenFactory, ProcedureVersionFactory

pytestmark = pytest.mark.django_db

SCHEMA = [
    {"name": "full_name", "label": "Họ và tên", "type": "text", "required": True},
    {"name": "so_ban", "label": "Số bản sao", "type": "number", "required": True,
     "min": 1, "max": 20},
    {"name": "doi_tuong", "label": "Đối tượng", "type": "choice", "required": False,
     "choices": [{"value": "thuong", "label": "Thông thường"},
                 {"value": "ho_ngheo", "label": "Hộ nghèo"}]},
]  # fmt: skip


@pytest.fixture
def version(agency):
    return ProcedureVersionFactory(
        published=True,
        level4=True,
        procedure__agency=agency,
        form_schema=SCHEMA,
        fee_quantity_question="so_ban",
        fee_exemption_question="doi_tuong",
        fee_exempt_answers=["ho_ngheo"],
        channels=[
            {"fee_vnd": 9000, "fee_per_copy": True},
            {"online": True, "fee_vnd": 9000, "fee_per_copy": True},
        ],
    )


def _dossier(version, answers):
    citizen = CitizenFactory(language="en")
    dossier = services.dossier_start(version=version, applicant=citizen)
    Dossier.objects.filter(pk=dossier.pk).update(answers={"full_name": "A", **answers})
    return Dossier.objects.get(pk=dossier.pk)


def test_the_rule(version):
    assert fee_amount(version, {"so_ban": 3}, "online") == 27_000
    assert fee_amount(version, {"so_ban": "2"}, "in_person") == 18_000
    assert fee_amount(version, {}, "online") == 9_000  # no answer yet: one copy
    assert fee_amount(version, {"so_ban": 3, "doi_tuong": "ho_ngheo"}, "online") == 0
    assert fee_amount(version, {"so_ban": 3}, "post") is None  # no postal channel here


def test_the_same_amount_everywhere_it_is_shown(client, version):
    page = client.get(
        reverse("procedures:detail", args=[version.procedure.service_code]),
        HTTP_ACCEPT_LANGUAGE="en",
    ).content.decode()
    assert "9,000 VND per copy" in page

    dossier = _dossier(version, {"so_ban": 3})
    assert fees.fee_due(dossier) == 27_000  # what the online payment asks
    client.force_login(dossier.applicant)
    review = client.get(
        reverse("submissions:review", args=[dossier.public_id]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "Fee for this dossier: 27,000 VND (3 copies)." in review
    facts = dict(slips.BUILDERS["receipt"](dossier, {})["facts"])
    assert facts["Phí, lệ phí"] == "27.000 đồng (3 bản)"
    api = APIClient()
    api.force_authenticate(dossier.applicant)
    assert api.get(f"/api/v1/dossiers/{dossier.public_id}/").json()["fee_amount"] == 27_000


def test_an_exempt_applicant_owes_nothing_anywhere(client, version):
    dossier = _dossier(version, {"so_ban": 3, "doi_tuong": "ho_ngheo"})
    assert fees.fee_due(dossier) == 0
    client.force_login(dossier.applicant)
    review = client.get(
        reverse("submissions:review", args=[dossier.public_id]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "No fee: your answers place you in an exemption category" in review
    facts = dict(slips.BUILDERS["receipt"](dossier, {})["facts"])
    assert facts["Phí, lệ phí"] == "Miễn (thuộc đối tượng được miễn)"


def test_the_import_checks_the_rule_against_the_form(agency, version):
    payload = json.loads(exchange.export_json(agency))
    record = payload["procedures"][0]
    assert (record["fee_quantity_question"], record["fee_exempt_answers"]) == (
        "so_ban",
        ["ho_ngheo"],
    )
    assert record["channels"][0]["fee_per_copy"] is True
    record["fee_quantity_question"] = "full_name"  # a text question
    with translation.override("en"):
        report = exchange.import_procedures(
            data=json.dumps(payload).encode(), filename="ds.json", agency=agency,
            actor=None, dry_run=True,
        )  # fmt: skip
    assert not report.applied
    assert any("must name a number question" in e for r in report.rows for e in r.errors)


def test_the_evidence_of_an_exemption_is_asked_of_those_who_claim_it(client, agency):
    version = ProcedureVersionFactory(
        published=True, level4=True, procedure__agency=agency, form_schema=SCHEMA,
        fee_exemption_question="doi_tuong", fee_exempt_answers=["ho_ngheo"],
        channels=[{}, {"online": True, "fee_vnd": 9000}],
        documents=[{"name": "Đơn đề nghị"},
                   {"name": "Giấy chứng nhận hộ nghèo", "required": False,
                    "exemption_evidence": True}],
    )  # fmt: skip
    with translation.override("en"):
        usual = services.dossier_missing(_dossier(version, {"so_ban": 1}), answers_checked=True)
        exempt = services.dossier_missing(
            _dossier(version, {"so_ban": 1, "doi_tuong": "ho_ngheo"}), answers_checked=True
        )
    assert usual == ["Attach: Đơn đề nghị"]
    assert exempt == ["Attach: Đơn đề nghị", "Attach: Giấy chứng nhận hộ nghèo"]
    page = client.get(
        reverse("procedures:detail", args=[version.procedure.service_code]),
        HTTP_ACCEPT_LANGUAGE="en",
    ).content.decode()
    assert "Giấy chứng nhận hộ nghèo <em>(only for those exempt from the fee)</em>" in page

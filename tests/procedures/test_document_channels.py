"""Components by channel (issue 14, item 5): a document is asked for on the filing channels it
applies to. An online filer is never asked for what is shown at the desk ("xuất trình bản chính
để đối chiếu") or sent by post (a stamped envelope); the desk asks for those; the procedure page
says which is which; the import checks and keeps the channels."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from office.intake import Received, dossier_intake
from procedures import exchange
from procedures.models import RequiredDocument
from submissions import services
from submissions.models import IntakeChannel, IntakeComponent
from tests.factories import PDF_BYTES, CitizenFactory, ProcedureVersionFactory
from tests.submissions.workflow_support import crew

pytestmark = pytest.mark.django_db


@pytest.fixture
def version(agency):
    return ProcedureVersionFactory(
        published=True,
        level3=True,
        procedure__agency=agency,
        documents=[
            {"name": "Đơn đề nghị"},
            {"name": "Căn cước (xuất trình để đối chiếu)", "channels": ["in_person"]},
            {"name": "Phong bì có dán tem", "channels": ["post"]},
        ],
    )


def pdf():
    return SimpleUploadedFile("scan.pdf", PDF_BYTES, "application/pdf")


def test_an_online_filer_is_asked_only_for_what_applies_online(client, version):
    citizen = CitizenFactory()
    dossier = services.dossier_start(version=version, applicant=citizen)
    *_others, envelope = version.documents.order_by("pk")
    with translation.override("en"):
        missing = services.dossier_missing(dossier, answers_checked=True)
    assert missing == ["Attach: Đơn đề nghị"]
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        services.dossier_add_files(
            dossier=dossier, actor=citizen, requirement_id=envelope.pk, files=[pdf()]
        )
    assert refused.value.message_dict == {
        "document": ["Choose which document these files are for."]
    }
    client.force_login(citizen)
    page = client.get(reverse("submissions:documents", args=[dossier.public_id])).content
    assert "Đơn đề nghị".encode() in page
    assert "Phong bì".encode() not in page and "xuất trình".encode() not in page


def test_the_procedure_page_says_where_each_document_is_asked_for(client, version):
    page = client.get(
        reverse("procedures:detail", args=[version.procedure.service_code]),
        HTTP_ACCEPT_LANGUAGE="en",
    ).content.decode()
    assert "Asked for when filed: In person" in page
    assert "Asked for when filed: By post" in page
    assert page.count("Asked for when filed:") == 2


@pytest.mark.parametrize(
    ("channel", "needs"),
    [(IntakeChannel.IN_PERSON, "Căn cước"), (IntakeChannel.POST, "Phong bì")],
)
def test_the_desk_asks_for_what_its_channel_needs(agency, other_agency, version, channel, needs):
    people = crew(agency, other_agency)
    form, *_ = version.documents.order_by("pk")
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        dossier_intake(
            actor=people.desk, version=version, channel=channel,
            applicant={"name": "Trần Văn B", "citizen_id": "001090012345"},
            components=[Received(form.pk, IntakeComponent.Form.ORIGINAL, files=[pdf()])],
            intake_key=f"k-{channel}",
        )  # fmt: skip
    [message] = refused.value.message_dict["components"]
    assert needs in message


def test_the_import_checks_and_keeps_the_channels(agency, version):
    payload = json.loads(exchange.export_json(agency))
    documents = payload["procedures"][0]["documents"]
    assert [d["channels"] for d in documents] == [
        ["online", "in_person", "post"],
        ["in_person"],
        ["post"],
    ]
    documents[0]["channels"] = ["fax"]
    with translation.override("en"):
        report = exchange.import_procedures(
            data=json.dumps(payload).encode(), filename="ds.json", agency=agency,
            actor=None, dry_run=True,
        )  # fmt: skip
    assert not report.applied
    assert any("“channels” lists where it is asked for" in e for r in report.rows for e in r.errors)
    del documents[0]["channels"]  # not stated: every channel
    documents[1]["channels"] = ["in_person"]
    report = exchange.import_procedures(
        data=json.dumps(payload).encode(), filename="ds.json", agency=agency,
        actor=None, dry_run=True,
    )  # fmt: skip
    assert all(not r.errors for r in report.rows)
    assert RequiredDocument().channels == ["online", "in_person", "post"]

"""Stopping a dossier issues a signed written notice to the applicant, with the reason
(issue 14, item 9)."""

import io

import pytest
from django.core.management import call_command

from office import services as workflow
from signing.models import Document
from submissions.models import State
from tests.factories import DossierFactory
from tests.submissions.workflow_support import crew, documents_of, fresh

pytestmark = pytest.mark.django_db


def test_stopping_issues_a_signed_notice_the_applicant_sees(
    agency, other_agency, django_capture_on_commit_callbacks
):
    call_command("make_demo_pki", stdout=io.StringIO())
    people = crew(agency, other_agency)
    dossier = DossierFactory(processing=True, agency=agency, workflow__specialist=people.specialist)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.dossier_stop(
            dossier=dossier, actor=people.leader, reason="Công dân đề nghị dừng giải quyết."
        )
    assert fresh(dossier).state == State.STOPPED
    (notice,) = documents_of(dossier, "stop_notice")  # among the applicant's documents
    assert notice.status == Document.Status.SIGNED, notice.error
    assert notice.title == "THÔNG BÁO về việc dừng giải quyết hồ sơ"
    assert "Lý do: Công dân đề nghị dừng giải quyết." in notice.context["closing"]
    assert notice.pdf.read(5) == b"%PDF-"

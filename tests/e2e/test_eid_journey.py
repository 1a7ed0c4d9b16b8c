"""A citizen signs in with the national eID (the local provider, a real process) in a real
browser, files a dossier, signs out everywhere (the provider asks for the credentials again),
and signing in again with the same identity reaches the same account."""

import re

import pytest
from playwright.sync_api import expect

from portal.models import User
from submissions.models import Dossier, State
from tests.e2e.test_filing_journey import _upload
from tests.eid_support import KHOA, PASSWORD
from tests.factories import PDF_BYTES, ProcedureVersionFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCHEMA = [{"name": "student_name", "label": "Họ và tên học sinh", "type": "text", "required": True}]


@pytest.fixture
def version():
    return ProcedureVersionFactory(
        published=True,
        level3=True,
        name="Cấp bản sao văn bằng tốt nghiệp",
        form_schema=SCHEMA,
        documents=[{"name": "Đơn đề nghị cấp bản sao"}],
    )


def _at_provider_sign_in(page, eid, citizen_id):
    expect(page).to_have_url(re.compile(rf"^{re.escape(eid.url)}/login/"))
    expect(page.locator(".demo")).to_contain_text("DEMO")
    page.locator(f'button.pick[data-citizen-id="{citizen_id}"]').click()
    expect(page.locator("#id_password")).to_have_value(PASSWORD)
    page.locator("#login-form button[type=submit]").click()


def test_sign_in_with_eid_file_sign_out_everywhere_and_back(page, live_server, eid, version):
    service_code = version.procedure.service_code
    (document,) = version.documents.all()

    # "File online" asks a visitor to sign in; VNeID is the first choice.
    page.goto(f"{live_server.url}/procedures/{service_code}/file/")
    page.locator("#eid-sign-in").click()
    _at_provider_sign_in(page, eid, KHOA)
    start_path = f"/dossiers/start/{service_code}/"
    expect(page).to_have_url(f"{live_server.url}{start_path}")
    user = User.objects.get(citizen_id=KHOA)
    assert (user.full_name, user.eid_level) == ("Lê Minh Khoa", "2")

    # File a dossier: the applicant's name and ID number come from the eID.
    page.locator("main form.actions button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/dossiers/[0-9a-f-]{36}/edit/$"))
    dossier = Dossier.objects.get(applicant=user)
    expect(page.locator("#id_applicant_name")).to_have_value("Lê Minh Khoa")
    expect(page.locator("#id_applicant_citizen_id")).to_have_value(KHOA)
    page.locator("#id_applicant_phone").fill("0987654321")
    page.locator("#id_applicant_address").fill("5 Nguyễn Huệ, TP. Hồ Chí Minh")
    page.locator("#id_q_student_name").fill("Lê Minh Khoa")
    page.locator('button[name="continue"]').click()
    expect(page).to_have_url(f"{live_server.url}/dossiers/{dossier.public_id}/documents/")
    _upload(page, document, "don-de-nghi.pdf", "application/pdf", PDF_BYTES)
    page.goto(f"{live_server.url}/dossiers/{dossier.public_id}/review/")
    page.locator(f'form[action="/dossiers/{dossier.public_id}/submit/"] button').click()
    expect(page).to_have_url(f"{live_server.url}/dossiers/{dossier.public_id}/?submitted=1")
    dossier.refresh_from_db()
    assert dossier.state == State.SUBMITTED

    # Sign out everywhere: the portal, then the provider, then home.
    page.locator('form[action="/account/logout/"] button[type=submit]').click()
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.locator('a[href="/account/login/"]').first).to_be_visible()

    # The provider's session is gone: the next sign-in asks for the credentials again, and
    # the same identity reaches the same account, with its dossier.
    page.goto(f"{live_server.url}/account/login/?next=/dossiers/")
    page.locator("#eid-sign-in").click()
    _at_provider_sign_in(page, eid, KHOA)
    expect(page).to_have_url(f"{live_server.url}/dossiers/")
    expect(page.locator(f'main a[href="/dossiers/{dossier.public_id}/"]')).to_be_visible()
    assert User.objects.filter(citizen_id=KHOA).count() == 1

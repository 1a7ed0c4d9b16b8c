"""A citizen files a dossier in a real browser: from the procedure's "File online" button through
registration, the form, two uploads, a saved draft, logging out and back in, review and submit;
then tracks it without logging in. And the first steps on a 360 px phone screen.

The filing pages' Vietnamese translations are not final, so their controls are found by what they
do (href, name, id) rather than by their text."""

import re

import pytest
from django.utils import translation
from playwright.sync_api import expect

from portal.models import User
from submissions.models import Dossier, State
from tests.e2e.conftest import ARTIFACTS, finish_registration
from tests.factories import (
    PASSWORD,
    PDF_BYTES,
    CitizenFactory,
    ProcedureVersionFactory,
    png_bytes,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "Nop-ho-so-2026!"
SCHEMA = [
    {"name": "student_name", "label": "Họ và tên học sinh", "type": "text", "required": True},
    {"name": "graduation_year", "label": "Năm tốt nghiệp", "type": "number", "required": True,
     "min": 1975, "max": 2025},
    {"name": "birth_date", "label": "Ngày sinh của học sinh", "type": "date", "required": True},
    {"name": "copies", "label": "Số bản sao", "type": "choice", "required": True,
     "choices": [{"value": "1", "label": "1 bản"}, {"value": "2", "label": "2 bản"}]},
    {"name": "school_type", "label": "Loại trường", "type": "choice",
     "choices": [{"value": v, "label": f"Loại {v}"} for v in "abcdef"]},
]  # fmt: skip


@pytest.fixture
def version():
    return ProcedureVersionFactory(
        published=True,
        level3=True,
        name="Cấp bản sao văn bằng tốt nghiệp",
        form_schema=SCHEMA,
        documents=[{"name": "Đơn đề nghị cấp bản sao"}, {"name": "Ảnh chân dung"}],
    )


def _state_label(state: str) -> str:
    with translation.override("vi"):
        return str(State(state).label)


def _log_out(page):
    page.locator('form[action="/account/logout/"] button[type=submit]').click()
    expect(page.locator('a[href="/account/login/"]').first).to_be_visible()


def _upload(page, requirement, name: str, mime: str, data: bytes):
    slot = page.locator(f"#requirement-{requirement.pk}")
    slot.locator("input[type=file]").set_input_files(
        {"name": name, "mimeType": mime, "buffer": data}
    )
    slot.locator(".upload-form button[type=submit]").click()
    expect(page.locator(f"#requirement-{requirement.pk} .file-list")).to_contain_text(name)


def test_register_file_save_log_in_again_submit_and_track(page, live_server, version, sms_outbox):
    service_code = version.procedure.service_code
    form_doc, photo_doc = version.documents.order_by("order")

    # The procedure page's button; a visitor without an account is asked to log in.
    page.goto(f"{live_server.url}/procedures/{service_code}/")
    page.locator(f'main a[href="/procedures/{service_code}/file/"]').click()
    start_path = f"/dossiers/start/{service_code}/"
    expect(page).to_have_url(re.compile(rf"/account/login/\?next={re.escape(start_path)}$"))

    # … and registers from there, coming back to the same place.
    page.locator('main a[href^="/account/register/?next="]').click()
    page.locator("#id_full_name").fill("Đỗ Quang Huy")
    page.locator("#id_email").fill("huy.do@example.vn")
    page.locator("#id_phone").fill("0987123456")
    page.locator("#id_citizen_id").fill("001090012345")
    page.locator("#id_date_of_birth").fill("1990-08-21")
    page.locator("#id_gender").select_option("male")
    page.locator("#id_password1").fill(NEW_PASSWORD)
    page.locator("#id_password2").fill(NEW_PASSWORD)
    page.locator("main form button[type=submit]").click()
    finish_registration(page, live_server, sms_outbox, "huy.do@example.vn")
    expect(page).to_have_url(f"{live_server.url}{start_path}")
    user = User.objects.get(email="huy.do@example.vn")
    assert user.citizen_id == "001090012345"

    # Start a dossier: the applicant's details come from the new profile.
    page.locator("main form.actions button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/dossiers/[0-9a-f-]{36}/edit/$"))
    dossier = Dossier.objects.get(applicant=user)
    expect(page.locator("#id_applicant_name")).to_have_value("Đỗ Quang Huy")
    expect(page.locator("#id_applicant_citizen_id")).to_have_value("001090012345")
    expect(page.locator("#id_applicant_phone")).to_have_value("0987123456")

    page.locator("#id_applicant_address").fill("18 Lý Thường Kiệt, Hà Nội")
    page.locator("#id_q_student_name").fill("Đỗ Minh Anh")
    page.locator("#id_q_graduation_year").fill("2008")
    page.locator("#id_q_birth_date").fill("1990-08-21")
    page.locator('input[name="q_copies"][value="2"]').check()
    page.locator("#id_q_school_type").select_option("c")
    page.locator('button[name="save"]').click()
    expect(page.get_by_role("status")).to_be_visible()
    dossier.refresh_from_db()
    assert dossier.answers == {
        "student_name": "Đỗ Minh Anh",
        "graduation_year": 2008,
        "birth_date": "1990-08-21",
        "copies": "2",
        "school_type": "c",
    }
    assert dossier.applicant_address == "18 Lý Thường Kiệt, Hà Nội"
    # What was saved is shown again.
    expect(page.locator("#id_q_birth_date")).to_have_value("1990-08-21")
    expect(page.locator('input[name="q_copies"][value="2"]')).to_be_checked()

    page.locator('button[name="continue"]').click()
    expect(page).to_have_url(f"{live_server.url}/dossiers/{dossier.public_id}/documents/")
    _upload(page, form_doc, "don-de-nghi.pdf", "application/pdf", PDF_BYTES)
    _upload(page, photo_doc, "anh-chan-dung.png", "image/png", png_bytes(40, 60))
    assert sorted(dossier.files.values_list("name", flat=True)) == [
        "anh-chan-dung.png",
        "don-de-nghi.pdf",
    ]

    # Finish later: log out, log in again, find the draft under "My dossiers".
    page.locator('main .actions a[href="/dossiers/"]').click()
    expect(page.locator(f'main a[href="/dossiers/{dossier.public_id}/"]')).to_be_visible()
    _log_out(page)
    page.locator('a[href="/account/login/"]').first.click()
    page.locator("#id_username").fill("huy.do@example.vn")
    page.locator("#id_password").fill(NEW_PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.locator('nav a[href="/dossiers/"]').click()
    page.locator(f'main a[href="/dossiers/{dossier.public_id}/"]').click()
    page.locator(f'main .actions a[href="/dossiers/{dossier.public_id}/edit/"]').click()
    expect(page.locator("#id_q_student_name")).to_have_value("Đỗ Minh Anh")
    page.locator(f'.wizard a[href="/dossiers/{dossier.public_id}/review/"]').click()

    # The review shows everything; nothing is missing.
    main = page.locator("main")
    for shown in ("Đỗ Minh Anh", "21/08/1990", "2 bản", "Loại c", "don-de-nghi.pdf"):
        expect(main).to_contain_text(shown)
    expect(page.locator("#missing")).to_have_count(0)
    page.locator(f'form[action="/dossiers/{dossier.public_id}/submit/"] button').click()

    expect(page).to_have_url(f"{live_server.url}/dossiers/{dossier.public_id}/?submitted=1")
    dossier.refresh_from_db()
    assert dossier.state == State.SUBMITTED and dossier.code
    expect(page.locator("#submitted-code")).to_have_text(dossier.code)
    expect(page.locator(".timeline")).to_contain_text(_state_label(State.SUBMITTED))

    # Anyone with the code and the citizen ID can follow it, without logging in.
    _log_out(page)
    page.locator('nav a[href="/dossiers/track/"]').click()
    page.locator("#id_code").fill(dossier.code.lower())
    page.locator("#id_secret").fill("001 090 012 345")
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".track-result .dossier-code")).to_have_text(dossier.code)
    expect(page.locator(".track-state")).to_have_text(_state_label(State.SUBMITTED))
    expect(page.locator("main")).not_to_contain_text("Đỗ Minh Anh")

    # A wrong citizen ID shows nothing of it.
    page.locator("#id_secret").fill("001090099999")
    page.locator("main form button[type=submit]").click()
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.locator(".track-result")).to_have_count(0)


def _no_sideways_scroll(phone, where: str):
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"{where} is {width}px wide on a 360px screen"


def test_filing_on_a_phone(phone, live_server, version):
    citizen = CitizenFactory(email="phone@example.vn")
    form_doc = version.documents.order_by("order").first()

    phone.goto(f"{live_server.url}/account/login/?next=/dossiers/start/"
               f"{version.procedure.service_code}/")  # fmt: skip
    phone.locator("#id_username").fill(citizen.email)
    phone.locator("#id_password").fill(PASSWORD)
    phone.locator("main form button[type=submit]").click()
    expect(phone).to_have_url(re.compile(r"/dossiers/start/"))
    _no_sideways_scroll(phone, "the start page")

    phone.locator("main form.actions button[type=submit]").click()
    expect(phone).to_have_url(re.compile(r"/edit/$"))
    _no_sideways_scroll(phone, "the form")
    phone.locator("#id_q_student_name").fill("Lê Gia Bảo")
    phone.locator("#id_q_graduation_year").fill("2015")
    phone.locator("#id_q_birth_date").fill("2002-01-09")
    phone.locator('input[name="q_copies"][value="1"]').check()
    # A mistake first: the error is shown, and the page still fits.
    phone.locator("#id_applicant_phone").fill("12345")
    phone.locator('button[name="continue"]').click()
    expect(phone.locator("#id_applicant_phone_error")).to_be_visible()
    _no_sideways_scroll(phone, "the form with an error")
    phone.locator("#id_applicant_phone").fill("0912345678")
    phone.locator('button[name="continue"]').click()
    expect(phone).to_have_url(re.compile(r"/documents/$"))
    _no_sideways_scroll(phone, "the documents page")

    _upload(phone, form_doc, "don-tren-dien-thoai.pdf", "application/pdf", PDF_BYTES)
    _no_sideways_scroll(phone, "the documents page with a file")
    dossier = Dossier.objects.get(applicant=citizen)
    assert list(dossier.files.values_list("name", flat=True)) == ["don-tren-dien-thoai.pdf"]
    ARTIFACTS.mkdir(exist_ok=True)
    phone.screenshot(path=str(ARTIFACTS / "filing-documents-phone-360.png"), full_page=True)

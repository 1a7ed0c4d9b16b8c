"""The citizen's voice in real browsers: a citizen (on a phone) rates a returned dossier and
sends feedback about it; an officer who is also the agency's leader answers it and publishes the
answer; the public page shows it without the citizen's name, email or phone."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from feedback.models import Feedback, Rating
from tests.e2e.conftest import pass_second_factor
from tests.factories import (
    PASSWORD,
    CitizenFactory,
    DossierFactory,
    OfficerFactory,
    ProcedureVersionFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _log_in(page, live_server, user):
    page.goto(f"{live_server.url}/account/login/")
    page.locator("#id_username").fill(user.email)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    if user.is_officer:
        pass_second_factor(page, user)
    expect(page.locator('form[action="/account/logout/"]')).to_have_count(1)


def test_a_citizen_rates_and_sends_feedback_the_agency_answers_and_publishes(
    page, phone, live_server, agency
):
    version = ProcedureVersionFactory(
        published=True, procedure__agency=agency, name="Cấp bản sao văn bằng tốt nghiệp"
    )
    citizen = CitizenFactory(
        email="lan.pham@example.vn", full_name="Phạm Thị Lan", phone="0987654321"
    )
    dossier = DossierFactory(returned=True, applicant=citizen, version=version)
    officer = OfficerFactory(
        email="lanhdao@so-hn.example.vn",
        full_name="Đỗ Văn Minh",
        agency=agency,
        roles=["specialist", "leader"],
        language="vi",
    )

    # The citizen, on a phone: rate the returned dossier, then send feedback about it.
    _log_in(phone, live_server, citizen)
    phone.goto(f"{live_server.url}/dossiers/{dossier.public_id}/")
    box = phone.locator("#rating-box")
    box.get_by_label("Rất hài lòng").check()
    box.get_by_label("Góp ý (không bắt buộc)").fill("Cán bộ hướng dẫn tận tình.")
    box.get_by_role("button", name="Gửi đánh giá").click()
    expect(phone.locator("#rating-given")).to_contain_text("Rất hài lòng")
    assert Rating.objects.get(dossier=dossier).level == "very_satisfied"

    phone.get_by_role("link", name="Gửi phản ánh, kiến nghị về hồ sơ này").click()
    expect(phone.locator("#about-dossier")).to_contain_text(dossier.code)
    phone.get_by_label("Tiêu đề").fill("Phiếu hẹn ghi sai số điện thoại")
    phone.get_by_label("Nội dung phản ánh, kiến nghị").fill(
        "Tôi là Phạm Thị Lan, số điện thoại 0987654321. Phiếu hẹn ghi sai số của tôi."
    )
    phone.get_by_role("button", name="Gửi phản ánh").click()
    expect(phone.locator("#feedback-state")).to_have_text("Đã nhận")
    feedback = Feedback.objects.get()
    expect(phone.locator("#feedback-code")).to_have_text(feedback.code)
    assert feedback.code.startswith(f"PAKN-{agency.code}-")

    # The officer answers and publishes.
    _log_in(page, live_server, officer)
    page.goto(f"{live_server.url}/office/")
    page.locator("nav.tabs").get_by_role("link", name="Phản ánh, kiến nghị").click()
    expect(page).to_have_url(re.compile(r"/office/feedback/$"))
    page.get_by_role("link", name=feedback.code).click()
    page.get_by_label("Trả lời").fill(
        "Sở đã sửa phiếu hẹn và gọi lại cho bà Phạm Thị Lan theo số 0987654321."
    )
    page.get_by_role("button", name="Gửi trả lời").click()
    expect(page.locator("#feedback-state")).to_have_text("Đã trả lời")
    page.locator("#publish-button").click()
    expect(page.locator("#published")).to_be_visible()
    assert [m.to for m in mail.outbox if feedback.code in m.subject] == [[citizen.email]]

    # The public page: the answer, without the citizen's name or phone.
    phone.goto(f"{live_server.url}/phan-anh/")
    phone.get_by_role("link", name="Phiếu hẹn ghi sai số điện thoại").click()
    expect(phone.locator("#public-answer")).to_contain_text("Sở đã sửa phiếu hẹn")
    text = phone.locator("main").inner_text()
    assert "Phạm Thị Lan" not in text and "0987654321" not in text
    # The citizen says the answer satisfied them, from their own feedback page.
    phone.goto(f"{live_server.url}/phan-anh/theo-doi/{feedback.code}/")
    phone.get_by_label("Hài lòng", exact=True).check()
    phone.locator("#rate-answer").get_by_role("button", name="Gửi").click()
    expect(phone.locator("#answer-rated")).to_be_visible()
    feedback.refresh_from_db()
    assert feedback.sender_satisfied is True

"""Feedback (phản ánh, kiến nghị): sending (anyone; one's own dossier only when signed in),
its code and due date in working days, answering once, refusing, publishing with the sender's
personal data masked, the sender's rating of the answer, the back-office's visibility."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from feedback import privacy, services
from feedback.models import Feedback, FeedbackAbout, FeedbackState
from tests.factories import (
    PDF_BYTES,
    CitizenFactory,
    DossierFactory,
    FeedbackFactory,
    OfficerFactory,
    png_bytes,
)

pytestmark = pytest.mark.django_db
VN = ZoneInfo("Asia/Ho_Chi_Minh")


def at(*args):
    return dt.datetime(*args, tzinfo=VN)


def _send(agency, **kwargs):
    fields = {
        "about": FeedbackAbout.AGENCY,
        "agency": agency,
        "sender_name": "Trần Văn Bình",
        "sender_email": "binh@example.vn",
        "title": "Phiếu hẹn ghi sai ngày",
        "body": "Phiếu hẹn của tôi ghi ngày trả kết quả là Chủ nhật.",
    }
    fields.update(kwargs)
    return services.feedback_send(**fields)


def _media_files(settings) -> list:
    root = settings.MEDIA_ROOT
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


# --- sending ------------------------------------------------------------------------------------


def test_anyone_sends_feedback_and_it_gets_a_code_of_the_agencys_daily_sequence(agency):
    with time_machine.travel(at(2026, 3, 10, 9, 0), tick=False):
        first = _send(agency)
        second = _send(agency, sender_email="", sender_phone="0912345678")
    assert first.code == "PAKN-000.00.12.H26-260310-0001"
    assert second.code == "PAKN-000.00.12.H26-260310-0002"
    assert (first.state, first.sender, first.agency) == (FeedbackState.RECEIVED, None, agency)


def test_the_answer_is_due_15_working_days_later_across_the_april_holidays(agency, settings):
    settings.FEEDBACK_ANSWER_DAYS = 15
    settings.DEADLINE_COUNTING = "whole_days"
    with time_machine.travel(at(2026, 4, 23, 10, 0), tick=False):  # Thursday
        feedback = _send(agency)
    # Counted from the next working day: Fri 24/4 (1); Mon 27/4 is the day in lieu of Hùng
    # Kings' day; Tue 28 (2), Wed 29 (3); Thu 30/4 and Fri 1/5 are holidays; Mon 4/5 (4) … Fri
    # 8/5 (8); Mon 11 (9) … Fri 15 (13); Mon 18 (14), Tue 19/5 (15): at the close of office.
    assert feedback.due_at == at(2026, 5, 19, 17, 0)


@pytest.mark.parametrize(
    ("answered_at", "expected"),
    [
        (at(2026, 5, 18, 16, 0), "early"),
        (at(2026, 5, 19, 16, 59), "on_time"),
        (at(2026, 5, 20, 8, 0), "late"),
    ],
)
def test_the_answers_timeliness_is_fixed_when_it_is_given(agency, settings, answered_at, expected):
    settings.DEADLINE_COUNTING = "whole_days"
    with time_machine.travel(at(2026, 4, 23, 10, 0), tick=False):
        feedback = _send(agency)
    officer = OfficerFactory(agency=agency, roles=["specialist"])
    with time_machine.travel(answered_at, tick=False):
        services.feedback_answer(feedback=feedback, actor=officer, answer="Đã sửa phiếu hẹn.")
    feedback.refresh_from_db()
    assert feedback.timeliness == expected


def test_someone_not_signed_in_must_give_an_email_or_a_phone(agency):
    with pytest.raises(ValidationError) as refused:
        _send(agency, sender_email="", sender_phone="")
    assert list(refused.value.message_dict) == ["sender_email"]
    with pytest.raises(ValidationError) as no_name:
        _send(agency, sender_name=" ")
    assert "sender_name" in no_name.value.message_dict
    assert not Feedback.objects.exists()


def test_the_form_shows_the_missing_contact_in_place(client, agency):
    with translation.override("en"):
        answer = client.post(
            reverse("feedback:send"),
            {
                "about": "agency",
                "agency": agency.pk,
                "sender_name": "Bình",
                "title": "Tiêu đề",
                "body": "Nội dung",
            },
        )
    assert answer.status_code == 400
    html = answer.content.decode()
    assert re.search(r'<div class="field field-invalid[^"]*">\s*<label for="id_sender_email"', html)
    assert not Feedback.objects.exists()


def test_a_wrong_attachment_is_refused_in_place_and_nothing_is_stored(client, agency, settings):
    before = _media_files(settings)
    answer = client.post(
        reverse("feedback:send"),
        {
            "about": "agency",
            "agency": agency.pk,
            "sender_name": "Trần Văn Bình",
            "sender_email": "binh@example.vn",
            "title": "Kèm tệp",
            "body": "Xem tệp đính kèm.",
            "attachment": SimpleUploadedFile("anh.png", b"MZ\x90\x00 not an image", "image/png"),
        },
    )
    assert answer.status_code == 400
    html = answer.content.decode()
    assert re.search(r'<div class="field field-invalid[^"]*">\s*<label for="id_attachment"', html)
    assert "anh.png" in html  # the message names the file
    assert not Feedback.objects.exists()
    assert _media_files(settings) == before


def test_a_pdf_or_png_attachment_is_stored_and_the_office_reads_it(client, agency):
    feedback = _send(
        agency, attachment=SimpleUploadedFile("bien-ban.png", png_bytes(), "image/png")
    )
    assert feedback.attachment_name == "bien-ban.png"
    assert feedback.attachment_type == "image/png"
    assert feedback.attachment.name.startswith("feedback/")
    client.force_login(OfficerFactory(agency=agency, roles=["desk"]))
    answer = client.get(reverse("feedback_office:attachment", args=[feedback.code]))
    assert answer.status_code == 200 and b"".join(answer.streaming_content) == png_bytes()
    pdf = _send(agency, attachment=SimpleUploadedFile("don.pdf", PDF_BYTES, "application/pdf"))
    assert pdf.attachment_type == "application/pdf"


def test_feedback_about_ones_own_dossier_goes_to_its_agency(client):
    dossier = DossierFactory(submitted=True)
    client.force_login(dossier.applicant)
    page = client.get(reverse("feedback:send"), {"dossier": str(dossier.public_id)})
    assert page.status_code == 200 and dossier.code in page.content.decode()
    answer = client.post(
        reverse("feedback:send") + f"?dossier={dossier.public_id}",
        {"title": "Chưa được tiếp nhận", "body": "Đã ba ngày chưa được tiếp nhận."},
    )
    assert answer.status_code == 302
    feedback = Feedback.objects.get()
    assert (feedback.about, feedback.dossier, feedback.agency, feedback.sender) == (
        FeedbackAbout.DOSSIER,
        dossier,
        dossier.agency,
        dossier.applicant,
    )
    assert feedback.procedure == dossier.version.procedure
    # Answered at the account's address.
    assert feedback.sender_email == dossier.applicant.email


def test_someone_elses_dossier_is_404_and_the_service_refuses_it(client):
    dossier = DossierFactory(submitted=True)
    stranger = CitizenFactory()
    client.force_login(stranger)
    url = reverse("feedback:send") + f"?dossier={dossier.public_id}"
    assert client.get(url).status_code == 404
    assert client.post(url, {"title": "x", "body": "y"}).status_code == 404
    client.logout()
    assert client.get(url).status_code == 404  # not signed in: no dossier either
    with pytest.raises(PermissionDenied):
        services.feedback_send(
            about=FeedbackAbout.DOSSIER, actor=stranger, dossier=dossier, title="x", body="y"
        )
    assert not Feedback.objects.exists()


def test_sending_is_limited_per_client_address(client, agency, settings):
    settings.FEEDBACK_SENDS_PER_HOUR = 2
    data = {
        "about": "agency",
        "agency": agency.pk,
        "sender_name": "Bình",
        "sender_email": "binh@example.vn",
        "title": "Tiêu đề",
        "body": "Nội dung",
    }
    assert [client.post(reverse("feedback:send"), data).status_code for _ in range(3)] == [
        302,
        302,
        429,
    ]
    assert Feedback.objects.count() == 2


def test_the_sender_tracks_by_code_and_email_or_phone(client, agency):
    feedback = _send(agency, sender_phone="0912 345 678")
    url = reverse("feedback:track")
    assert client.post(url, {"code": feedback.code, "secret": "khac@example.vn"}).status_code == 404
    assert client.get(reverse("feedback:status", args=[feedback.code])).status_code == 404
    answer = client.post(url, {"code": feedback.code.lower(), "secret": "+84912345678"})
    assert answer.status_code == 302
    page = client.get(answer["Location"])
    assert page.status_code == 200 and feedback.title in page.content.decode()


# --- answering ----------------------------------------------------------------------------------


def test_an_officer_answers_once_and_the_sender_is_emailed(
    agency, django_capture_on_commit_callbacks
):
    feedback = _send(agency)
    officer = OfficerFactory(agency=agency, roles=["specialist"])
    with django_capture_on_commit_callbacks(execute=True):
        services.feedback_answer(feedback=feedback, actor=officer, answer="Sở đã sửa lỗi.")
    feedback.refresh_from_db()
    assert (feedback.state, feedback.answered_by, feedback.answer) == (
        FeedbackState.ANSWERED,
        officer,
        "Sở đã sửa lỗi.",
    )
    [message] = mail.outbox
    assert message.to == ["binh@example.vn"]
    assert feedback.code in message.subject and "Sở đã sửa lỗi." in message.body
    with translation.override("en"), pytest.raises(ValidationError) as twice:
        services.feedback_answer(feedback=feedback, actor=officer, answer="Lần hai")
    assert "already been handled" in twice.value.messages[0]
    feedback.refresh_from_db()
    assert feedback.answer == "Sở đã sửa lỗi." and len(mail.outbox) == 1


def test_refusing_needs_a_reason_and_closes_it(agency):
    feedback = _send(agency)
    officer = OfficerFactory(agency=agency, roles=["desk"])
    with pytest.raises(ValidationError) as no_reason:
        services.feedback_refuse(feedback=feedback, actor=officer, reason=" ")
    assert list(no_reason.value.message_dict) == ["reason"]
    services.feedback_refuse(feedback=feedback, actor=officer, reason="Không thuộc thẩm quyền.")
    feedback.refresh_from_db()
    assert feedback.state == FeedbackState.REFUSED
    with pytest.raises(ValidationError):
        services.feedback_answer(feedback=feedback, actor=officer, answer="Trả lời")


def test_another_agencys_officer_cannot_answer_and_gets_404_in_the_office(
    client, agency, other_agency
):
    feedback = _send(agency)
    stranger = OfficerFactory(agency=other_agency, roles=["desk", "leader"])
    with pytest.raises(PermissionDenied):
        services.feedback_answer(feedback=feedback, actor=stranger, answer="Không")
    client.force_login(stranger)
    assert client.get(reverse("feedback_office:detail", args=[feedback.code])).status_code == 404
    answer = client.post(
        reverse("feedback_office:answer", args=[feedback.code]), {"answer": "Không"}
    )
    assert answer.status_code == 404
    assert feedback.code not in client.get(reverse("feedback_office:queue")).content.decode()
    feedback.refresh_from_db()
    assert feedback.state == FeedbackState.RECEIVED
    client.force_login(CitizenFactory())
    assert client.get(reverse("feedback_office:queue")).status_code == 404


def test_answering_twice_in_the_office_shows_a_message(client, agency):
    feedback = _send(agency)
    officer = OfficerFactory(agency=agency, roles=["specialist"])
    client.force_login(officer)
    url = reverse("feedback_office:answer", args=[feedback.code])
    assert client.post(url, {"answer": "Lần một"}).status_code == 302
    answer = client.post(url, {"answer": "Lần hai"}, follow=True)
    assert answer.status_code == 200
    feedback.refresh_from_db()
    assert feedback.answer == "Lần một"


def test_the_queue_puts_the_most_overdue_first_and_flags_them(client, agency):
    officer = OfficerFactory(agency=agency, roles=["desk"])
    with time_machine.travel(at(2026, 6, 1, 9, 0), tick=False):
        later = FeedbackFactory(agency=agency, due_at=at(2026, 6, 20, 17), title="Hạn sau")
        overdue = FeedbackFactory(agency=agency, due_at=at(2026, 5, 29, 17), title="Quá hạn")
        soon = FeedbackFactory(agency=agency, due_at=at(2026, 6, 2, 17), title="Sắp đến hạn")
        done = FeedbackFactory(agency=agency, answered=True, title="Hồ sơ đã xong")
        client.force_login(officer)
        html = client.get(reverse("feedback_office:queue")).content.decode()
    codes = re.findall(r'class="dossier-code">([^<]+)<', html)
    assert codes == [overdue.code, soon.code, later.code]
    assert html.count('class="overdue"') == 1
    assert done.code not in html and "Hồ sơ đã xong" not in html


# --- publishing ---------------------------------------------------------------------------------


def test_the_public_page_hides_the_senders_personal_data(client, agency):
    feedback = _send(
        agency,
        sender_name="Nguyễn Thị Lan",
        sender_email="lan.nguyen@example.vn",
        sender_phone="0987654321",
        title="Chị Nguyễn Thị Lan phản ánh",
        body=(
            "Tôi là Nguyễn Thị Lan, CCCD 001190012345, điện thoại 0987 654 321, "
            "email lan.nguyen@example.vn. Hồ sơ của tôi bị trả lại ba lần."
        ),
    )
    officer = OfficerFactory(agency=agency, roles=["specialist"])
    services.feedback_answer(
        feedback=feedback,
        actor=officer,
        answer="Sở đã liên hệ bà nguyễn thị lan qua số +84987654321 và hướng dẫn bổ sung.",
    )
    with pytest.raises(PermissionDenied):
        services.feedback_publish(feedback=feedback, actor=officer)  # not a leader
    leader = OfficerFactory(agency=agency, roles=["leader"])
    services.feedback_publish(feedback=feedback, actor=leader)
    listing = client.get(reverse("feedback:list")).content.decode()
    page = client.get(reverse("feedback:detail", args=[feedback.code]))
    assert page.status_code == 200
    html = page.content.decode()
    for personal in (
        "Nguyễn Thị Lan", "nguyễn thị lan", "001190012345", "0987", "987654321",
        "lan.nguyen@example.vn", "@example.vn",
    ):  # fmt: skip
        assert personal not in html, personal
        assert personal not in listing, personal
    assert "Hồ sơ của tôi bị trả lại ba lần." in html
    assert "hướng dẫn bổ sung" in html
    # Searching by a phone number finds nothing: only the masked text is searched.
    found = client.get(reverse("feedback:list"), {"q": "0987654321"}).content.decode()
    assert feedback.code not in found
    assert feedback.code in client.get(reverse("feedback:list"), {"q": "trả lại"}).content.decode()


def test_unpublished_feedback_is_not_public(client, agency):
    feedback = FeedbackFactory(agency=agency, answered=True)
    assert client.get(reverse("feedback:detail", args=[feedback.code])).status_code == 404
    assert feedback.code not in client.get(reverse("feedback:list")).content.decode()


def test_only_an_answer_is_published(agency):
    feedback = FeedbackFactory(agency=agency)
    leader = OfficerFactory(agency=agency, roles=["leader"])
    with pytest.raises(ValidationError):
        services.feedback_publish(feedback=feedback, actor=leader)
    feedback.refresh_from_db()
    assert feedback.published_at is None


def test_masking_leaves_ordinary_numbers():
    text = "Thủ tục 2.001914, lệ phí 50.000 đồng, hồ sơ 000.00.12.H26-260310-0001."
    assert privacy.mask(text) == text


# --- the sender's rating of the answer ----------------------------------------------------------


def test_the_sender_rates_the_answer_once(client, agency):
    citizen = CitizenFactory()
    feedback = FeedbackFactory(agency=agency, answered=True, sender=citizen)
    client.force_login(citizen)
    url = reverse("feedback:rate_answer", args=[feedback.code])
    assert client.post(url, {"satisfied": "no"}).status_code == 302
    feedback.refresh_from_db()
    assert feedback.sender_satisfied is False
    assert client.post(url, {"satisfied": "yes"}).status_code == 400
    feedback.refresh_from_db()
    assert feedback.sender_satisfied is False
    client.force_login(CitizenFactory())
    assert client.post(url, {"satisfied": "yes"}).status_code == 404


def test_an_anonymous_sender_rates_after_tracking(client, agency):
    feedback = FeedbackFactory(agency=agency, answered=True, sender_email="hoa@example.vn")
    url = reverse("feedback:rate_answer", args=[feedback.code])
    assert client.post(url, {"satisfied": "yes"}).status_code == 404
    client.post(reverse("feedback:track"), {"code": feedback.code, "secret": "Hoa@Example.vn"})
    assert client.post(url, {"satisfied": "yes"}).status_code == 302
    feedback.refresh_from_db()
    assert feedback.sender_satisfied is True


def test_the_list_pages_take_as_many_queries_for_many_rows_as_for_one(client, agency):
    client.force_login(OfficerFactory(agency=agency, roles=["desk"]))
    counts = {}
    for rows in (1, 6):
        FeedbackFactory.create_batch(rows - len(counts) * 1, agency=agency, published=True)
        FeedbackFactory.create_batch(rows - len(counts) * 1, agency=agency)
        with CaptureQueriesContext(connection) as public:
            assert client.get(reverse("feedback:list")).status_code == 200
        with CaptureQueriesContext(connection) as office:
            assert client.get(reverse("feedback_office:queue")).status_code == 200
        counts[rows] = (len(public), len(office))
    assert Feedback.objects.filter(published_at__isnull=False).count() == 6
    assert counts[1] == counts[6]

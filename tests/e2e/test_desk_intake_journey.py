"""A paper dossier at the one-stop desk, in a real browser (issue 14): the desk officer takes in
a dossier a parent brings in person for a pupil, with two scanned components, sees it accepted
with its receipt (Mẫu 01: channel "Trực tiếp", the components as received), certifies one scan
as an electronic copy (which verifies); after processing, the result goes back by post with
its tracking number, and the register shows channel, filer, subject and the post."""

import re
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from office import services as workflow
from signing.models import Document
from submissions.models import Dossier, State
from tests.e2e.conftest import pass_second_factor
from tests.factories import PASSWORD, PDF_BYTES, ProcedureVersionFactory, dossier_advance
from tests.submissions.workflow_support import crew

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def version(agency, settings):
    call_command("make_demo_pki", "--dir", str(settings.SIGNING_DEMO_PKI_DIR), verbosity=0)
    return ProcedureVersionFactory(
        published=True,
        level3=True,
        procedure__agency=agency,
        name="Cấp bản sao văn bằng, chứng chỉ từ sổ gốc",
        channels=[{}, {"online": True, "fee_vnd": 0, "time_amount": Decimal("5")}],
        documents=[
            {"name": "Đơn đề nghị cấp bản sao", "required": True},
            {"name": "Giấy khai sinh của học sinh", "required": True, "originals": 0, "copies": 1},
        ],
    )


def test_a_walk_in_dossier_from_the_desk_to_the_post(
    page, live_server, agency, other_agency, version, tmp_path
):
    people = crew(agency, other_agency, language="vi")
    scan = tmp_path / "ban-quet.pdf"
    scan.write_bytes(PDF_BYTES)
    page.goto(f"{live_server.url}/account/login/")
    page.locator("#id_username").fill(people.desk.email)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    pass_second_factor(page, people.desk)
    page.get_by_role("link", name="Xử lý hồ sơ").click()
    page.get_by_role("link", name="Tiếp nhận hồ sơ giấy").click()
    page.locator("#id_procedure").select_option(str(version.pk))
    page.get_by_role("button", name="Tiếp tục").click()

    page.locator("#id_channel").select_option("in_person")
    page.locator("#id_name").fill("Trần Thị Phụ Huynh")
    page.locator("#id_citizen_id").fill("001185012345")
    page.locator("#id_phone").fill("0987654321")
    page.locator("#id_address").fill("5 Phố Hàng Bài, Hoàn Kiếm, Hà Nội")
    page.locator("#id_result_delivery").select_option("post")
    page.locator("#id_filer_role").select_option("parent")
    page.locator("#id_subject_name").fill("Nguyễn Văn Học Sinh")
    first, second = version.documents.order_by("pk")
    page.locator(f"#id_form_{second.pk}").select_option("certified_copy")
    page.locator(f"#id_sheets_{second.pk}").fill("2")
    page.locator(f"#files_{first.pk}").set_input_files(str(scan))
    page.locator(f"#files_{second.pk}").set_input_files(str(scan))
    page.get_by_role("button", name="Tiếp nhận hồ sơ").click()

    expect(page.locator(".messages")).to_contain_text("Đã tiếp nhận hồ sơ")
    dossier = Dossier.objects.get()
    expect(page.locator("h1")).to_have_text(dossier.code)
    expect(page.locator("#channel")).to_have_text("Trực tiếp")
    expect(page.locator("#delivery")).to_contain_text("5 Phố Hàng Bài")
    assert dossier.state == State.RECEIVED and dossier.applicant is None
    expect(page.locator("#for-whom")).to_contain_text("Nguyễn Văn Học Sinh")

    # The original application form was shown: its scan is certified as an electronic copy.
    page.locator("table.components").get_by_role("button").first.click()
    expect(page.locator(".messages")).to_contain_text("Đã chứng thực")
    certified = page.locator("table.components a").first
    code = certified.inner_text()
    certificate = Document.objects.get(verification_code=code)
    assert certificate.kind == "certified_copy" and certificate.status == Document.Status.SIGNED
    certified.click()
    expect(page.locator("main")).to_contain_text("CHỨNG THỰC BẢN SAO ĐIỆN TỬ TỪ BẢN CHÍNH")
    page.go_back()
    receipt = Document.objects.get(kind="receipt", owner_id=dossier.pk)
    assert receipt.status == Document.Status.SIGNED
    assert ["Hình thức nộp hồ sơ", "Trực tiếp"] in receipt.context["facts"]
    assert receipt.context["rows"][1][1:] == [
        "Giấy khai sinh của học sinh",
        "Bản sao có chứng thực",
        "2 tờ × 1 bộ; 1 bản quét",
    ]

    # Processed and signed (the services, as the other journeys test the pages; the result is
    # rendered and signed in-process once the approval commits), then posted.
    dossier = dossier_advance(
        dossier, State.PENDING_APPROVAL, desk=people.desk, specialist=people.specialist,
        leader=people.leader,
    )  # fmt: skip
    workflow.dossier_approve(dossier=dossier, actor=people.leader)
    assert Dossier.objects.get(pk=dossier.pk).state == State.RESOLVED
    page.reload()
    page.locator("#action-send_by_post summary").click()
    page.locator("#id_send_by_post-post_tracking").fill("EB123456789VN")
    with page.expect_navigation():  # the POST and its redirect back to the page
        page.locator("#action-send_by_post").get_by_role("button").click()
    expect(page.locator(".badge-state")).to_have_text("Đã trả kết quả")
    expect(page.locator("#delivery")).to_contain_text("EB123456789VN")

    today = timezone.localdate().isoformat()
    page.goto(f"{live_server.url}/office/register/?start={today}&end={today}")
    row = page.locator("table.register tbody tr").first
    expect(row).to_contain_text("trực tiếp")  # Mẫu 06's note: the state, the channel
    expect(row).to_contain_text("Trần Thị Phụ Huynh")
    expect(row).to_contain_text("cho: Nguyễn Văn Học Sinh")
    expect(row).to_contain_text(re.compile(r"EB123456789VN"))

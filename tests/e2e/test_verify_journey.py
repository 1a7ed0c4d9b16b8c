"""Anyone checks a signed document in a real browser: by its code, and by uploading the file."""

import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.management import call_command
from django.db import connections, transaction
from playwright.sync_api import expect

from portal.models import Agency
from signing import services
from signing.models import Document

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def signed_document(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    agency = Agency.objects.create(
        code="000.00.12.H26", name="Sở Giáo dục và Đào tạo Hà Nội", level="province"
    )
    call_command("make_demo_pki", "--dir", str(settings.SIGNING_DEMO_PKI_DIR), verbosity=0)

    def issue():
        try:
            with transaction.atomic():  # the task runs in-process once this commits
                document = services.document_request(
                    kind="receipt",
                    title="Giấy tiếp nhận hồ sơ và hẹn trả kết quả",
                    template="documents/notice.html",
                    context={"recipient": "Ông Nguyễn Văn An", "paragraphs": ["Đã tiếp nhận."]},
                    agency=agency,
                )
            return document.pk
        finally:
            connections.close_all()

    # pyHanko runs its own asyncio loop; Playwright's sync API already has one in this thread.
    with ThreadPoolExecutor(max_workers=1) as pool:
        document = Document.objects.get(pk=pool.submit(issue).result())
    assert document.status == "signed", document.error
    return document


def test_verify_by_code_download_and_upload(page, live_server, signed_document, tmp_path):
    page.goto(live_server.url + "/verify/")
    page.get_by_label("Mã xác thực").fill(signed_document.verification_code.lower())
    page.get_by_role("button", name="Xác thực").click()

    expect(page).to_have_url(re.compile(rf"/verify/{signed_document.verification_code}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(signed_document.title)
    expect(page.locator(".hash")).to_have_text(signed_document.sha256)
    with page.expect_download() as info:
        page.get_by_role("link", name="Tải văn bản đã ký số").click()
    saved = tmp_path / "downloaded.pdf"
    info.value.save_as(saved)
    assert saved.read_bytes() == signed_document.pdf.open("rb").read()

    page.get_by_role("link", name="Xác thực một tệp").click()
    page.get_by_label("Hoặc tải lên tệp PDF").set_input_files(str(saved))
    page.get_by_role("button", name="Xác thực").click()
    expect(page.locator(".verdict-authentic")).to_contain_text("Văn bản xác thực")

    tampered = tmp_path / "tampered.pdf"
    data = bytearray(saved.read_bytes())
    data[len(data) // 3] ^= 0x01
    tampered.write_bytes(bytes(data))
    page.get_by_label("Hoặc tải lên tệp PDF").set_input_files(str(tampered))
    page.get_by_role("button", name="Xác thực").click()
    expect(page.locator(".verdict-modified")).to_be_visible()

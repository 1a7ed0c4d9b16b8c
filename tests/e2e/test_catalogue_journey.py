"""A citizen looks for a procedure in a real browser: search without accents, filter by how it
is offered online (Decree 42/2022), open the detail page and download the application form."""

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from demo import catalogue as seed
from portal.models import Agency
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WANTED = {"1.010020", "2.001914", "1.005142", "2.002478"}


@pytest.fixture
def catalogue(settings, tmp_path, monkeypatch):
    """Four real procedures of the provincial department, imported and published as the demo
    seed does (with generated form PDFs)."""
    settings.MEDIA_ROOT = tmp_path
    Agency.objects.create(code="000.00.00.G03", name="Bộ GD&ĐT", level="ministry")
    Agency.objects.create(
        code="000.00.12.H26",
        name="Sở Giáo dục và Đào tạo Hà Nội",
        level="province",
        parent=Agency.objects.get(code="000.00.00.G03"),
    )
    demo = tmp_path / "demo"
    demo.mkdir()
    payload = json.loads((seed.DEMO_DIR / "province.json").read_text())
    payload["procedures"] = [p for p in payload["procedures"] if p["code"] in WANTED]
    (demo / "province.json").write_text(json.dumps(payload, ensure_ascii=False))
    monkeypatch.setattr(seed, "DEMO_DIR", Path(demo))
    admin = UserFactory(is_superuser=True, is_staff=True)
    assert seed.seed(actor=admin) == len(WANTED)


def test_search_filter_open_and_download(page, live_server, catalogue, tmp_path):
    page.goto(live_server.url)
    page.get_by_role("search").get_by_role("searchbox").fill("cap ban sao van bang")
    page.get_by_role("search").get_by_role("button", name="Tìm kiếm").click()

    results = page.locator(".procedure-item")
    expect(results).to_have_count(1)
    expect(results.first).to_contain_text("Cấp bản sao văn bằng, chứng chỉ từ sổ gốc")

    # Filter by Decree 42/2022's category: clear the words, keep only partly online services.
    page.get_by_role("searchbox").fill("")
    page.locator("summary", has_text="Bộ lọc").click()
    page.get_by_label("Dịch vụ công trực tuyến").select_option("partial")
    page.get_by_role("button", name="Áp dụng bộ lọc").click()
    expect(page).to_have_url(re.compile(r"online=partial"))
    expect(results.first).to_be_visible()
    for badge in page.locator(".procedure-item .badge").all_inner_texts():
        assert badge == "Dịch vụ công trực tuyến một phần", badge

    page.get_by_role("link", name="Chỉnh sửa nội dung văn bằng, chứng chỉ").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Chỉnh sửa nội dung văn bằng, chứng chỉ"
    )
    expect(page.get_by_role("link", name="Nộp hồ sơ trực tuyến")).to_be_visible()
    expect(page.get_by_role("heading", name="Thành phần hồ sơ")).to_be_visible()

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Tải mẫu đơn").first.click()
    download = download_info.value
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    assert download.suggested_filename.endswith(".pdf")
    assert target.read_bytes().startswith(b"%PDF")

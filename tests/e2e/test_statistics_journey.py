"""The statistics in a real browser: the public page and an agency's dashboard render their
charts and tables at desktop and phone widths, and axe finds no serious or critical problem."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from portal.models import StaffRole
from tests.e2e.conftest import ARTIFACTS, pass_second_factor
from tests.factories import PASSWORD, OfficerFactory
from tests.stats.test_indicators import data  # noqa: F401 - the hand-made data set

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MARCH = "period=custom&start=01/03/2026&end=31/03/2026"


def serious(page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])})"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("width", [1280, 360])
def test_the_public_page(browser, live_server, data, width):  # noqa: F811
    context = browser.new_context(locale="vi-VN", viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server.url}/thong-ke/?{MARCH}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Thống kê thủ tục hành chính")
    expect(
        page.get_by_role(
            "img",
            name="Hồ sơ tiếp nhận, đã giải quyết và giải quyết trước hạn, đúng hạn theo tháng",
        )
    ).to_be_visible()
    expect(page.locator("svg.chart rect")).not_to_have_count(0)
    expect(page.get_by_role("table").first).to_be_visible()
    width_used = page.evaluate("document.documentElement.scrollWidth")
    assert width_used <= width, f"{width_used}px wide on a {width}px screen"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"statistics-{width}.png"), full_page=True)
    assert serious(page) == []
    # Choosing an agency from the list shows its figures.
    page.locator("#id_agency").select_option("000.00.01.H99")
    page.get_by_role("button", name="Xem").click()
    expect(page.get_by_role("heading", level=2).first).to_contain_text(data["a"].name)
    context.close()


def test_an_agency_dashboard(browser, live_server, data):  # noqa: F811
    leader = OfficerFactory(agency=data["a"], roles=[StaffRole.Role.LEADER])
    context = browser.new_context(locale="vi-VN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server.url}/account/login/")
    page.locator("#id_username").fill(leader.email)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    pass_second_factor(page, leader)
    page.goto(f"{live_server.url}/office/")
    page.get_by_role("link", name="Thống kê").first.click()
    page.goto(f"{live_server.url}/office/statistics/?{MARCH}")
    expect(page.locator("svg.chart")).to_have_count(2)
    expect(page.get_by_role("heading", name="Cần xử lý")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "statistics-office-1280.png"), full_page=True)
    assert serious(page) == []
    context.close()

"""The reports of procedure results in a real browser (/office/statistics/reports/): a leader
signs in, opens the reports from the back-office, chooses March 2026, sees Biểu 06's table, and
asks for the signed PDF; at desktop and phone widths, with no serious or critical axe finding."""

import pytest
from playwright.sync_api import expect

from portal.models import StaffRole
from tests.e2e.conftest import ARTIFACTS, pass_second_factor
from tests.e2e.test_statistics_journey import serious
from tests.factories import PASSWORD, OfficerFactory
from tests.stats.test_reports import data  # noqa: F401 - the hand-made data set

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [1280, 360])
def test_a_leader_reads_and_asks_for_the_report(browser, live_server, data, width):  # noqa: F811
    leader = OfficerFactory(agency=data["a"], roles=[StaffRole.Role.LEADER])
    context = browser.new_context(
        locale="vi-VN", viewport={"width": width, "height": 900}, is_mobile=width < 600
    )
    page = context.new_page()
    page.goto(f"{live_server.url}/account/login/")
    page.locator("#id_username").fill(leader.email)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    pass_second_factor(page, leader)
    page.goto(f"{live_server.url}/office/")
    page.get_by_role("link", name="Báo cáo kết quả giải quyết TTHC").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Báo cáo kết quả giải quyết")
    page.locator("#id_kind").select_option("month")
    page.locator("#id_number").fill("3")
    page.locator("#id_year").fill("2026")
    page.get_by_role("button", name="Xem").click()
    expect(page.get_by_role("heading", level=2)).to_contain_text("tháng 3/2026")
    table = page.locator("table.report")
    expect(table.locator("tbody tr")).to_have_count(2)
    expect(table.locator("tfoot")).to_contain_text("12")
    width_used = page.evaluate("document.documentElement.scrollWidth")
    assert width_used <= width, f"{width_used}px wide on a {width}px screen"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"reports-{width}.png"), full_page=True)
    assert serious(page) == []
    page.get_by_role("button", name="PDF có chữ ký số").click()
    expect(page.locator(".messages")).to_contain_text("Báo cáo đang được lập")
    page.screenshot(path=str(ARTIFACTS / f"reports-{width}-asked.png"), full_page=True)
    context.close()

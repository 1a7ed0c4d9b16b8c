"""A visitor's first journey in a real browser: home, languages, register, log out, log in."""

import re

import pytest
from playwright.sync_api import expect

from portal.models import User
from tests.e2e.conftest import ARTIFACTS, finish_registration

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Hoc-sinh-2026!"


def test_home_languages_register_logout_login(page, live_server, sms_outbox):
    page.goto(live_server.url)
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Dịch vụ công trực tuyến ngành Giáo dục"
    )

    page.get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Online public services of the education sector"
    )
    page.get_by_role("link", name="Tiếng Việt").click()
    expect(page.locator("html")).to_have_attribute("lang", "vi")

    nav = page.get_by_role("navigation", name="Trình đơn chính")
    nav.get_by_role("link", name="Đăng ký").click()
    expect(page).to_have_url(re.compile(r"/account/register/$"))
    page.get_by_label("Họ và tên").fill("Phạm Minh Châu")
    page.get_by_label("Email").fill("Chau.Pham@Example.vn")
    page.get_by_label("Số điện thoại").fill("0987654321")
    page.get_by_label("Số định danh cá nhân").fill("001305012345")
    page.get_by_label("Ngày sinh").fill("2005-03-09")
    page.locator("#id_password1").fill(PASSWORD)
    page.get_by_label("Nhập lại mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Tạo tài khoản").click()
    # Nothing is made until the link mailed to the address is opened and confirmed.
    assert not User.objects.filter(email="chau.pham@example.vn").exists()
    finish_registration(page, live_server, sms_outbox, "chau.pham@example.vn")

    expect(page.get_by_role("status")).to_contain_text("Số điện thoại của bạn đã được xác nhận")
    expect(page.get_by_role("link", name="Phạm Minh Châu")).to_be_visible()
    user = User.objects.get(email="chau.pham@example.vn")
    assert user.citizen_id == "001305012345"
    assert user.check_password(PASSWORD)
    assert user.email_confirmed_at and user.phone_confirmed_at

    page.get_by_role("button", name="Đăng xuất").click()
    expect(nav.get_by_role("link", name="Đăng nhập")).to_be_visible()
    expect(page.get_by_role("link", name="Phạm Minh Châu")).to_have_count(0)

    nav.get_by_role("link", name="Đăng nhập").click()
    page.get_by_label("Email").fill("chau.pham@example.vn")
    page.get_by_label("Mật khẩu").fill("wrong password")
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("alert")).to_be_visible()
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("link", name="Phạm Minh Châu")).to_be_visible()


def test_registration_errors_show_on_the_field_in_the_browser(page, live_server):
    page.goto(live_server.url + "/account/register/")
    page.get_by_label("Họ và tên").fill("Lê Thu")
    page.get_by_label("Email").fill("thu@example.vn")
    page.get_by_label("Số định danh cá nhân").fill("003190012345")  # 003 is no province
    page.locator("#id_password1").fill("12345678")
    page.get_by_label("Nhập lại mật khẩu").fill("12345678")
    page.get_by_role("button", name="Tạo tài khoản").click()

    citizen_field = page.locator(".field", has=page.locator("#id_citizen_id"))
    expect(citizen_field.locator(".field-errors")).to_contain_text("mã tỉnh")
    password_field = page.locator(".field", has=page.locator("#id_password1"))
    expect(password_field.locator(".field-errors")).not_to_be_empty()
    expect(page.locator("#id_full_name")).to_have_value("Lê Thu")  # what was typed is kept
    assert not User.objects.filter(email="thu@example.vn").exists()


def test_phone_layout_has_no_sideways_scroll_and_a_working_menu(phone, live_server):
    for path in ("/", "/account/register/", "/account/login/"):
        phone.goto(live_server.url + path)
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"{path} is {width}px wide on a 360px screen"

    phone.goto(live_server.url)
    login_link = phone.get_by_role("link", name="Đăng nhập", exact=True).first
    toggle = phone.get_by_role("button", name="Menu")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(phone.locator("#site-nav")).to_be_hidden()
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(phone.locator("#site-nav")).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    phone.screenshot(path=str(ARTIFACTS / "home-phone-360.png"), full_page=True)
    login_link.click()
    expect(phone).to_have_url(re.compile(r"/account/login/"))


def test_keyboard_user_can_skip_to_content(page, live_server):
    page.goto(live_server.url)
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Bỏ qua, đến nội dung chính")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main#content")).to_be_focused()

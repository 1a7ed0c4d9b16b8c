"""A staff member's first sign-in (issue 18): the password, then the enrolment page — the QR
code and the secret in text —, one code from the app, and the recovery codes; the back-office
opens. Also looked at: the pages at a desktop's and a phone's width (test-artifacts/)."""

import base64
import re

import pytest
from django_otp.oath import totp
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS
from tests.factories import PASSWORD, OfficerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [1280, 390])
def test_enrol_the_authenticator_app_and_see_the_recovery_codes(
    browser, live_server, agency, width
):
    officer = OfficerFactory(agency=agency, roles=["desk"], email=f"motcua{width}@so.example.vn")
    context = browser.new_context(
        locale="vi-VN", viewport={"width": width, "height": 900}, is_mobile=width < 500
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(f"{live_server.url}/account/login/?next=/office/")
        page.locator("#id_username").fill(officer.email)
        page.locator("#id_password").fill(PASSWORD)
        page.locator("main form button[type=submit]").click()

        expect(page).to_have_url(re.compile(r"/account/second-factor/setup/\?next=%2Foffice%2F$"))
        expect(page.locator(".qr-code svg")).to_be_visible()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"second-factor-setup-{width}.png"), full_page=True)
        # Scan-free: the secret as the page writes it, typed into an "app".
        secret = page.locator("#totp-secret").inner_text().replace(" ", "")
        key = base64.b32decode(secret + "=" * (-len(secret) % 8))
        page.locator("#id_code").fill(f"{totp(key):06d}")
        page.locator("#second-factor-setup button[type=submit]").click()

        codes = page.locator("#recovery-codes li")
        expect(codes).to_have_count(10)
        for text in codes.all_inner_texts():
            assert re.fullmatch(r"[a-z2-7]{4}-[a-z2-7]{4}", text), text
        page.screenshot(path=str(ARTIFACTS / f"second-factor-codes-{width}.png"), full_page=True)
        page.locator("main a.button").click()
        expect(page).to_have_url(f"{live_server.url}/office/")
        expect(page.locator("main h1")).to_be_visible()
        # The code page of the next sign-in, looked at too.
        context.clear_cookies()  # signed out
        page.goto(f"{live_server.url}/account/login/?next=/office/")
        page.locator("#id_username").fill(officer.email)
        page.locator("#id_password").fill(PASSWORD)
        page.locator("main form button[type=submit]").click()
        expect(page).to_have_url(re.compile(r"/account/second-factor/\?next=/office/$"))
        page.screenshot(path=str(ARTIFACTS / f"second-factor-verify-{width}.png"), full_page=True)
    finally:
        context.close()

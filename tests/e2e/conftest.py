import os
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def chromium_path() -> str:
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
    assert Path(path).exists(), (
        f"Chromium not found at {path}: `make test` installs Debian's chromium package"
    )
    return path


@pytest.fixture(scope="module")
def browser():
    """Per module: Playwright's sync API keeps an asyncio loop running in this thread while it
    is open, and pyHanko (signing, verification) needs a thread without one."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, request):
    context = browser.new_context(locale="vi-VN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


@pytest.fixture
def phone(browser, request):
    """A 360 px wide phone screen."""
    context = browser.new_context(
        locale="vi-VN", viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


def pass_second_factor(page, user) -> None:
    """A staff member just past the password: the code page, answered with the code of their
    authenticator app (one is made if they have none), as they would from their phone."""
    import re
    import time

    from django_otp.plugins.otp_totp.models import TOTPDevice
    from playwright.sync_api import expect

    from tests.factories import TOTPDeviceFactory, totp_code

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDeviceFactory(
        user=user
    )
    expect(page).to_have_url(re.compile(r"/account/second-factor/"))
    if "/setup/" in page.url:  # the app was made just now: the setup page sends on to the code
        page.reload()
        expect(page.locator("#second-factor-form")).to_be_visible()
    while int(time.time()) // device.step <= device.last_t:  # this step's code is used up
        time.sleep(1)
    page.locator("#id_code").fill(totp_code(device))
    page.locator("#second-factor-form button[type=submit]").click()
    expect(page).not_to_have_url(re.compile(r"/account/second-factor/"))


@pytest.fixture
def sms_outbox(settings):
    """The SMS the portal sends (portal.sms.MemoryBackend), newest last."""
    from portal import sms

    settings.SMS_BACKEND = "portal.sms.MemoryBackend"
    sms.MemoryBackend.outbox.clear()
    yield sms.MemoryBackend.outbox
    sms.MemoryBackend.outbox.clear()


def finish_registration(page, live_server, sms_outbox, email: str) -> None:
    """After the registration form: open the link mailed to `email` and create the account,
    then, when the form gave a phone, type the code sent to it (portal.registration)."""
    import re as _re

    from django.core import mail
    from playwright.sync_api import expect

    expect(page.get_by_role("heading", level=1)).to_have_text("Kiểm tra hộp thư")
    [message] = [m for m in mail.outbox if m.to == [email]]
    path = _re.sub(r"^https?://[^/]+", "", _re.search(r"https?://\S+", message.body).group(0))
    page.goto(live_server.url + path)
    page.get_by_role("button", name="Tạo tài khoản của tôi").click()
    if sms_outbox:
        code = _re.search(r"\b(\d{6})\b", sms_outbox[-1][1]).group(1)
        page.get_by_label("Mã trong tin nhắn SMS").fill(code)
        page.get_by_role("button", name="Xác nhận", exact=True).click()

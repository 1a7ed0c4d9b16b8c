"""A procedure that takes dossiers in fixed periods (issue 15, item 5), in a real browser: outside
its windows its page says filing is closed and when the next window opens, offers no "File
online", and the filing page itself refuses with the same date, for a signed-in citizen as for
anyone following an old link."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from procedures.models import FilingWindow
from tests.factories import PASSWORD, CitizenFactory, ProcedureVersionFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def registration():
    """Registration for the graduation exam: last window over, the next in a month."""
    version = ProcedureVersionFactory(
        published=True, level3=True, name="Đăng ký dự thi tốt nghiệp trung học phổ thông"
    )
    now = timezone.now()
    FilingWindow.objects.create(
        procedure=version.procedure,
        name="Đăng ký dự thi năm 2026",
        opens_at=now - dt.timedelta(days=200),
        closes_at=now - dt.timedelta(days=190),
    )
    upcoming = FilingWindow.objects.create(
        procedure=version.procedure,
        name="Đăng ký dự thi năm 2027",
        opens_at=(now + dt.timedelta(days=30)).replace(hour=1, minute=0, second=0, microsecond=0),
        closes_at=now + dt.timedelta(days=40),
    )
    return version, timezone.localtime(upcoming.opens_at).strftime("%H:%M %d/%m/%Y")


def test_outside_its_window_the_procedure_says_when_filing_opens(page, live_server, registration):
    version, opens = registration
    page.goto(f"{live_server.url}/procedures/{version.procedure.service_code}/")
    notice = page.locator("#filing-window")
    expect(notice).to_contain_text("Đã hết hạn nộp hồ sơ.")
    expect(notice).to_contain_text(f"Đợt tiếp theo (Đăng ký dự thi năm 2027) mở lúc {opens}")
    expect(
        page.locator(f'a[href="/procedures/{version.procedure.service_code}/file/"]')
    ).to_have_count(0)

    # An old link to the filing page, signed in: refused with the same date, no way to start.
    citizen = CitizenFactory()
    page.goto(f"{live_server.url}/account/login/")
    page.locator("#id_username").fill(citizen.email)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form button[type=submit]").first.click()
    page.goto(f"{live_server.url}/procedures/{version.procedure.service_code}/file/")
    expect(page.locator("#window-closed")).to_contain_text(
        f"Đã hết thời gian nộp hồ sơ thủ tục này. Đợt tiếp theo (Đăng ký dự thi năm 2027) mở lúc "
        f"{opens}."
    )
    expect(page.get_by_role("button", name="Lập hồ sơ mới")).to_have_count(0)
    assert not citizen.dossiers.exists()

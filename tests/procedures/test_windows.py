"""Filing windows (issue 15, item 5): a procedure that runs in fixed periods (exam registration,
admissions, re-marking "within N days of the results") takes dossiers only while a window is open,
online, through the API and at the desk; outside, the page and every refusal say when the next
one opens; a time limit the law counts from a window's close is counted from it. A window that
closes before it opens, or overlaps another, is refused with a clear message and nothing saved."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from office import services as workflow
from office.intake import Received, dossier_intake
from procedures.models import FilingWindow
from submissions import services
from submissions.models import IntakeChannel, IntakeComponent
from tests.factories import CitizenFactory, DossierFactory, OfficerFactory, ProcedureVersionFactory
from tests.office.test_intake import APPLICANT, scan

pytestmark = pytest.mark.django_db
VN = ZoneInfo("Asia/Ho_Chi_Minh")


def at(year, month, day, hour=0, minute=0):
    return dt.datetime(year, month, day, hour, minute, tzinfo=VN)


@pytest.fixture
def remarking(agency):
    """Re-marking of the graduation exam: windows in July; resolved 5 working days after the
    window closes, whenever the request came in."""
    version = ProcedureVersionFactory(
        published=True,
        level3=True,
        procedure__agency=agency,
        time_from_window_close=True,
        channels=[{}, {"online": True, "fee_vnd": 0, "time_amount": Decimal("5")}],
        documents=[{"name": "Đơn phúc khảo", "required": True}],
    )
    FilingWindow.objects.create(
        procedure=version.procedure,
        name="Phúc khảo năm 2026",
        opens_at=at(2026, 7, 13, 8),
        closes_at=at(2026, 7, 22, 17),
    )
    FilingWindow.objects.create(
        procedure=version.procedure,
        name="Phúc khảo năm 2027",
        opens_at=at(2027, 7, 12, 8),
        closes_at=at(2027, 7, 21, 17),
    )
    return version


CLOSED = (
    "Đã hết thời gian nộp hồ sơ thủ tục này. Đợt tiếp theo (Phúc khảo năm 2027) mở lúc "
    "08:00 12/07/2027."
)


def test_outside_its_windows_filing_is_refused_with_the_next_opening(client, remarking):
    citizen = CitizenFactory()
    with time_machine.travel(at(2026, 12, 7, 10), tick=False):
        with pytest.raises(ValidationError) as refused:
            services.dossier_start(version=remarking, applicant=citizen)
        assert refused.value.messages == [CLOSED]
        page = client.get(
            reverse("procedures:detail", args=[remarking.procedure.service_code])
        ).content.decode()
        assert "Đã hết hạn nộp hồ sơ." in page and "08:00 12/07/2027" in page
        assert reverse("procedures:file", args=[remarking.procedure.service_code]) not in page
        # The API answers the same refusal.
        client.force_login(citizen)
        response = client.post(
            reverse("api-dossiers"),
            {"procedure": remarking.procedure.service_code},
            content_type="application/json",
        )
        assert response.status_code == 400
        assert CLOSED in response.content.decode()
    assert not citizen.dossiers.exists()


def test_inside_a_window_filing_is_open_and_a_draft_kept_past_its_close_is_refused(remarking):
    citizen = CitizenFactory()
    with time_machine.travel(at(2026, 7, 20, 10), tick=False):
        dossier = DossierFactory(version=remarking, applicant=citizen, complete=True)
    with time_machine.travel(at(2026, 7, 23, 9), tick=False), pytest.raises(ValidationError) as e:
        services.dossier_submit(dossier=dossier, actor=citizen)
    refused = e
    assert refused.value.messages == [CLOSED]
    dossier.refresh_from_db()
    assert dossier.state == "draft" and dossier.code is None


def test_the_time_limit_runs_from_the_window_s_close(remarking, agency):
    desk = OfficerFactory(agency=agency, roles=["desk"])
    with time_machine.travel(at(2026, 7, 14, 10), tick=False):
        dossier = DossierFactory(version=remarking, submitted=True)
        workflow.dossier_accept(dossier=dossier, actor=desk)
    dossier.refresh_from_db()
    # Closes Wed 22/7 17:00; five whole working days after it: Thu 23 … Wed 29/7, 17:00.
    assert dossier.due_at == at(2026, 7, 29, 17)


def test_the_desk_cannot_take_one_in_outside_its_windows(remarking, agency):
    desk = OfficerFactory(agency=agency, roles=["desk"])
    [document] = remarking.documents.all()
    with time_machine.travel(at(2026, 12, 7, 10), tick=False), pytest.raises(ValidationError) as e:
        dossier_intake(
            actor=desk,
            version=remarking,
            channel=IntakeChannel.IN_PERSON,
            applicant=APPLICANT,
            components=[Received(document.pk, IntakeComponent.Form.ORIGINAL, files=[scan()])],
            intake_key="closed-1",
        )
    assert e.value.message_dict == {"procedure": [CLOSED]}


def test_a_window_that_closes_before_it_opens_is_refused(remarking):
    window = FilingWindow(
        procedure=remarking.procedure,
        name="Sai",
        opens_at=at(2028, 7, 20, 8),
        closes_at=at(2028, 7, 10, 17),
    )
    with pytest.raises(ValidationError) as refused:
        window.full_clean()
    assert refused.value.message_dict == {
        "closes_at": ["Thời điểm kết thúc phải sau thời điểm mở."]
    }
    with pytest.raises(IntegrityError), transaction.atomic():
        window.save()  # the database refuses it too
    assert FilingWindow.objects.count() == 2


def test_overlapping_windows_are_refused(remarking):
    window = FilingWindow(
        procedure=remarking.procedure,
        name="Bổ sung",
        opens_at=at(2026, 7, 20, 8),
        closes_at=at(2026, 7, 30, 17),
    )
    with pytest.raises(ValidationError) as refused:
        window.full_clean()
    assert refused.value.messages == [
        "Đợt này trùng thời gian với “Phúc khảo năm 2026” (08:00 13/07/2026 – 17:00 22/07/2026)."
    ]


def test_the_admin_refuses_overlapping_windows_and_saves_nothing(client, remarking, superuser):
    procedure = remarking.procedure
    client.force_login(superuser)
    url = reverse("admin:procedures_procedure_change", args=[procedure.pk])
    page = client.get(url)
    assert page.status_code == 200
    data = {
        "code": procedure.code,
        "agency": procedure.agency_id,
        "windows-TOTAL_FORMS": 2,
        "windows-INITIAL_FORMS": 0,
        "windows-0-name": "Đợt 1",
        "windows-0-opens_at_0": "01/08/2028",
        "windows-0-opens_at_1": "08:00",
        "windows-0-closes_at_0": "10/08/2028",
        "windows-0-closes_at_1": "17:00",
        "windows-1-name": "Đợt 2",
        "windows-1-opens_at_0": "05/08/2028",
        "windows-1-opens_at_1": "08:00",
        "windows-1-closes_at_0": "15/08/2028",
        "windows-1-closes_at_1": "17:00",
        "versions-TOTAL_FORMS": 0,
        "versions-INITIAL_FORMS": 0,
    }
    # Dates typed day first, as a Vietnamese administrator types them.
    response = client.post(url, data)
    assert response.status_code == 200
    assert "Các đợt “Đợt 1” và “Đợt 2” trùng thời gian." in response.content.decode()
    assert FilingWindow.objects.filter(procedure=procedure).count() == 2  # nothing saved
    data["windows-1-opens_at_0"] = "11/08/2028"
    assert client.post(url, data).status_code == 302
    added = FilingWindow.objects.filter(procedure=procedure).order_by("opens_at")
    assert [timezone.localtime(w.opens_at).date() for w in added][2:] == [
        dt.date(2028, 8, 1),
        dt.date(2028, 8, 11),
    ]


def test_an_agency_administrator_keeps_its_procedures_windows(client, remarking, agency_admin):
    """Found in review: without the permission only superusers could open or close windows."""
    assert agency_admin.has_perm("procedures.add_filingwindow")
    assert agency_admin.has_perm("procedures.change_filingwindow")
    client.force_login(agency_admin)
    procedure = remarking.procedure
    url = reverse("admin:procedures_procedure_change", args=[procedure.pk])
    page = client.get(url).content.decode()
    assert 'name="windows-TOTAL_FORMS"' in page


def test_windows_moved_together_in_one_save_are_accepted(client, remarking, superuser):
    """Found in review: moving 2026's window onto 2027's dates and 2027's on a year in one save
    was refused as an overlap with the stored rows."""
    procedure = remarking.procedure
    first, second = procedure.windows.order_by("opens_at")
    client.force_login(superuser)
    url = reverse("admin:procedures_procedure_change", args=[procedure.pk])
    data = {
        "code": procedure.code,
        "agency": procedure.agency_id,
        "windows-TOTAL_FORMS": 2,
        "windows-INITIAL_FORMS": 2,
        "windows-0-id": first.pk,
        "windows-0-procedure": procedure.pk,
        "windows-0-name": first.name,
        "windows-0-opens_at_0": "12/07/2027",
        "windows-0-opens_at_1": "08:00",
        "windows-0-closes_at_0": "21/07/2027",
        "windows-0-closes_at_1": "17:00",
        "windows-1-id": second.pk,
        "windows-1-procedure": procedure.pk,
        "windows-1-name": second.name,
        "windows-1-opens_at_0": "10/07/2028",
        "windows-1-opens_at_1": "08:00",
        "windows-1-closes_at_0": "19/07/2028",
        "windows-1-closes_at_1": "17:00",
        "versions-TOTAL_FORMS": 0,
        "versions-INITIAL_FORMS": 0,
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:500]
    first.refresh_from_db()
    assert timezone.localtime(first.opens_at) == at(2027, 7, 12, 8)

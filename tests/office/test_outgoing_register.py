"""The register of outgoing documents in the back-office: the page, its XLSX and the API show
an agency's own numbers to its officers, and nothing to anyone else."""

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from signing.models import Document, NumberEntry, Series
from tests.factories import CitizenFactory, OfficerFactory

pytestmark = pytest.mark.django_db

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
PAGE = "office:outgoing"
API = "api-office-outgoing"


def entry(agency, sequence, *, series=Series.DECISION, day=(2026, 3, 2), summary="", ref=""):
    year = day[0]
    number = f"{sequence:02d}/{'QĐ' if series == Series.DECISION else 'TB'}-SGDĐT"
    document = Document.objects.create(
        kind="result",
        title=summary or f"Quyết định số {sequence}",
        template="documents/form.html",
        agency=agency,
        key=f"{agency.pk}:{series}:{year}:{sequence}",
        series=series,
        number=number,
        status=Document.Status.SIGNED,
    )
    return NumberEntry.objects.create(
        agency=agency,
        year=year,
        series=series,
        sequence=sequence,
        number=number,
        document=document,
        issued_at=dt.datetime(*day, 9, sequence % 60, tzinfo=VIETNAM),
        summary=document.title,
        recipient="Nguyễn Văn Ánh",
        reference=ref,
        signer="Sở Giáo dục và Đào tạo Hà Nội",
    )


@pytest.fixture
def register(agency, other_agency):
    entries = [
        entry(agency, 1, day=(2025, 12, 30), ref="000.00.12.H26-251230-0001"),
        entry(agency, 1, day=(2026, 1, 5), ref="000.00.12.H26-260105-0007"),
        entry(agency, 2, day=(2026, 2, 10), summary="Cấp bản sao văn bằng tốt nghiệp"),
        entry(agency, 1, series=Series.NOTICE, day=(2026, 2, 11)),
    ]
    entry(other_agency, 9, day=(2026, 2, 10), summary="Của Hải Phòng")
    return entries


@pytest.fixture
def desk(agency):
    return OfficerFactory(agency=agency, roles=["desk"], language="en")


def numbers(response) -> list[str]:
    return [e.number for e in response.context["page"].object_list]


def test_officers_see_their_agencys_register_newest_first(client, desk, register):
    client.force_login(desk)
    response = client.get(reverse(PAGE))
    assert response.status_code == 200
    assert numbers(response) == ["01/TB-SGDĐT", "02/QĐ-SGDĐT", "01/QĐ-SGDĐT", "01/QĐ-SGDĐT"]
    body = response.content.decode()
    assert "Của Hải Phòng" not in body
    code = register[2].document.verification_code
    assert reverse("signing:verify", args=[code]) in body
    assert reverse("signing:download", args=[code]) in body
    queue = client.get(reverse("office:queue")).content.decode()
    assert reverse(PAGE) in queue  # linked beside the other register


def test_filters_and_search(client, desk, register):
    client.force_login(desk)

    def get(**params):
        response = client.get(reverse(PAGE), params)
        assert response.status_code == 200, response.content
        return numbers(response)

    assert get(year="2025") == ["01/QĐ-SGDĐT"]
    assert get(year="2026", series="decision") == ["02/QĐ-SGDĐT", "01/QĐ-SGDĐT"]
    assert get(series="notice") == ["01/TB-SGDĐT"]
    assert get(start="2026-01-05", end="2026-02-10") == ["02/QĐ-SGDĐT", "01/QĐ-SGDĐT"]
    assert get(q="260105") == ["01/QĐ-SGDĐT"]  # a dossier code
    assert get(q="văn bằng") == ["02/QĐ-SGDĐT"]  # the summary
    assert get(q="TB-") == ["01/TB-SGDĐT"]  # the number


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"year": "abc"}, "Enter a year, for example 2026."),
        (
            {"start": "2026-02-10", "end": "2026-01-05"},
            "The end of the period is before its start.",
        ),
        ({"start": "10/02/2026x"}, "Enter a valid date."),
        ({"series": "nope"}, "Select a valid choice."),
    ],
)
def test_bad_filters_are_explained_not_a_server_error(client, desk, register, params, message):
    client.force_login(desk)
    response = client.get(reverse(PAGE), params)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert "page" not in response.context


def test_in_vietnamese_the_messages_are_vietnamese(client, desk, register):
    desk.language = "vi"
    desk.save(update_fields=["language"])
    client.force_login(desk)
    response = client.get(reverse(PAGE), {"start": "2026-02-10", "end": "2026-01-05"})
    assert response.status_code == 400
    assert "The end of the period is before its start." not in response.content.decode()


def test_nobody_else_sees_an_agencys_register(client, register, other_agency):
    response = client.get(reverse(PAGE))
    assert response.status_code == 302  # to the login page
    assert "login" in response["Location"]
    client.force_login(CitizenFactory())
    assert client.get(reverse(PAGE)).status_code == 404  # as every back-office page
    # Another agency's officer sees their own register only, never this one's.
    client.force_login(OfficerFactory(agency=other_agency, roles=["leader"]))
    response = client.get(reverse(PAGE))
    assert response.status_code == 200
    assert numbers(response) == ["09/QĐ-SGDĐT"]


def test_the_xlsx_has_every_line_and_keeps_a_formula_as_text(client, desk, agency):
    from openpyxl import load_workbook

    entry(agency, 1, summary='=HYPERLINK("http://evil.example","bấm")')
    for sequence in range(2, 40):
        entry(agency, sequence)
    client.force_login(desk)
    response = client.get(reverse(PAGE), {"format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][0] == "Số, ký hiệu văn bản"
    assert len(rows) == 2 + 39  # a title, the headings, every line (more than a page)
    cell = next(c for row in sheet.iter_rows() for c in row if str(c.value).startswith("="))
    assert cell.data_type == "s"  # text, not a formula


# --- the API ------------------------------------------------------------------------------------


def test_the_api_gives_the_same_lines_with_the_same_filters(desk, register):
    api = APIClient()
    api.force_authenticate(desk)
    response = api.get(reverse(API), {"year": "2026", "series": "decision"})
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["number"] for r in results] == ["02/QĐ-SGDĐT", "01/QĐ-SGDĐT"]
    assert results[1]["dossier_code"] == "000.00.12.H26-260105-0007"
    assert results[1]["status"] == "signed"
    assert results[1]["verify_url"].endswith(
        reverse("signing:verify", args=[register[1].document.verification_code])
    )
    assert api.get(reverse(API), {"q": "văn bằng"}).json()["count"] == 1


def test_the_api_explains_bad_filters(desk, register):
    api = APIClient()
    api.force_authenticate(desk)
    response = api.get(reverse(API), {"year": "abc"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "Enter a year, for example 2026." in str(response.json())
    response = api.get(reverse(API), {"start": "2026-02-10", "end": "2026-01-05"})
    assert response.status_code == 400
    # In Vietnamese, the default language, as the page's message.
    assert response.json() == {"end": ["Ngày kết thúc trước ngày bắt đầu."]}


def test_the_api_shows_nothing_to_anyone_else(register, other_agency):
    api = APIClient()
    assert api.get(reverse(API)).status_code in (401, 403)
    api.force_authenticate(CitizenFactory())
    assert api.get(reverse(API)).status_code == 404
    api.force_authenticate(OfficerFactory(agency=other_agency, roles=["desk"]))
    assert [r["number"] for r in api.get(reverse(API)).json()["results"]] == ["09/QĐ-SGDĐT"]


def test_which_papers_are_numbered_in_which_series():
    from types import SimpleNamespace

    from office.slips import series_for
    from submissions.models import Decision, DocumentKind

    approved, denied = (
        SimpleNamespace(decision=Decision.GRANT),
        SimpleNamespace(decision=Decision.DENY),
    )
    assert series_for(DocumentKind.RESULT, approved) == Series.DECISION
    assert series_for(DocumentKind.RESULT, denied) == Series.NOTICE
    assert series_for(DocumentKind.STOP_NOTICE, approved) == Series.NOTICE
    # A result written from a template is numbered as what the template is (issue 16 item 3).
    for template_kind, series in (
        ("decision", Series.DECISION),
        ("certificate", Series.CERTIFICATE),
        ("confirmation", Series.CONFIRMATION),
        ("refusal", Series.NOTICE),
    ):
        assert series_for(DocumentKind.RESULT, approved, template_kind=template_kind) == series
    for kind in (DocumentKind.RECEIPT, DocumentKind.SUPPLEMENT, DocumentKind.REFUSAL):
        assert series_for(kind, approved) == Series.SLIP
    for kind in (DocumentKind.REGISTER, DocumentKind.CONTROL_SHEET, DocumentKind.FEE_RECEIPT):
        assert series_for(kind, approved) == ""


def test_the_page_costs_the_same_queries_for_a_full_page(client, desk, agency):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(desk)
    entry(agency, 1)
    with CaptureQueriesContext(connection) as one:
        client.get(reverse(PAGE))
    for sequence in range(2, 31):
        entry(agency, sequence)
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse(PAGE))
    assert len(numbers(response)) == 25
    assert len(many) == len(one)


def test_the_spreadsheet_names_every_status_a_numbered_document_can_be_in():
    """A result waiting for the leader's signature is numbered already (issue 16): the export
    must not fail on it, nor on any other status."""
    from office.outgoing import STATUS_VI

    assert set(STATUS_VI) == set(Document.Status.values)

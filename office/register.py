"""The register of dossiers (Sổ theo dõi hồ sơ, Mẫu 06, Circular 01/2018/TT-VPCP): its lines, as
a spreadsheet at once, and as a signed PDF rendered by the worker. The document is in Vietnamese
whatever the reader's language."""

import datetime as dt
import io

from django.db.models import QuerySet
from django.http import FileResponse
from django.utils import timezone

from office.slips import CHANNEL_VI
from portal.spreadsheets import text_cells
from signing import services as signing
from signing.models import Document
from submissions.models import DocumentKind, FilerRole, State

HEADINGS = [
    "Mã hồ sơ",
    "Thủ tục hành chính",
    "Người nộp, liên hệ",
    "Hình thức nộp",
    "Ngày tiếp nhận",
    "Hẹn trả",
    "Liên thông",
    "Ngày có kết quả",
    "Ngày trả",
    "Trạng thái",
]
# The signed PDF carries at most this many lines (a longer period: the spreadsheet).
PDF_MAX_ROWS = 5000


def _for_whom(row: dict) -> str:
    if row["filer_role"] == FilerRole.ORGANISATION:
        return f"\ncho: {row['org_name']} (MST {row['org_tax_code']})"
    if row["subject_name"]:
        return f"\ncho: {row['subject_name']}"
    return ""


def _handoffs(row: dict, day) -> str:
    """Liên thông: the other body (the resolving agency in a centre's register, the receiving
    centre in an agency's) and the dates the dossier and its result were handed over."""
    if not row["other_body"]:
        return ""
    text = row["other_body"]
    if row["transferred_at"]:
        text += f"\nchuyển xử lý: {day(row['transferred_at'])}"
    if row["result_transferred_at"]:
        text += f"\nnhận kết quả: {day(row['result_transferred_at'])}"
    return text


def line(row: dict) -> list[str]:
    """One line of the register from a row of office.selectors.register_rows."""
    zone = timezone.get_current_timezone()

    def day(value):
        return value.astimezone(zone).strftime("%d/%m/%Y %H:%M") if value else ""

    return [
        row["code"] or "",
        row["procedure_name"],
        f"{row['applicant_name']}, {row['applicant_phone']}" + _for_whom(row),
        CHANNEL_VI[row["channel"]],
        day(row["received_at"] or row["submitted_at"]),
        day(row["due_at"]),
        _handoffs(row, day),
        day(row["resolved_at"]),
        day(row["returned_at"])
        + (f"\n{row['post_service']}: {row['post_tracking']}" if row["post_tracking"] else ""),
        str(State(row["state"]).label),
    ]


def xlsx_response(rows: QuerySet, start: dt.date, end: dt.date) -> FileResponse:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("So theo doi")
    sheet.append([f"SỔ THEO DÕI HỒ SƠ (Mẫu số 06) từ {start:%d/%m/%Y} đến {end:%d/%m/%Y}"])
    sheet.append(HEADINGS)
    for row in rows.iterator(chunk_size=2000):
        sheet.append(text_cells(sheet, line(row)))  # a typed formula stays text
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return FileResponse(
        buffer,
        as_attachment=True,
        filename=f"so-theo-doi-ho-so-{start}-{end}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def pdf_request(*, agency, actor, rows: QuerySet, start: dt.date, end: dt.date) -> Document:
    """Ask the worker for the register of the period as a signed PDF (a new revision each
    time: the register of a period changes as dossiers move)."""
    revision = Document.objects.filter(agency=agency, kind=DocumentKind.REGISTER).count() + 1
    return signing.document_request(
        kind=DocumentKind.REGISTER,
        title=f"SỔ THEO DÕI HỒ SƠ từ {start:%d/%m/%Y} đến {end:%d/%m/%Y}",
        template="documents/form.html",
        context={
            "form_number": "Mẫu số 06",
            # Nine columns: a portrait A4 would push the last ones off the page.
            "landscape": True,
            "headings": HEADINGS,
            "rows": [line(row) for row in rows[:PDF_MAX_ROWS]],
        },
        agency=agency,
        revision=revision,
        paper="A4",
        actor=actor,
    )


def document_for(*, agency_id: int, document_id) -> Document | None:
    """A register PDF of the officer's own agency (the page's `doc` parameter)."""
    try:
        document_id = int(document_id or 0)
    except (TypeError, ValueError):
        return None
    return Document.objects.filter(
        pk=document_id, agency_id=agency_id, kind=DocumentKind.REGISTER
    ).first()

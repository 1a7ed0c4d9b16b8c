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

# Mẫu 06's columns after its TT (line number), which the PDF and the spreadsheet add.
HEADINGS = [
    "Mã hồ sơ",
    "Tên thủ tục hành chính",
    "Số lượng hồ sơ (bộ)",
    "Tên cá nhân, tổ chức",
    "Địa chỉ, số điện thoại",
    "Cơ quan chủ trì giải quyết",
    "Nhận hồ sơ",
    "Hẹn trả kết quả",
    "Chuyển hồ sơ đến cơ quan giải quyết",
    "Nhận kết quả từ cơ quan giải quyết",
    "Trả kết quả cho cá nhân, tổ chức",
    "Ghi chú",
]


def _for_whom(row: dict) -> str:
    if row["filer_role"] == FilerRole.ORGANISATION:
        return f"\ncho: {row['org_name']} (MST {row['org_tax_code']})"
    if row["subject_name"]:
        return f"\ncho: {row['subject_name']}"
    return ""


def line(row: dict) -> list[str]:
    """One line of the register from a row of office.selectors.register_rows: Mẫu 06's columns
    (Circular 01/2018/TT-VPCP) — the lead agency, and for a dossier that went between a
    centre and the agency (liên thông) the dates it was handed over and its result came back."""
    zone = timezone.get_current_timezone()

    def day(value):
        return value.astimezone(zone).strftime("%d/%m/%Y\n%H:%M") if value else ""

    note = f"{State(row['state']).label}; {CHANNEL_VI[row['channel']].lower()}"
    if row["other_body"]:  # liên thông: the body the dossier went between
        note += f"; liên thông: {row['other_body']}"
    return [
        row["code"] or "",
        row["procedure_name"],
        str(row["sets"] or 1),
        row["applicant_name"] + _for_whom(row),
        ", ".join(part for part in (row["applicant_address"], row["applicant_phone"]) if part),
        row["lead_agency"],
        day(row["received_at"] or row["submitted_at"]),
        day(row["due_at"]),
        day(row["transferred_at"]),
        day(row["result_transferred_at"]),
        day(row["returned_at"])
        + (f"\n{row['post_service']}: {row['post_tracking']}" if row["post_tracking"] else ""),
        note,
    ]


def xlsx_response(rows: QuerySet, start: dt.date, end: dt.date) -> FileResponse:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("So theo doi")
    sheet.append([f"SỔ THEO DÕI HỒ SƠ (Mẫu số 06) từ {start:%d/%m/%Y} đến {end:%d/%m/%Y}"])
    sheet.append(["TT", *HEADINGS])
    for number, row in enumerate(rows.iterator(chunk_size=2000), start=1):
        sheet.append(text_cells(sheet, [number, *line(row)]))  # a typed formula stays text
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return FileResponse(
        buffer,
        as_attachment=True,
        filename=f"so-theo-doi-ho-so-{start}-{end}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def pdf_request(*, agency, actor, start: dt.date, end: dt.date) -> Document:
    """Ask the worker for the register of the period as a signed PDF (a new revision each
    time: the register of a period changes as dossiers move). Its lines are read when it is
    rendered (`document_lines`), any number of them."""
    revision = Document.objects.filter(agency=agency, kind=DocumentKind.REGISTER).count() + 1
    return signing.document_request(
        kind=DocumentKind.REGISTER,
        title=f"SỔ THEO DÕI HỒ SƠ từ {start:%d/%m/%Y} đến {end:%d/%m/%Y}",
        template="documents/register.html",
        context=pdf_context(start=start, end=end, actor=actor),
        agency=agency,
        revision=revision,
        paper="A4",
        actor=actor,
    )


def pdf_context(*, start: dt.date, end: dt.date, actor) -> dict:
    return {
        "form_number": "Mẫu số 06",
        "heading": "SỔ THEO DÕI HỒ SƠ",
        "landscape": True,
        "unnumbered": True,  # a register is a book, not an outgoing document
        "start": f"{start:%d/%m/%Y}",
        "end": f"{end:%d/%m/%Y}",
        "period": [start.isoformat(), end.isoformat()],
        "column_numbers": list(range(1, 14)),
        "signature": {"authority": ["NGƯỜI LẬP SỔ"], "name": actor.full_name if actor else ""},
    }


def document_lines(document: Document):
    """The register's lines, read from the database as the worker renders it."""
    from office.selectors import register_rows

    start, end = (dt.date.fromisoformat(day) for day in document.context["period"])
    rows = register_rows(agency=document.agency, start=start, end=end)
    return (line(row) for row in rows.iterator(chunk_size=2000))


def document_for(*, agency_id: int, document_id) -> Document | None:
    """A register PDF of the officer's own agency (the page's `doc` parameter)."""
    try:
        document_id = int(document_id or 0)
    except (TypeError, ValueError):
        return None
    return Document.objects.filter(
        pk=document_id, agency_id=agency_id, kind=DocumentKind.REGISTER
    ).first()

"""The register of outgoing documents (sổ đăng ký văn bản đi, Decree 30/2020/NĐ-CP) of an
agency as a spreadsheet: its lines, in Vietnamese whatever the reader's language, as the
register's own columns name them."""

import tempfile

from django.http import FileResponse
from django.utils import timezone

from portal.spreadsheets import text_cells
from signing.models import Document, NumberEntry

HEADINGS = [
    "Số, ký hiệu văn bản",
    "Ngày tháng văn bản",
    "Tên loại và trích yếu nội dung",
    "Người ký",
    "Nơi nhận văn bản",
    "Mã hồ sơ",
    "Mã xác thực",
    "Tình trạng",
]
STATUS_VI = {
    Document.Status.PENDING: "Đang ký số",
    Document.Status.AWAITING_SIGNATURE: "Chờ lãnh đạo ký",
    Document.Status.SIGNATURE_RECEIVED: "Lãnh đạo đã ký, đang đóng dấu",
    Document.Status.SIGNED: "Đã ký số",
    Document.Status.RENDERED: "Dự thảo",
    Document.Status.FAILED: "Lỗi, chờ ký lại",
}


def line(entry: NumberEntry) -> list[str]:
    return [
        entry.number,
        timezone.localtime(entry.issued_at).strftime("%d/%m/%Y %H:%M"),
        entry.summary,
        entry.signer,
        entry.recipient,
        entry.reference,
        entry.document.verification_code,
        STATUS_VI[entry.document.status],
    ]


def xlsx_response(entries, *, filename: str) -> FileResponse:
    """Every line, however many: rows are read in chunks and the workbook is written to a
    temporary file (on disk past a few MB) that the response streams, not to memory."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("So van ban di")
    sheet.append(["SỔ ĐĂNG KÝ VĂN BẢN ĐI"])
    sheet.append(HEADINGS)
    for entry in entries.iterator(chunk_size=2000):
        sheet.append(text_cells(sheet, line(entry)))  # a summary typed as a formula stays text
    spool = tempfile.SpooledTemporaryFile(max_size=4 * 1024 * 1024)  # noqa: SIM115 - closed by the response
    workbook.save(spool)
    spool.seek(0)
    return FileResponse(
        spool,
        as_attachment=True,
        filename=filename,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )

"""Every paper the portal issues, laid out as Decree 30/2020/NĐ-CP Appendix I asks (issue 16):
A4 (the register A4 landscape), margins top and bottom 20 mm, left 30 mm, right 15 mm; the
motto and its subtitle on one line each; a one-stop slip on one page with realistic content
(long names, ten components); every word inside the page's content box. Each kind is rendered
with long, realistic content through the worker's own renderer (signing.services.render_document)
and measured with pdfplumber.

With PAPERS_DIR set (`make papers`), each kind's pages are also written there as PNG at 60 dpi,
for reviewers to look at (docs/papers/)."""

import datetime as dt
import io
import os
import subprocess
from pathlib import Path

import pytest
from django.utils import timezone

from office import register, slips
from office.selectors import register_rows
from portal.models import Agency
from signing import services as signing
from signing.models import Document
from submissions.models import (
    Decision,
    DocumentKind,
    IntakeChannel,
    IntakeComponent,
    ResultDelivery,
    SupplementRequest,
)
from tests.factories import (
    DossierFactory,
    OfficerFactory,
    ProcedureVersionFactory,
    dossier_advance,
)

pytestmark = pytest.mark.django_db

MM = 72 / 25.4  # points per millimetre
MARGINS = {"top": 20 * MM, "bottom": 20 * MM, "left": 30 * MM, "right": 15 * MM}
TOLERANCE = 0.5  # points: a glyph's box may touch the margin line

LONG_DOCUMENTS = [
    "Đơn đề nghị cấp bản sao văn bằng, chứng chỉ từ sổ gốc (theo mẫu tại Phụ lục kèm theo)",
    "Bản sao có chứng thực giấy khai sinh hoặc trích lục khai sinh của người được cấp văn bằng",
    "Giấy ủy quyền có chứng thực trong trường hợp người được cấp văn bằng ủy quyền cho người khác",
    "Bản sao căn cước công dân hoặc giấy tờ tùy thân còn giá trị sử dụng của người đề nghị",
    "Học bạ trung học phổ thông (bản chính để đối chiếu) và bản sao học bạ có chứng thực",
    "Giấy xác nhận của cơ sở giáo dục nơi người học đã học tập về thông tin ghi trên văn bằng",
    "Quyết định công nhận tốt nghiệp hoặc danh sách công nhận tốt nghiệp có tên người học",
    "Văn bản của cơ quan có thẩm quyền về việc cải chính hộ tịch, xác định lại dân tộc",
    "Giấy xác nhận tình trạng văn bằng bị mất, hư hỏng của công an phường nơi cư trú",
    "Ảnh chân dung cỡ 3 cm × 4 cm chụp trong thời gian không quá 06 tháng (02 ảnh)",
]
LEGAL_BASIS = (
    "- Luật Giáo dục số 43/2019/QH14 ngày 14/6/2019\n"
    "- Nghị định số 23/2015/NĐ-CP ngày 16/02/2015 của Chính phủ về cấp bản sao từ sổ gốc, "
    "chứng thực bản sao từ bản chính, chứng thực chữ ký và chứng thực hợp đồng, giao dịch\n"
    "- Thông tư số 21/2019/TT-BGDĐT ngày 29/11/2019 của Bộ trưởng Bộ Giáo dục và Đào tạo ban "
    "hành Quy chế quản lý bằng tốt nghiệp trung học cơ sở, bằng tốt nghiệp trung học phổ thông, "
    "văn bằng giáo dục đại học và chứng chỉ của hệ thống giáo dục quốc dân\n"
    "- Nghị định số 118/2025/NĐ-CP ngày 09/6/2025 của Chính phủ về thực hiện thủ tục hành chính "
    "theo cơ chế một cửa, một cửa liên thông tại Bộ phận Một cửa và Cổng Dịch vụ công quốc gia"
)
APPLICANT = "Nguyễn Hoàng Phương Thảo Tôn Nữ Bảo Ngọc"
ADDRESS = (
    "Số 125 ngõ 68 đường Nguyễn Khánh Toàn, tổ dân phố số 12, phường Nghĩa Đô, thành phố Hà Nội"
)


@pytest.fixture
def department():
    city = Agency.objects.create(
        code="000.00.00.H26", name="Ủy ban nhân dân thành phố Hà Nội", level="province_committee"
    )
    return Agency.objects.create(
        code="000.00.12.H26",
        name="Sở Giáo dục và Đào tạo thành phố Hà Nội",
        level="province",
        parent=city,
        place_name="Hà Nội",
        head_title="Giám đốc",
        head_name="Trần Văn Quang",
        tax_code="0100686343",
        address="Số 23 phố Quang Trung, phường Cửa Nam, thành phố Hà Nội",
        phone="024 3825 3480",
    )


@pytest.fixture
def dossier(department):
    """A paper dossier with ten long components, taken to resolved through the workflow."""
    version = ProcedureVersionFactory(
        procedure__agency=department,
        published=True,
        level3=True,
        name="Cấp bản sao văn bằng, chứng chỉ từ sổ gốc (bằng tốt nghiệp trung học phổ thông)",
        legal_basis=LEGAL_BASIS,
        coordinating_agency="Trường trung học phổ thông nơi người học đã tốt nghiệp",
        documents=[{"name": name} for name in LONG_DOCUMENTS],
    )
    leader = OfficerFactory(
        agency=department,
        roles=["leader"],
        full_name="Phạm Thị Dung",
        position="Phó Giám đốc",
        signing_authority="kt",
    )
    row = DossierFactory(
        version=version,
        submitted=True,
        applicant_name=APPLICANT,
        applicant_address=ADDRESS,
        applicant_phone="0912345678",
        applicant_email="phuongthao.baongoc.nguyenhoang@example.com.vn",
    )
    row = dossier_advance(row, "resolved", leader=leader)
    for requirement in version.documents.all():
        IntakeComponent.objects.create(
            dossier=row, requirement=requirement, form="certified_copy", sheets=12, sets=2
        )
    SupplementRequest.objects.create(
        dossier=row,
        requested_by=leader,
        reason="Hồ sơ chưa đủ thành phần theo quy định và một số giấy tờ đã hết hạn sử dụng.",
        items=LONG_DOCUMENTS[:8],
    )
    row.channel = IntakeChannel.IN_PERSON
    row.result_delivery = ResultDelivery.POST
    row.delivery_address = ADDRESS
    row.original_due_at = row.due_at
    row.decision_reasons = (
        "Người đề nghị không có tên trong sổ gốc cấp văn bằng của năm tốt nghiệp đã khai; "
        "đề nghị kiểm tra lại năm tốt nghiệp và trường đã học."
    )
    row.result_content = (
        f"Cấp bản sao bằng tốt nghiệp trung học phổ thông từ sổ gốc cho Bà {APPLICANT}, sinh "
        "ngày 17/5/1990, số hiệu bằng B 0123456, số vào sổ gốc 1234/2008, do Sở Giáo dục và Đào "
        "tạo Hà Nội cấp ngày 15/7/2008; số lượng bản sao: 03 bản."
    )
    row.save()
    row.drafts.all().delete()  # the result in the portal's wording, from the fields above
    return row, leader


def _document(dossier, kind, *, extra=None, actor=None) -> Document:
    """The document `slips.issue` would ask for, unsaved: its content built by the same code."""
    title, template, context, _ = slips.build(dossier, kind, extra=extra, actor=actor)
    return Document(
        kind=kind,
        title=title,
        template=template,
        context=context,
        agency=dossier.agency,
        verification_code="ABCDEFGHJKMNPQRS",
    )


def _render(document) -> bytes:
    return signing.render_document(
        document, signer=document.agency.name, signed_at=timezone.localtime()
    )


def kinds(dossier, leader) -> dict[str, Document]:
    desk = OfficerFactory(agency=dossier.agency, roles=["desk"], full_name="Trần Thị Bình")
    scans = [
        type("Scan", (), {"name": f"ban-sao-hoc-ba-trang-{n:02d}.pdf", "sha256": "a1b2" * 16})
        for n in range(1, 11)
    ]
    component = dossier.components.first()
    paid = timezone.localtime().isoformat()
    fee = {"amount": 1_005_000, "order_ref": "DVC2612070001", "transaction_no": "VNP14523689"}
    return {
        "01-receipt": _document(dossier, DocumentKind.RECEIPT, actor=desk),
        "02-supplement": _document(dossier, DocumentKind.SUPPLEMENT, actor=desk),
        "03-refusal": _document(dossier, DocumentKind.REFUSAL, actor=desk),
        "04-apology": _document(
            dossier,
            DocumentKind.APOLOGY,
            extra={"reason": "Chờ kết quả xác minh thông tin văn bằng của trường đã cấp."},
        ),
        "05-control-sheet": _document(dossier, DocumentKind.CONTROL_SHEET),
        "stop-notice": _document(
            dossier,
            DocumentKind.STOP_NOTICE,
            actor=leader,
            extra={"reason": "Người nộp hồ sơ có văn bản đề nghị dừng giải quyết."},
        ),
        "fee-receipt": _document(dossier, DocumentKind.FEE_RECEIPT, extra={**fee, "paid_at": paid}),
        "certified-copy": _document(
            dossier,
            DocumentKind.CERTIFIED_COPY,
            extra={"component": component, "scans": scans, "actor": desk},
        ),
        "result-decision": _document(dossier, DocumentKind.RESULT, actor=leader),
        "result-denial": _document(_denied(dossier), DocumentKind.RESULT, actor=leader),
        "result-annex": _annex_of(dossier, leader),
    }


def _annex_of(dossier, leader) -> Document:
    """The annex of a signed result (made last: it needs a draft with an annex)."""
    from submissions.models import ResultDraft

    ResultDraft.objects.create(
        dossier=dossier,
        number=1,
        decision=Decision.GRANT,
        created_by=leader,
        content={
            "annex": {
                "title": "DANH SÁCH THÀNH PHẦN HỒ SƠ ĐÃ ĐỐI CHIẾU",
                "lines": [f"{n}. {name}" for n, name in enumerate(LONG_DOCUMENTS, start=1)],
            }
        },
    )
    result = Document(
        kind=DocumentKind.RESULT,
        number="15/QĐ-SGDĐT",
        signed_at=timezone.now(),
        agency=dossier.agency,
        context={"heading": "QUYẾT ĐỊNH"},
    )
    return _document(dossier, DocumentKind.ANNEX, extra={"result": result})


def _denied(dossier):
    dossier.decision = Decision.DENY
    return dossier


ONE_PAGE = {
    "01-receipt", "02-supplement", "03-refusal", "04-apology", "05-control-sheet",
    "stop-notice", "fee-receipt", "certified-copy", "result-denial", "result-annex",
}  # fmt: skip


def words(pdf: bytes):
    import pdfplumber

    with pdfplumber.open(io.BytesIO(pdf)) as document:
        return [
            (number, page.width, page.height, page.extract_words(keep_blank_chars=False))
            for number, page in enumerate(document.pages, start=1)
        ]


def outside_content_box(pages) -> list[str]:
    """Words outside the margins, but for page numbers (digits at the top centre, from the
    second page, where Decree 30/2020 puts them)."""
    problems = []
    for number, width, height, page_words in pages:
        for word in page_words:
            inside = (
                word["x0"] >= MARGINS["left"] - TOLERANCE
                and word["x1"] <= width - MARGINS["right"] + TOLERANCE
                and word["top"] >= MARGINS["top"] - TOLERANCE
                and word["bottom"] <= height - MARGINS["bottom"] + TOLERANCE
            )
            centre = (MARGINS["left"] + width - MARGINS["right"]) / 2
            page_number = (
                number > 1
                and word["text"] == str(number)
                and word["bottom"] <= MARGINS["top"]
                and abs((word["x0"] + word["x1"]) / 2 - centre) < 10
            )
            if not inside and not page_number:
                where = f"{word['x0']:.0f},{word['top']:.0f}"
                problems.append(f"page {number}: {word['text']!r} at {where}")
    return problems


def one_line(page_words, first: str, last: str) -> bool:
    """The words from `first` to `last` (the first occurrence of each) stand on one line."""
    texts = [w["text"] for w in page_words]
    start, end = texts.index(first), texts.index(last)
    tops = {round(w["top"]) for w in page_words[start : end + 1]}
    return end > start and max(tops) - min(tops) <= 1


def save_pngs(name: str, pdf: bytes) -> None:
    folder = os.environ.get("PAPERS_DIR")
    if not folder:
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    for old in Path(folder).glob(f"{name}-*.png"):
        old.unlink()
    source = Path(folder) / f"{name}.pdf"
    source.write_bytes(pdf)
    try:
        subprocess.run(
            ["pdftoppm", "-r", "60", "-png", str(source), str(Path(folder) / name)],
            check=True,
            timeout=120,
        )
    finally:
        source.unlink()


def test_every_paper_fits_its_page_and_its_margins(dossier):
    row, leader = dossier
    for name, document in kinds(row, leader).items():
        pdf = _render(document)
        save_pngs(name, pdf)
        pages = words(pdf)
        first = pages[0]
        assert (round(first[1]), round(first[2])) == (595, 842), name  # A4 portrait, in points
        if name in ONE_PAGE:
            assert len(pages) == 1, f"{name}: {len(pages)} pages"
        else:
            assert len(pages) <= 2, f"{name}: {len(pages)} pages"
        assert outside_content_box(pages) == [], name
        page_words = first[3]
        if name == "result-annex":  # no header of its own; the agency's signature, top right
            assert any(w["text"] == "Ký" and w["x0"] > first[1] / 2 for w in page_words)
            continue
        assert one_line(page_words, "CỘNG", "NAM"), name
        assert one_line(page_words, "Độc", "phúc"), name


def run(command, stdin: bytes) -> str:
    done = subprocess.run(command, input=stdin, capture_output=True, check=True, timeout=60)
    return done.stdout.decode()


def test_a_decision_reads_as_one(dossier):
    """Decree 30/2020/NĐ-CP Appendix I: the number line, the place and date with a 0 before a
    day under 10 and months 1–2, title and summary, the competent person, the legal bases, the
    articles, Nơi nhận, and the signature block: "KT. GIÁM ĐỐC / PHÓ GIÁM ĐỐC" above the
    signer's full name."""
    row, leader = dossier
    document = _document(row, DocumentKind.RESULT, actor=leader)
    pdf = signing.render_document(
        document,
        signer=row.agency.name,
        signed_at=dt.datetime(2026, 3, 5, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=7))),
    )
    text = " ".join(run(["pdftotext", "-", "-"], pdf).split())
    for expected in (
        "Số:",
        "Hà Nội, ngày 05 tháng 3 năm 2026",
        "QUYẾT ĐỊNH",
        "Về việc cấp bản sao văn bằng, chứng chỉ từ sổ gốc",
        "GIÁM ĐỐC SỞ GIÁO DỤC VÀ ĐÀO TẠO THÀNH PHỐ HÀ NỘI",
        "Căn cứ Luật Giáo dục số 43/2019/QH14",
        "QUYẾT ĐỊNH:",
        "Điều 1. Cấp bản sao bằng tốt nghiệp",
        "Điều 3.",
        "Nơi nhận:",
        "- Như Điều 3;",
        "KT. GIÁM ĐỐC PHÓ GIÁM ĐỐC",
        "Phạm Thị Dung",
    ):
        assert expected in text, expected


def test_the_register_is_landscape_with_every_column_and_its_header_on_each_page(dossier, settings):
    """Mẫu 06 (Circular 01/2018/TT-VPCP) on A4 landscape: thirteen columns inside the margins,
    the header row on every page, rendered in parts (here of 25 lines, as a long register is in
    parts of DOCUMENT_PART_LINES) whose page and line numbers run on."""
    row, leader = dossier
    settings.DOCUMENT_PART_LINES = 25
    version = row.version
    for n in range(59):
        DossierFactory(
            version=version,
            submitted=True,
            applicant_name=f"{APPLICANT} {n}",
            applicant_address=ADDRESS,
        )
    today = timezone.localdate()
    assert register_rows(agency=row.agency, start=today, end=today).count() == 60
    document = Document(
        kind=DocumentKind.REGISTER,
        agency=row.agency,
        verification_code="ABCDEFGHJKMNPQRS",
        template="documents/register.html",
        title="SỔ THEO DÕI HỒ SƠ",
        context=register.pdf_context(start=today, end=today, actor=leader),
    )
    pdf = _render(document)
    save_pngs("06-register", pdf)
    pages = words(pdf)
    assert len(pages) >= 3
    assert outside_content_box(pages) == []
    for number, width, height, page_words in pages:
        assert (round(width), round(height)) == (842, 595)  # landscape
        texts = [w["text"] for w in page_words]
        assert "(13)" in texts and "Ghi" in texts, f"page {number}: no header row"
        if number > 1:
            assert str(number) in texts  # the page number, from the second page
    text = " ".join(w["text"] for _, _, _, page in pages for w in page)
    assert "Không có hồ sơ" not in text
    # The line numbers run on from part to part: 1 … 60, each once.
    numbers = [
        int(w["text"])
        for _, _, _, page in pages
        for w in page
        if w["text"].isdigit() and w["x0"] < MARGINS["left"] + 30
    ]
    assert [n for n in numbers if n <= 60][-1] == 60
    assert "NGƯỜI LẬP SỔ" in text


def test_a_six_digit_line_number_stays_in_its_column(dossier):
    """A register of 100,000 lines (bench/register.py) numbers its last line 100000: the TT
    column holds it, clear of the dossier code beside it (at 3.5% of the width it ran into it)."""
    from signing import render

    row, leader = dossier
    today = timezone.localdate()
    line = register.line(register_rows(agency=row.agency, start=today, end=today).first())
    document = Document(
        kind=DocumentKind.REGISTER,
        agency=row.agency,
        verification_code="ABCDEFGHJKMNPQRS",
        template="documents/register.html",
        title="SỔ THEO DÕI HỒ SƠ",
        context=register.pdf_context(start=today, end=today, actor=leader),
    )
    context = {
        **document.context,
        "document": document,
        "agency": row.agency,
        "signer": row.agency.name,
        "signed_at": timezone.localtime(),
        "verify_url": "https://example.invalid/verify/ABCDEFGHJKMNPQRS/",
        "qr_src": "qr:https://example.invalid/verify/ABCDEFGHJKMNPQRS/",
        "rows": [[str(number), *line] for number in (99999, 100000)],
    }
    pdf = render.render_pdf(render.render_html(document.template, context))
    page_words = [w for _, _, _, page in words(pdf) for w in page]
    codes = [w for w in page_words if w["text"].startswith(row.code[:10])]
    assert len(codes) == 2
    for number in ("99999", "100000"):
        [word] = [w for w in page_words if w["text"] == number]  # a word of its own
        assert word["x1"] < min(code["x0"] for code in codes) - 2, number

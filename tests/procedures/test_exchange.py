"""Import and export of an agency's procedure list (procedures/exchange.py)."""

import base64
import csv
import io
import json
import zipfile
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook

from procedures import exchange, services
from procedures.models import Channel, Field, Procedure, ProcedureVersion, RequiredDocument
from tests.factories import (
    TEMPLATE_PDF,
    FieldFactory,
    ProcedureVersionFactory,
)

pytestmark = pytest.mark.django_db

Status = ProcedureVersion.Status
AGENCY = "000.00.12.H26"
# An older list's annex: the levels of Decree 43/2011 under "Mức độ" (imported, mapped).
HEADER = [
    "STT",
    "Mã thủ tục",
    "Tên thủ tục",
    "Lĩnh vực",
    "Mức độ",
    "Thời hạn giải quyết",
    "Phí, lệ phí (đồng)",
    "Cơ quan thực hiện",
    "Căn cứ pháp lý",
]
COPY = ["1", "1.010020", "Cấp bản sao văn bằng, chứng chỉ từ sổ gốc", "Văn bằng, chứng chỉ",
        "2", "Trong ngày", "9.000 đồng", AGENCY, "Nghị định 23/2015/NĐ-CP"]  # fmt: skip
TRANSFER = ["2", "2.002478", "Chuyển trường đối với học sinh trung học phổ thông",
            "Giáo dục trung học", "Mức độ 3", "40 giờ", "Không", AGENCY, ""]  # fmt: skip
CORRECT = ["3", "2.001914", "Chỉnh sửa nội dung văn bằng, chứng chỉ", "Văn bằng, chứng chỉ",
           "1", "5 ngày làm việc", "0", "", "Thông tư 21/2019/TT-BGDĐT"]  # fmt: skip


def annex(*rows, header=HEADER, delimiter=",", bom=False) -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter).writerows([header, *rows])
    return (("\ufeff" if bom else "") + out.getvalue()).encode()


def xlsx(*rows, header=HEADER) -> bytes:
    workbook = Workbook()
    for row in [header, *rows]:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def run(agency, data, *, filename="phu-luc.csv", dry_run=True, actor=None):
    return exchange.import_procedures(
        data=data, filename=filename, agency=agency, actor=actor, dry_run=dry_run
    )


def stored() -> tuple[int, ...]:
    return (
        Procedure.objects.count(),
        ProcedureVersion.objects.count(),
        Channel.objects.count(),
        RequiredDocument.objects.count(),
        Field.objects.count(),
    )


def actions(report) -> list[tuple[str, str, list[str]]]:
    return [(r.code, r.action, r.changes) for r in report.rows]


def version_of(agency, code, number=None) -> ProcedureVersion:
    versions = ProcedureVersion.objects.filter(procedure__agency=agency, procedure__code=code)
    return versions.get(number=number) if number else versions.order_by("-number").first()


# --- reading the annex ---------------------------------------------------------------------------


def test_an_annex_is_imported_as_drafts(agency, agency_admin):
    report = run(agency, annex(COPY, TRANSFER, CORRECT), dry_run=False, actor=agency_admin)
    assert report.ok
    assert report.applied
    assert report.format == "csv"
    assert actions(report) == [
        ("1.010020", "create", []),
        ("2.002478", "create", []),
        ("2.001914", "create", []),
    ]
    assert [r.row for r in report.rows] == [2, 3, 4]
    assert stored()[:3] == (3, 3, 3)

    copy = version_of(agency, "1.010020")
    assert (copy.number, copy.status, copy.created_by) == (1, Status.DRAFT, agency_admin)
    assert copy.name == "Cấp bản sao văn bằng, chứng chỉ từ sổ gốc"
    assert copy.service_level == 2
    assert copy.legal_basis == "Nghị định 23/2015/NĐ-CP"
    assert copy.implementing_level == "province"  # the agency's level
    assert copy.effective_date is None
    assert copy.search_text.startswith("1.010020 cap ban sao")
    channel = copy.channels.get()
    assert (channel.kind, channel.time_amount, channel.time_unit, channel.fee_vnd) == (
        "in_person",
        None,
        "same_day",
        9000,
    )

    transfer = version_of(agency, "2.002478")
    assert transfer.service_level == 3
    channel = transfer.channels.get()
    assert (channel.time_amount, channel.time_unit, channel.fee_vnd) == (
        Decimal(40),
        "working_hours",
        0,
    )

    correct = version_of(agency, "2.001914")
    channel = correct.channels.get()
    assert (channel.time_amount, channel.time_unit, channel.fee_vnd) == (5, "working_days", 0)
    # one field per name, shared by the two procedures in it
    assert correct.field_id == copy.field_id
    assert Field.objects.count() == 2


def test_a_field_that_exists_is_reused_by_its_name(agency):
    existing = FieldFactory(code="van-bang", name="Văn bằng, chứng chỉ")
    run(agency, annex(CORRECT), dry_run=False)
    assert version_of(agency, "2.001914").field == existing
    assert Field.objects.count() == 1


@pytest.mark.parametrize(
    ("cell", "amount", "unit"),
    [
        ("Trong ngày", None, "same_day"),
        ("0,5 ngày", Decimal("0.5"), "working_days"),
        ("15", Decimal(15), "working_days"),
        ("10 ngày làm việc kể từ ngày nhận đủ hồ sơ", Decimal(10), "working_days"),
        ("8 giờ làm việc", Decimal(8), "working_hours"),
        ("2 working days", Decimal(2), "working_days"),
    ],
)
def test_time_limits(agency, cell, amount, unit):
    row = [*CORRECT]
    row[5] = cell
    assert run(agency, annex(row), dry_run=False).ok
    channel = version_of(agency, "2.001914").channels.get()
    assert (channel.time_amount, channel.time_unit) == (amount, unit)


@pytest.mark.parametrize(
    ("cell", "fee"),
    [
        ("", None),
        ("Không", 0),
        ("Miễn phí", 0),
        ("0", 0),
        ("9000", 9000),
        ("9.000 đồng", 9000),
        ("1,250,000 VND", 1250000),
        ("50.000đ/bản", 50000),
    ],
)
def test_fees(agency, cell, fee):
    row = [*CORRECT]
    row[6] = cell
    report = run(agency, annex(row), dry_run=False)
    assert report.ok
    assert version_of(agency, "2.001914").channels.get().fee_vnd == fee


@pytest.mark.parametrize(("cell", "level"), [("1", 1), ("Mức 2", 2), ("mức độ 4", 4), (" 3 ", 3)])
def test_levels(agency, cell, level):
    row = [*CORRECT]
    row[4] = cell
    assert run(agency, annex(row), dry_run=False).ok
    assert version_of(agency, "2.001914").service_level == level


def test_english_headers_and_extra_columns_are_accepted(agency):
    header = ["code", "name", "field", "level", "time_limit", "fee", "agency", "legal_basis", "x"]
    report = run(agency, annex([*CORRECT[1:], "ignored"], header=header), dry_run=False)
    assert report.ok
    assert version_of(agency, "2.001914").legal_basis == "Thông tư 21/2019/TT-BGDĐT"


def test_semicolons_and_a_bom(agency):
    data = annex(COPY, TRANSFER, delimiter=";", bom=True)
    assert data.startswith(b"\xef\xbb\xbf")
    report = run(agency, data, dry_run=False)
    assert report.ok, (report.file_errors, [r.errors for r in report.rows])
    assert [r.action for r in report.rows] == ["create", "create"]
    assert version_of(agency, "1.010020").name == "Cấp bản sao văn bằng, chứng chỉ từ sổ gốc"
    assert version_of(agency, "1.010020").channels.get().fee_vnd == 9000


def test_tabs(agency):
    assert run(agency, annex(COPY, delimiter="\t"), dry_run=False).ok
    assert Procedure.objects.filter(agency=agency, code="1.010020").exists()


def test_an_xlsx_built_with_openpyxl(agency):
    numeric = [3, "2.001914", CORRECT[2], CORRECT[3], 1, "5 ngày làm việc", 0, AGENCY, None]
    report = run(agency, xlsx(COPY, numeric), filename="phu-luc.xlsx", dry_run=False)
    assert report.format == "xlsx"
    assert report.ok, (report.file_errors, [r.errors for r in report.rows])
    assert version_of(agency, "2.001914").service_level == 1
    assert version_of(agency, "2.001914").channels.get().fee_vnd == 0
    assert version_of(agency, "1.010020").channels.get().fee_vnd == 9000


def test_an_xlsx_is_recognised_whatever_its_name(agency):
    report = run(agency, xlsx(COPY), filename="upload.bin")
    assert report.format == "xlsx"
    assert report.ok


def test_blank_lines_are_skipped(agency):
    data = annex(COPY, ["", "", ""], CORRECT)
    report = run(agency, data)
    assert [r.code for r in report.rows] == ["1.010020", "2.001914"]


# --- dry run, update, idempotence ----------------------------------------------------------------


def test_a_dry_run_writes_nothing(agency):
    before = stored()
    report = run(agency, annex(COPY, TRANSFER, CORRECT))
    assert report.ok
    assert not report.applied
    assert [r.action for r in report.rows] == ["create", "create", "create"]
    assert stored() == before
    assert report.count("create") == 3


def test_a_dry_run_names_what_would_change(agency):
    run(agency, annex(COPY, TRANSFER, CORRECT), dry_run=False)
    before = stored()
    renamed = [*COPY]
    renamed[2] = "Cấp bản sao văn bằng, chứng chỉ từ sổ gốc (sửa)"
    dearer = [*TRANSFER]
    dearer[6] = "10.000"
    moved = [*CORRECT]
    moved[3], moved[4] = "Giáo dục trung học", "2"
    new = ["4", "1.004889", "Công nhận văn bằng do nước ngoài cấp", "Văn bằng, chứng chỉ", "1",
           "15 ngày làm việc", "", AGENCY, ""]  # fmt: skip
    report = run(agency, annex(renamed, dearer, moved, new))
    assert report.ok
    assert actions(report) == [
        ("1.010020", "update", ["name"]),
        ("2.002478", "update", ["channels"]),
        ("2.001914", "update", ["field", "service_level"]),
        ("1.004889", "create", []),
    ]
    assert stored() == before
    assert version_of(agency, "1.010020").name == COPY[2]


def test_an_update_changes_a_draft_in_place(agency):
    run(agency, annex(COPY), dry_run=False)
    draft = version_of(agency, "1.010020")
    renamed = [*COPY]
    renamed[2] = "Cấp bản sao từ sổ gốc"
    report = run(agency, annex(renamed), dry_run=False)
    assert actions(report) == [("1.010020", "update", ["name"])]
    assert ProcedureVersion.objects.count() == 1
    draft.refresh_from_db()
    assert draft.name == "Cấp bản sao từ sổ gốc"
    assert draft.search_text == "1.010020 cap ban sao tu so goc"


def test_the_same_file_twice_changes_nothing_the_second_time(agency):
    data = annex(COPY, TRANSFER, CORRECT)
    assert run(agency, data, dry_run=False).applied
    before = stored()
    updated = dict(ProcedureVersion.objects.values_list("pk", "updated_at"))
    report = run(agency, data, dry_run=False)
    assert report.applied
    assert actions(report) == [
        ("1.010020", "unchanged", []),
        ("2.002478", "unchanged", []),
        ("2.001914", "unchanged", []),
    ]
    assert stored() == before
    assert dict(ProcedureVersion.objects.values_list("pk", "updated_at")) == updated


def test_a_published_version_is_never_changed_in_place(agency, agency_admin):
    run(agency, annex(COPY), dry_run=False)
    v1 = version_of(agency, "1.010020")
    services.procedure_version_publish(version=v1, actor=agency_admin)
    v1.refresh_from_db()
    snapshot = (v1.name, v1.status, v1.published_at, v1.updated_at, v1.effective_date)
    channels = list(v1.channels.values_list("pk", "time_amount", "time_unit", "fee_vnd"))

    # the list as published: nothing to do, no draft
    report = run(agency, annex(COPY), dry_run=False)
    assert actions(report) == [("1.010020", "unchanged", [])]
    assert ProcedureVersion.objects.count() == 1

    changed = [*COPY]
    changed[2], changed[5] = "Cấp bản sao văn bằng từ sổ gốc", "1 ngày làm việc"
    report = run(agency, annex(changed), dry_run=False, actor=agency_admin)
    assert actions(report) == [("1.010020", "update", ["name", "channels"])]

    v1.refresh_from_db()
    assert (v1.name, v1.status, v1.published_at, v1.updated_at, v1.effective_date) == snapshot
    assert list(v1.channels.values_list("pk", "time_amount", "time_unit", "fee_vnd")) == channels
    v2 = version_of(agency, "1.010020")
    assert (v2.number, v2.status, v2.name) == (2, Status.DRAFT, "Cấp bản sao văn bằng từ sổ gốc")
    assert v2.effective_date is None
    assert v2.created_by == agency_admin
    assert list(v2.channels.values_list("time_amount", "time_unit")) == [
        (Decimal(1), "working_days")
    ]

    # the same change again goes into the same draft: no third version
    report = run(agency, annex(changed), dry_run=False)
    assert actions(report) == [("1.010020", "unchanged", [])]
    assert ProcedureVersion.objects.count() == 2


def test_an_import_keeps_documents_and_the_form_of_a_published_procedure(agency, agency_admin):
    v1 = ProcedureVersionFactory(
        procedure__agency=agency, procedure__code="2.002478", published=True, level3=True,
        channels=[{}],  # one channel, as an annex describes it
    )  # fmt: skip
    row = [*TRANSFER]
    row[2] = "Chuyển trường (sửa)"
    report = run(agency, annex(row), dry_run=False)
    assert report.ok
    v2 = version_of(agency, "2.002478")
    assert v2.number == 2
    assert v2.form_schema == v1.form_schema
    assert [(d.name, d.template.name) for d in v2.documents.all()] == [
        (d.name, d.template.name) for d in v1.documents.all()
    ]


def test_an_archived_only_procedure_gets_a_new_draft_beside_the_archive(agency):
    """Archived versions are not "current": the import creates a draft after them."""
    v1 = ProcedureVersionFactory(
        procedure__agency=agency, procedure__code="2.001914", archived=True, name="Bản cũ"
    )
    report = run(agency, annex(CORRECT), dry_run=False)
    assert report.applied
    assert actions(report) == [("2.001914", "create", [])]
    assert Procedure.objects.count() == 1
    v2 = version_of(agency, "2.001914")
    assert (v2.number, v2.status, v2.name) == (2, Status.DRAFT, CORRECT[2])
    v1.refresh_from_db()
    assert (v1.status, v1.name) == (Status.ARCHIVED, "Bản cũ")


# --- all or nothing ------------------------------------------------------------------------------


def test_one_bad_row_and_nothing_is_imported(agency, english):
    bad = [*TRANSFER]
    bad[4] = "5"
    before = stored()
    report = run(agency, annex(COPY, bad, CORRECT), dry_run=False)
    assert not report.ok
    assert not report.applied
    assert stored() == before
    assert [(r.code, r.action) for r in report.rows] == [
        ("1.010020", "create"),
        ("", "error"),
        ("2.001914", "create"),
    ]
    assert report.rows[1].row == 3
    assert report.rows[1].errors == [
        "the online service “5” is not Toàn trình, Một phần or Cung cấp thông tin (nor an older "
        "list's level 1 to 4)"
    ]


def test_a_failure_while_writing_leaves_nothing_behind(agency, monkeypatch):
    calls = []
    write = exchange._write

    def write_then_fail(version, record, **kwargs):
        calls.append(record["code"])
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return write(version, record, **kwargs)

    monkeypatch.setattr(exchange, "_write", write_then_fail)
    before = stored()
    with pytest.raises(RuntimeError):
        run(agency, annex(COPY, TRANSFER), dry_run=False)
    assert calls == ["1.010020", "2.002478"]
    assert stored() == before


# --- bad input -----------------------------------------------------------------------------------


def assert_nothing_imported(agency, data, filename="phu-luc.csv"):
    before = stored()
    dry = run(agency, data, filename=filename)
    report = run(agency, data, filename=filename, dry_run=False)
    assert not dry.ok
    assert not report.ok
    assert not report.applied
    assert stored() == before
    return report


def test_missing_columns(agency, english):
    header = [h for h in HEADER if h not in ("Mức độ", "Phí, lệ phí (đồng)")]
    row = [c for i, c in enumerate(COPY) if HEADER[i] not in ("Mức độ", "Phí, lệ phí (đồng)")]
    report = assert_nothing_imported(agency, annex(row, header=header))
    assert report.file_errors == ["Missing columns: Dịch vụ công trực tuyến, Phí, lệ phí (đồng)."]
    assert report.rows == []


@pytest.mark.parametrize("level", ["5", "0", "cao", "", "Mức độ 5", "3.5"])
def test_an_unknown_level(agency, english, level):
    row = [*COPY]
    row[4] = level
    report = assert_nothing_imported(agency, annex(row, CORRECT))
    assert report.rows[0].action == "error"
    assert report.rows[0].errors == [
        f"the online service “{level}” is not Toàn trình, Một phần or Cung cấp thông tin (nor an "
        "older list's level 1 to 4)"
    ]
    assert report.rows[1].action == "create"
    assert report.rows[1].errors == []


def test_a_duplicate_code_flags_both_rows(agency, english):
    twin = [*CORRECT]
    twin[1] = COPY[1]
    report = assert_nothing_imported(agency, annex(COPY, TRANSFER, twin))
    assert [(r.row, r.action) for r in report.rows] == [(2, "error"), (3, "create"), (4, "error")]
    for row in (report.rows[0], report.rows[2]):
        assert row.errors == ["the code 1.010020 appears twice in the file"]


@pytest.mark.parametrize("fee", ["abc đồng", "chín nghìn", "9000 USD", "1,5", "-5000", "−9.000"])
def test_a_bad_fee(agency, english, fee):
    row = [*COPY]
    row[6] = fee
    report = assert_nothing_imported(agency, annex(row))
    assert report.rows[0].errors == [f"the fee “{fee}” is not an amount in đồng"]


@pytest.mark.parametrize("limit", ["", "nhanh", "5 tuần"])
def test_a_bad_time_limit(agency, limit):
    row = [*COPY]
    row[5] = limit
    report = assert_nothing_imported(agency, annex(row))
    assert len(report.rows[0].errors) == 1


def test_empty_cells_are_each_reported(agency, english):
    report = assert_nothing_imported(agency, annex(["1", "", "", "", "2", "5", "0", "", ""]))
    assert report.rows[0].errors == [
        "the procedure code is empty",
        "the name is empty",
        "the field is empty",
    ]


@pytest.mark.parametrize(
    ("column", "value"),
    [(2, "Cấp bản sao " * 60), (3, "Lĩnh vực " * 40), (5, "1234567 ngày"), (6, "9" * 20)],
    ids=["name", "field", "time limit", "fee"],
)
def test_what_the_database_would_refuse_is_a_row_error(agency, column, value):
    row = [*COPY]
    row[column] = value
    report = assert_nothing_imported(agency, annex(row, CORRECT))
    assert report.rows[0].action == "error"
    assert report.rows[0].errors
    assert report.rows[1].action == "create"


def test_a_row_of_another_agency(agency, english):
    row = [*COPY]
    row[7] = "000.00.31.H29"
    report = assert_nothing_imported(agency, annex(row))
    assert report.rows[0].errors == [
        "the agency 000.00.31.H29 is not the one importing (000.00.12.H26)"
    ]


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<</Type/Catalog>>\nendobj\n%%EOF\n"


def _zip(**members) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in members.items():
            archive.writestr(name.replace("__", "/"), content)
    return out.getvalue()


def _damaged_sheet() -> bytes:
    """A real workbook whose sheet XML has been cut short."""
    source = zipfile.ZipFile(io.BytesIO(xlsx(COPY)))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                data = data[: len(data) // 2]
            archive.writestr(item, data)
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "filename"),
    [
        (bytes(range(256)) * 8, "phu-luc.csv"),
        (b"\xff\xfe\x00\x01garbage\xc3\x28", "phu-luc.csv"),
        (PNG, "anh.png"),
        (PNG, "phu-luc.csv"),
        (PDF, "quyet-dinh.pdf"),
        (TEMPLATE_PDF, "quyet-dinh.pdf"),  # an all-ASCII PDF reads as text: no columns
        (b"", "phu-luc.csv"),
        (b"\n\n ,,, \n", "phu-luc.csv"),
        (b"PK\x03\x04 not really a zip", "phu-luc.xlsx"),
        (bytes(range(256)), "phu-luc.xlsx"),
        (_zip(a__txt="hello"), "phu-luc.zip"),
        (_zip(**{"[Content_Types]__xml": "<<< not xml"}), "phu-luc.xlsx"),
        (_zip(word__document__xml="<w/>"), "don.docx"),
        (b"Ma thu tuc,Ten\x00\x00\x00", "phu-luc.csv"),
        (b'"' + b"a" * 200_000, "phu-luc.csv"),  # larger than the csv module's field limit
        (b"{not json", "phu-luc.json"),
        (b"[1, 2, 3]", "phu-luc.json"),
    ],
    ids=[
        "random bytes",
        "invalid utf-8",
        "png",
        "png named csv",
        "pdf",
        "ascii pdf",
        "empty",
        "only blanks",
        "bad zip named xlsx",
        "random bytes named xlsx",
        "zip of text",
        "zip with broken xml",
        "zip without workbook",
        "nul bytes",
        "huge field",
        "broken json",
        "json list",
    ],
)
def test_a_file_that_is_not_a_procedure_list(agency, data, filename):
    report = assert_nothing_imported(agency, data, filename)
    assert report.file_errors
    assert report.rows == []


def test_a_damaged_xlsx(agency):
    report = assert_nothing_imported(agency, _damaged_sheet(), "phu-luc.xlsx")
    assert report.file_errors


def test_a_file_over_10_mb(agency, english):
    data = annex(COPY) + b"#" * exchange.MAX_BYTES
    report = assert_nothing_imported(agency, data)
    assert report.file_errors == ["The file is larger than 10 MB."]


def test_too_many_rows(agency, english, monkeypatch):
    monkeypatch.setattr(exchange, "MAX_ROWS", 2)
    report = assert_nothing_imported(agency, annex(COPY, TRANSFER, CORRECT))
    assert report.file_errors == ["At most 2 rows per file."]


# --- JSON ----------------------------------------------------------------------------------------


@pytest.fixture
def catalogue(agency):
    """Every kind of detail the JSON format carries."""
    schema = [
        {"name": "ho_ten", "label": "Họ và tên", "type": "text", "required": True,
         "max_length": 100},
        {"name": "so_ban", "label": "Số bản sao", "type": "choice",
         "choices": [{"value": "1", "label": "1 bản"}, {"value": "2", "label": "2 bản"}]},
        {"name": "nam", "label": "Năm tốt nghiệp", "type": "number", "min": 1975, "max": 2026},
    ]  # fmt: skip
    old = ProcedureVersionFactory(
        procedure__code="1.010020", procedure__agency=agency, archived=True, name="Bản cũ"
    )
    ProcedureVersionFactory(
        procedure=old.procedure,
        number=2,
        published=True,
        level4=True,
        name="Cấp bản sao văn bằng, chứng chỉ từ sổ gốc",
        field=FieldFactory(code="van-bang-chung-chi", name="Văn bằng, chứng chỉ"),
        implementing_agency="Sở Giáo dục và Đào tạo Hà Nội",
        applicant_type="both",
        applicants="Người được cấp văn bằng;\nngười đại diện theo pháp luật",
        steps="Bước 1: nộp hồ sơ.\nBước 2: nhận kết quả.",
        result="Bản sao văn bằng",
        legal_basis="Nghị định 23/2015/NĐ-CP",
        announcing_decision="Quyết định 1234/QĐ-UBND",
        form_schema=schema,
        channels=[
            {"same_day": True, "fee_vnd": 9000, "fee_note": "mỗi bản", "note": "sau 15 giờ"},
            {"online": True, "time_amount": Decimal("0.5"), "fee_vnd": 0},
            {"kind": "post", "time_amount": 40, "time_unit": "working_hours", "fee_vnd": None},
        ],
        documents=[
            {"name": "Đơn đề nghị cấp bản sao", "with_template": True},
            {"name": "Giấy ủy quyền", "case": "Người được ủy quyền", "required": False},
            {"name": "Bản sao căn cước", "originals": 0, "copies": 1},
        ],
    )
    ProcedureVersionFactory(
        procedure__code="2.001914",
        procedure__agency=agency,
        name="Chỉnh sửa nội dung văn bằng, chứng chỉ",
        implementing_level="commune",
        applicant_type="organization",
    )
    # another agency's procedures are never exported with this one's
    ProcedureVersionFactory(procedure__code="1.004889", published=True)
    return agency


def test_json_export(catalogue):
    payload = json.loads(exchange.export_json(catalogue))
    assert payload["format"] == "dvc-portal/procedures"
    assert payload["format_version"] == 1
    assert payload["agency"] == AGENCY
    assert [p["code"] for p in payload["procedures"]] == ["1.010020", "2.001914"]
    copy = payload["procedures"][0]
    assert copy["name"] == "Cấp bản sao văn bằng, chứng chỉ từ sổ gốc"  # v2, not the archived v1
    assert copy["field"] == {"code": "van-bang-chung-chi", "name": "Văn bằng, chứng chỉ"}
    assert copy["service_level"] == 4
    assert copy["effective_date"] is not None
    assert [
        (c["kind"], c["time_amount"], c["time_unit"], c["fee_vnd"]) for c in copy["channels"]
    ] == [
        ("in_person", None, "same_day", 9000),
        ("online", "0.5", "working_days", 0),
        ("post", "40", "working_hours", None),
    ]
    template = copy["documents"][0]["template"]
    assert template["filename"] == "mau-don.pdf"
    assert base64.b64decode(template["content_base64"]) == TEMPLATE_PDF
    assert copy["documents"][1]["template"] is None
    assert copy["form_schema"][1]["choices"][1] == {"value": "2", "label": "2 bản"}
    assert payload["procedures"][1]["effective_date"] is None  # a draft


def test_json_round_trip(catalogue, agency_admin):
    first = exchange.export_json(catalogue)
    Procedure.objects.filter(agency=catalogue).delete()
    assert not ProcedureVersion.objects.filter(procedure__agency=catalogue).exists()

    report = run(catalogue, first.encode(), filename="ds.json", dry_run=False, actor=agency_admin)
    assert report.format == "json"
    assert report.ok, (report.file_errors, [r.errors for r in report.rows])
    assert actions(report) == [("1.010020", "create", []), ("2.001914", "create", [])]

    assert exchange.export_json(catalogue) == first
    document = RequiredDocument.objects.get(
        version__procedure__agency=catalogue, name="Đơn đề nghị cấp bản sao"
    )
    with document.template.open("rb") as handle:
        assert handle.read() == TEMPLATE_PDF
    # everything arrives as a draft to review and publish
    assert set(
        ProcedureVersion.objects.filter(procedure__agency=catalogue).values_list("status", "number")
    ) == {(Status.DRAFT, 1)}


def test_json_round_trip_into_a_fresh_agency_with_the_same_code(catalogue, agency_admin):
    first = exchange.export_json(catalogue)
    Procedure.objects.filter(agency=catalogue).delete()
    agency_admin.delete()
    catalogue.delete()
    fresh = type(catalogue).objects.create(code=AGENCY, name="Sở mới", level="province")
    assert run(fresh, first.encode(), filename="ds.json", dry_run=False).applied
    assert exchange.export_json(fresh) == first


def test_json_import_twice_is_idempotent(catalogue):
    data = exchange.export_json(catalogue).encode()
    before = stored()
    report = run(catalogue, data, filename="ds.json", dry_run=False)
    assert report.applied
    assert [r.action for r in report.rows] == ["unchanged", "unchanged"]
    assert stored() == before


def test_json_change_of_a_published_procedure_makes_a_draft(catalogue):
    payload = json.loads(exchange.export_json(catalogue))
    payload["procedures"][0]["channels"][0]["fee_vnd"] = 10000
    payload["procedures"][0]["effective_date"] = None
    published = version_of(catalogue, "1.010020", number=2)
    report = run(catalogue, json.dumps(payload).encode(), filename="ds.json", dry_run=False)
    assert actions(report)[0] == ("1.010020", "update", ["effective_date", "channels"])
    published.refresh_from_db()
    assert published.status == Status.PUBLISHED
    assert published.channels.order_by("order").first().fee_vnd == 9000
    draft = version_of(catalogue, "1.010020", number=3)
    assert draft.status == Status.DRAFT
    assert draft.channels.order_by("order").first().fee_vnd == 10000
    assert draft.documents.count() == 3
    # the form file is the published version's file, not a copy under another name
    assert draft.documents.get(name="Đơn đề nghị cấp bản sao").template.name == (
        published.documents.get(name="Đơn đề nghị cấp bản sao").template.name
    )

    before = stored()
    again = run(catalogue, json.dumps(payload).encode(), filename="ds.json", dry_run=False)
    assert actions(again)[0] == ("1.010020", "unchanged", [])
    assert stored() == before


def test_a_hand_written_json_list_imports_twice_as_unchanged(agency):
    """A list written by hand (numbers where the export has text, keys left out) is still
    idempotent."""
    payload = {
        "format": "dvc-portal/procedures",
        "format_version": 1,
        "agency": AGENCY,
        "procedures": [
            {
                "code": "1.005142",
                "name": "Đăng ký dự thi tốt nghiệp trung học phổ thông",
                "field": {"code": "thi-tuyen-sinh", "name": "Thi, tuyển sinh"},
                "implementing_level": "province",
                "applicant_type": "individual",
                "service_level": 3,
                "channels": [
                    {"kind": "online", "time_amount": 5, "time_unit": "working_days", "fee_vnd": 0},
                ],
                "documents": [{"name": "Phiếu đăng ký dự thi", "needs_template": True}],
                "form_schema": [{"name": "ho_ten", "label": "Họ và tên", "type": "text"}],
            }
        ],
    }
    data = json.dumps(payload, ensure_ascii=False).encode()
    assert run(agency, data, filename="ds.json", dry_run=False).applied
    before = stored()
    report = run(agency, data, filename="ds.json", dry_run=False)
    assert actions(report) == [("1.005142", "unchanged", [])]
    assert stored() == before


def _json(agency_code=AGENCY, **procedure):
    item = {
        "code": "1.005142",
        "name": "Đăng ký dự thi",
        "field": {"code": "thi", "name": "Thi, tuyển sinh"},
        "implementing_level": "province",
        "applicant_type": "individual",
        "service_level": 1,
        "channels": [{"kind": "in_person", "time_amount": "5", "time_unit": "working_days"}],
        "documents": [],
        "form_schema": [],
    } | procedure
    return json.dumps(
        {
            "format": "dvc-portal/procedures",
            "format_version": 1,
            "agency": agency_code,
            "procedures": [item],
        }
    ).encode()


def test_a_minimal_json_record_imports(agency):
    report = run(agency, _json(), filename="ds.json", dry_run=False)
    assert report.applied
    assert version_of(agency, "1.005142").channels.get().time_amount == 5


@pytest.mark.parametrize(
    "data",
    [
        json.dumps({"format": "other", "procedures": []}).encode(),
        json.dumps(
            {
                "format": "dvc-portal/procedures",
                "format_version": 2,
                "agency": AGENCY,
                "procedures": [],
            }
        ).encode(),
        json.dumps(
            {
                "format": "dvc-portal/procedures",
                "format_version": 1,
                "agency": AGENCY,
                "procedures": {},
            }
        ).encode(),
        _json(agency_code="000.00.31.H29"),
        b"\xef\xbb\xbf" + b'{"format": 1',
    ],
    ids=["other format", "format version", "procedures not a list", "other agency", "broken"],
)
def test_a_json_file_that_is_not_this_agencys_list(agency, data):
    report = assert_nothing_imported(agency, data, "ds.json")
    assert report.file_errors


@pytest.mark.parametrize(
    "change",
    [
        {"service_level": 5},
        {"service_level": "3"},
        {"name": "  "},
        {"code": None},
        {"implementing_level": "district"},
        {"applicant_type": "anyone"},
        {"effective_date": "01/07/2025"},
        {"field": "Thi"},
        {"steps": ["a"]},
        {"channels": [{"kind": "fax", "time_unit": "working_days"}]},
        {"channels": [{"kind": "online", "time_unit": "weeks", "time_amount": "1"}]},
        {"channels": [{"kind": "online", "time_unit": "working_days", "time_amount": "abc"}]},
        {"channels": [{"kind": "online", "time_unit": "working_days", "time_amount": "-1"}]},
        {"channels": [{"kind": "online", "time_unit": "working_days", "fee_vnd": -1}]},
        {"channels": [{"kind": "online", "time_unit": "working_days", "fee_vnd": "9000"}]},
        {"channels": "online"},
        {
            "documents": [
                {"name": "Đơn", "template": {"filename": "a.pdf", "content_base64": "!!!"}}
            ]
        },
        {
            "documents": [
                {"name": "Đơn", "template": {"filename": "../../etc/passwd", "content_base64": ""}}
            ]
        },
        {"documents": [{"name": "Đơn", "template": "a.pdf"}]},
        {"documents": [{"copies": 1}]},
        {"form_schema": [{"name": "A", "label": "A", "type": "text"}]},
        {"form_schema": {"name": "a"}},
        # what the database would refuse is found before anything is written
        {"name": "x" * 501},
        {"announcing_decision": "x" * 501},
        {"field": {"code": "x" * 65, "name": "Thi"}},
        {"field": {"code": "thi", "name": "x" * 256}},
        {"channels": [{"kind": "online", "time_unit": "working_days", "time_amount": "123456"}]},
        {"channels": [{"kind": "online", "time_unit": "working_days", "fee_vnd": 2**63}]},
        {"channels": [{"kind": "online", "time_unit": "working_days", "note": "x" * 501}]},
        {"documents": [{"name": "x" * 1001}]},
        {"documents": [{"name": "Đơn", "case": "x" * 256}]},
        {"documents": [{"name": "Đơn", "originals": "2"}]},
        {"documents": [{"name": "Đơn", "copies": -1}]},
        {"documents": [{"name": "Đơn", "copies": 1.5}]},
        {"documents": [{"name": "Đơn", "required": "yes"}]},
        {"documents": [{"name": "Đơn", "needs_template": 1}]},
    ],
)
def test_a_bad_json_record(agency, change):
    report = assert_nothing_imported(agency, _json(**change), "ds.json")
    assert report.rows[0].action == "error"
    assert report.rows[0].errors


# --- annex export --------------------------------------------------------------------------------


# What the portal exports: Decree 42/2022's categories (Art. 11) in their own column.
EXPORT_HEADER = [h if h != "Mức độ" else "Dịch vụ công trực tuyến" for h in HEADER]


def test_csv_export_is_an_annex(catalogue):
    text = exchange.export_csv(catalogue)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[0] == EXPORT_HEADER
    assert rows[1] == ["1", "1.010020", "Cấp bản sao văn bằng, chứng chỉ từ sổ gốc",
                       "Văn bằng, chứng chỉ", "Toàn trình", "Trong ngày", "9000", AGENCY,
                       "Nghị định 23/2015/NĐ-CP"]  # fmt: skip
    assert rows[2][1] == "2.001914"
    assert rows[2][5] == "5 ngày làm việc"
    assert len(rows) == 3


def test_xlsx_export_is_an_annex(catalogue):
    sheet = load_workbook(io.BytesIO(exchange.export_xlsx(catalogue))).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0] == EXPORT_HEADER
    assert rows[1][1:5] == ["1.010020", "Cấp bản sao văn bằng, chứng chỉ từ sổ gốc",
                            "Văn bằng, chứng chỉ", "Toàn trình"]  # fmt: skip
    assert len(rows) == 3


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_an_exported_annex_imports_back_unchanged(agency, kind):
    run(agency, annex(COPY, TRANSFER, CORRECT), dry_run=False)
    data = exchange.export_csv(agency).encode() if kind == "csv" else exchange.export_xlsx(agency)
    before = stored()
    report = run(agency, data, filename=f"ds.{kind}", dry_run=False)
    assert report.ok, (report.file_errors, [r.errors for r in report.rows])
    assert [r.action for r in report.rows] == ["unchanged"] * 3
    assert stored() == before


def test_export_of_an_agency_without_procedures(other_agency):
    assert json.loads(exchange.export_json(other_agency))["procedures"] == []
    assert list(csv.reader(io.StringIO(exchange.export_csv(other_agency)[1:]))) == [EXPORT_HEADER]


@pytest.mark.parametrize("timing", ["before", "on_delivery"])
def test_the_fee_timing_travels_with_the_json(catalogue, agency_admin, timing):
    ProcedureVersion.objects.filter(procedure__agency=catalogue).update(fee_timing=timing)
    exported = json.loads(exchange.export_json(catalogue))
    assert {p["fee_timing"] for p in exported["procedures"]} == {timing}
    Procedure.objects.filter(agency=catalogue).delete()
    report = run(
        catalogue,
        json.dumps(exported).encode(),
        filename="ds.json",
        dry_run=False,
        actor=agency_admin,
    )
    assert report.ok
    assert set(
        ProcedureVersion.objects.filter(procedure__agency=catalogue).values_list(
            "fee_timing", flat=True
        )
    ) == {timing}


def test_an_unknown_fee_timing_is_refused(catalogue, agency_admin):
    exported = json.loads(exchange.export_json(catalogue))
    exported["procedures"][0]["fee_timing"] = "sometimes"
    report = run(catalogue, json.dumps(exported).encode(), filename="ds.json", dry_run=True)
    assert not report.ok
    assert any("fee_timing" in error for row in report.rows for error in row.errors)


def test_an_older_list_s_levels_1_to_4_map_to_decree_42_2022_categories(agency):
    """Decree 42/2022/NĐ-CP replaced the four levels of Decree 43/2011 with fully online (toàn
    trình) and partly online (một phần) services (Art. 11(1)), the rest giving information: an
    older list's level 4 is fully online, 3 partly, 1 and 2 information."""
    rows = []
    for number, level in enumerate(["1", "2", "Mức độ 3", "4"], start=1):
        row = [*COPY]
        row[0], row[1], row[4] = str(number), f"1.00000{number}", level
        rows.append(row)
    assert run(agency, annex(*rows), dry_run=False).ok
    versions = {
        v.procedure.code: (v.service_level, v.online_service)
        for v in ProcedureVersion.objects.filter(procedure__agency=agency)
    }
    assert versions == {
        "1.000001": (1, "information"),
        "1.000002": (2, "information"),
        "1.000003": (3, "partial"),
        "1.000004": (4, "full"),
    }


def test_a_list_in_decree_42_2022_words_imports(agency):
    header = [h if h != "Mức độ" else "Dịch vụ công trực tuyến" for h in HEADER]
    rows = []
    for number, words in enumerate(["Toàn trình", "một phần", "Cung cấp thông tin"], start=1):
        row = [*COPY]
        row[0], row[1], row[4] = str(number), f"1.00001{number}", words
        rows.append(row)
    assert run(agency, annex(*rows, header=header), dry_run=False).ok
    assert sorted(
        ProcedureVersion.objects.filter(procedure__agency=agency).values_list(
            "procedure__code", "service_level"
        )
    ) == [("1.000011", 4), ("1.000012", 3), ("1.000013", 2)]


def test_an_exported_annex_keeps_a_typed_formula_as_text(catalogue):
    """Formula injection (OWASP "CSV Injection"): a name that starts with = is text in the
    spreadsheet, not a formula."""
    ProcedureVersion.objects.filter(procedure__agency=catalogue).update(name='=HYPERLINK("x")')
    sheet = load_workbook(io.BytesIO(exchange.export_xlsx(catalogue))).active
    names = [row[2] for row in sheet.iter_rows(min_row=2)]
    assert names and all(c.data_type == "s" and c.value == '=HYPERLINK("x")' for c in names)

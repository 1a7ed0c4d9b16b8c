"""manage.py import_procedures and export_procedures."""

import csv
import io
import json

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from procedures.models import Procedure, ProcedureVersion
from tests.factories import ProcedureVersionFactory

pytestmark = pytest.mark.django_db

AGENCY = "000.00.12.H26"
ANNEX = (
    "STT;Mã thủ tục;Tên thủ tục;Lĩnh vực;Mức độ;Thời hạn giải quyết;Phí, lệ phí (đồng);"
    "Cơ quan thực hiện;Căn cứ pháp lý\n"
    "1;1.010020;Cấp bản sao văn bằng, chứng chỉ từ sổ gốc;Văn bằng, chứng chỉ;2;Trong ngày;"
    "9.000 đồng;000.00.12.H26;Nghị định 23/2015/NĐ-CP\n"
    "2;2.002478;Chuyển trường học sinh THPT;Giáo dục trung học;3;40 giờ;Không;;\n"
)


def command(name, *args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(name, *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def counts() -> tuple[int, int]:
    return Procedure.objects.count(), ProcedureVersion.objects.count()


@pytest.fixture
def annex(tmp_path):
    path = tmp_path / "phu-luc.csv"
    path.write_text("\ufeff" + ANNEX, encoding="utf-8")
    return path


def test_import_is_a_dry_run_by_default(agency, annex):
    out, _err = command("import_procedures", str(annex), "--agency", AGENCY)
    assert counts() == (0, 0)
    lines = out.splitlines()
    assert lines[0].split()[:4] == ["row", "2", "1.010020", "create"]
    assert lines[1].split()[:4] == ["row", "3", "2.002478", "create"]
    assert lines[-1] == "Dry run: 2 to create, 0 to update, 0 unchanged, 0 with errors"


def test_import_apply(agency, annex):
    out, _err = command("import_procedures", str(annex), "--agency", AGENCY, "--apply")
    assert out.splitlines()[-1].startswith("Imported: 2 to create")
    assert counts() == (2, 2)
    assert set(ProcedureVersion.objects.values_list("status", flat=True)) == {"draft"}
    # the second time nothing changes
    out, _err = command("import_procedures", str(annex), "--agency", AGENCY, "--apply")
    assert out.splitlines()[-1] == "Imported: 0 to create, 0 to update, 2 unchanged, 0 with errors"
    assert counts() == (2, 2)


def test_import_of_a_bad_row_fails_and_imports_nothing(agency, tmp_path):
    path = tmp_path / "phu-luc.csv"
    path.write_text(ANNEX.replace(";3;40 giờ", ";cao;40 giờ"), encoding="utf-8")
    with pytest.raises(CommandError, match=r"Nothing imported: 1 to create, .* 1 with errors"):
        command("import_procedures", str(path), "--agency", AGENCY, "--apply")
    assert counts() == (0, 0)


def test_import_of_a_file_that_is_not_a_list(agency, tmp_path):
    path = tmp_path / "anh.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    err = io.StringIO()
    with pytest.raises(CommandError, match="Nothing imported"):
        call_command("import_procedures", str(path), "--agency", AGENCY, "--apply", stderr=err)
    assert err.getvalue().startswith("file: ")
    assert counts() == (0, 0)


def test_import_needs_a_known_agency_and_an_existing_file(agency, annex, tmp_path):
    with pytest.raises(CommandError, match="Unknown agency code"):
        command("import_procedures", str(annex), "--agency", "000.00.99.H99", "--apply")
    with pytest.raises(CommandError, match="No such file"):
        command("import_procedures", str(tmp_path / "khong-co.csv"), "--agency", AGENCY)
    with pytest.raises(CommandError):
        command("import_procedures", str(annex))  # --agency is required
    assert counts() == (0, 0)


@pytest.fixture
def catalogue(agency):
    ProcedureVersionFactory(
        procedure__code="1.010020",
        procedure__agency=agency,
        name="Cấp bản sao văn bằng, chứng chỉ từ sổ gốc",
        published=True,
        level2=True,
    )
    ProcedureVersionFactory(procedure__code="2.002478", procedure__agency=agency, level3=True)
    ProcedureVersionFactory(procedure__code="9.999999")  # another agency
    return agency


def test_export_json_to_standard_output(catalogue, capsys):
    # the command writes to sys.stdout itself, not to the stdout call_command is given
    call_command("export_procedures", "--agency", AGENCY)
    payload = json.loads(capsys.readouterr().out)
    assert payload["agency"] == AGENCY
    assert [p["code"] for p in payload["procedures"]] == ["1.010020", "2.002478"]
    assert payload["procedures"][0]["documents"][0]["template"]["filename"] == "mau-don.pdf"


def test_export_csv(catalogue, tmp_path):
    path = tmp_path / "ds.csv"
    command("export_procedures", "--agency", AGENCY, "--format", "csv", "--output", str(path))
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert rows[0][1] == "Mã thủ tục"
    assert [r[1] for r in rows[1:]] == ["1.010020", "2.002478"]


def test_export_xlsx_needs_an_output_file(catalogue, tmp_path):
    with pytest.raises(CommandError, match="give --output"):
        command("export_procedures", "--agency", AGENCY, "--format", "xlsx")
    path = tmp_path / "ds.xlsx"
    command("export_procedures", "--agency", AGENCY, "--format", "xlsx", "-o", str(path))
    sheet = load_workbook(path).active
    assert [row[1] for row in sheet.iter_rows(values_only=True)] == [
        "Mã thủ tục",
        "1.010020",
        "2.002478",
    ]


def test_export_of_an_unknown_agency(catalogue):
    with pytest.raises(CommandError, match="Unknown agency code"):
        command("export_procedures", "--agency", "000.00.99.H99")


def test_export_then_import_round_trip(catalogue, tmp_path):
    first = tmp_path / "ds.json"
    command("export_procedures", "--agency", AGENCY, "--output", str(first))
    Procedure.objects.filter(agency=catalogue).delete()
    command("import_procedures", str(first), "--agency", AGENCY, "--apply")
    second = tmp_path / "ds2.json"
    command("export_procedures", "--agency", AGENCY, "--output", str(second))
    assert second.read_bytes() == first.read_bytes()

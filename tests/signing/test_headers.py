"""The header of every paper names its governing body from the agency hierarchy (issue 15, item 4):
Decree 30/2020/NĐ-CP, Appendix I (tên cơ quan, tổ chức chủ quản and tên cơ quan ban hành, in
capitals): a department under its city's People's Committee ("ỦY BAN NHÂN DÂN THÀNH PHỐ HÀ NỘI"
above "SỞ GIÁO DỤC VÀ ĐÀO TẠO HÀ NỘI"); a ministry and a ward's People's Committee alone. Since
1 July 2025 the province's People's Committee stands above its departments and wards (Decree
142/2025/NĐ-CP); the ministry is not a department's governing body. Checked on the text of the
rendered PDF (poppler's pdftotext)."""

import datetime as dt
import types
import uuid

import pytest

from portal.models import Agency
from signing import render
from tests.signing.support import run

pytestmark = pytest.mark.django_db


def header(agency, tmp_path) -> str:
    """The left column of the rendered paper's header, its lines joined by spaces (a long name
    may wrap)."""
    document = types.SimpleNamespace(title="GIẤY TIẾP NHẬN HỒ SƠ", verification_code="ABCD1234")
    html = render.render_html(
        "documents/form.html",
        {
            "document": document,
            "agency": agency,
            "facts": [["Mã hồ sơ", "000.00.12.H26-261207-0001"]],
            "signed_at": dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC),
            "verify_url": "http://127.0.0.1:8000/verify/ABCD1234/",
            "qr_src": "qr:http://127.0.0.1:8000/verify/ABCD1234/",
        },
    )
    path = tmp_path / f"{uuid.uuid4().hex}.pdf"
    path.write_bytes(render.render_pdf(html))
    text = run(["pdftotext", "-layout", str(path), "-"])
    above_title = text.split("GIẤY TIẾP NHẬN HỒ SƠ")[0]
    # The left column of the header: what stands before the motto on each line.
    lines = [
        line.split("CỘNG HÒA")[0].split("Độc lập")[0].split("Hà Nội, ngày")[0].strip()
        for line in above_title.splitlines()
    ]
    lines = [line for line in lines if not line.startswith("Số:")]  # the number line
    return " ".join(line for line in lines if line)


@pytest.fixture
def tree():
    ministry = Agency.objects.create(
        code="000.00.00.G03", name="Bộ Giáo dục và Đào tạo", level="ministry"
    )
    city = Agency.objects.create(
        code="000.00.00.H26", name="Ủy ban nhân dân thành phố Hà Nội", level="province_committee"
    )
    department = Agency.objects.create(
        code="000.00.12.H26", name="Sở Giáo dục và Đào tạo Hà Nội", level="province", parent=city
    )
    ward = Agency.objects.create(
        code="000.25.12.H26", name="Ủy ban nhân dân phường Ba Đình", level="commune", parent=city
    )
    return types.SimpleNamespace(ministry=ministry, city=city, department=department, ward=ward)


def test_a_department_is_headed_by_its_city_s_people_s_committee(tree, tmp_path):
    assert header(tree.department, tmp_path) == (
        "ỦY BAN NHÂN DÂN THÀNH PHỐ HÀ NỘI SỞ GIÁO DỤC VÀ ĐÀO TẠO HÀ NỘI"
    )


def test_a_ministry_heads_its_papers_alone(tree, tmp_path):
    assert header(tree.ministry, tmp_path) == "BỘ GIÁO DỤC VÀ ĐÀO TẠO"


def test_a_ward_s_people_s_committee_heads_its_papers_alone(tree, tmp_path):
    assert header(tree.ward, tmp_path) == "ỦY BAN NHÂN DÂN PHƯỜNG BA ĐÌNH"


def test_a_department_still_filed_under_the_ministry_prints_no_wrong_governing_body(tree, tmp_path):
    """The ministry of a sector does not govern a province's department: an agency left under
    it from before the two-tier reform gets no governing line rather than a wrong one."""
    tree.department.parent = tree.ministry
    tree.department.save()
    assert header(tree.department, tmp_path) == "SỞ GIÁO DỤC VÀ ĐÀO TẠO HÀ NỘI"

"""The public, read-only catalogue API (/api/v1/)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from portal.models import Agency
from tests.factories import AgencyFactory, FieldFactory, ProcedureVersionFactory

pytestmark = pytest.mark.django_db

LIST = "/api/v1/procedures/"


@pytest.fixture
def api():
    return APIClient()


def codes(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["code"] for item in response.json()["results"]]


@pytest.fixture
def catalogue(agency, other_agency):
    diplomas = FieldFactory(code="van-bang-chung-chi", name="Văn bằng, chứng chỉ")
    schools = FieldFactory(code="giao-duc-trung-hoc", name="Giáo dục trung học")
    make = ProcedureVersionFactory
    return {
        "copy": make(
            procedure__code="1.010020", procedure__agency=agency, field=diplomas,
            name="Cấp bản sao văn bằng, chứng chỉ từ sổ gốc", published=True, level2=True,
            applicant_type="both", legal_basis="Nghị định 23/2015/NĐ-CP",
            channels=[{"same_day": True, "fee_vnd": 9000, "fee_note": "mỗi bản"}],
            documents=[
                {"name": "Đơn đề nghị cấp bản sao", "with_template": True},
                {"name": "Giấy ủy quyền", "case": "Người được ủy quyền", "required": False},
            ],
        ),
        "transfer": make(
            procedure__code="2.002478", procedure__agency=agency, field=schools,
            name="Chuyển trường đối với học sinh trung học phổ thông", published=True,
            level3=True,
        ),
        "correct": make(
            procedure__code="2.001914", procedure__agency=other_agency, field=diplomas,
            name="Chỉnh sửa nội dung văn bằng, chứng chỉ", published=True, level4=True,
            implementing_level="commune", applicant_type="organization",
        ),
        "draft": make(procedure__code="1.005142", procedure__agency=agency, field=schools),
    }  # fmt: skip


def test_the_list(api, catalogue):
    response = api.get(LIST)
    assert codes(response) == ["1.010020", "2.001914", "2.002478"]
    body = response.json()
    assert body["count"] == 3
    first = body["results"][0]
    assert first == {
        "code": "1.010020",
        "service_code": "1.010020.000.00.12.H26",
        "name": "Cấp bản sao văn bằng, chứng chỉ từ sổ gốc",
        "agency": "000.00.12.H26",
        "agency_name": "Sở Giáo dục và Đào tạo Hà Nội",
        "field": "van-bang-chung-chi",
        "field_name": "Văn bằng, chứng chỉ",
        "implementing_level": "province",
        "online_service": "information",  # Decree 42/2022 Art. 11
        "online_level": "Cung cấp thông tin trực tuyến",
        "service_level": 2,  # the legacy level it is stored as
        "applicant_type": "both",
        "number": 1,
        "effective_date": catalogue["copy"].effective_date.isoformat(),
        "channels": [
            {
                "kind": "in_person",
                "time_amount": None,
                "time_unit": "same_day",
                "fee_vnd": 9000,
                "fee_note": "mỗi bản",
                "note": "",
            }
        ],
    }
    assert first["online_level"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "cap ban sao"}, ["1.010020"]),
        ({"q": "CHUYỂN TRƯỜNG"}, ["2.002478"]),
        ({"q": "2.001914"}, ["2.001914"]),
        ({"field": "van-bang-chung-chi"}, ["1.010020", "2.001914"]),
        ({"agency": "000.00.31.H29"}, ["2.001914"]),
        ({"implementing_level": "commune"}, ["2.001914"]),
        ({"level": 3}, ["2.002478"]),
        ({"applicant": "individual"}, ["1.010020", "2.002478"]),
        ({"applicant": "organization"}, ["1.010020", "2.001914"]),
        # An unknown code filters to nothing, not to everything (the search page drops it).
        ({"field": "khong-co"}, []),
        ({"agency": "000.00.99.H99"}, []),
    ],
)
def test_filters_and_search(api, catalogue, params, expected):
    assert sorted(codes(api.get(LIST, params))) == expected


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"level": "x", "agency": "000.00.12.H26"}, "level", '"x" is not a valid choice.'),
        ({"level": ""}, "level", '"" is not a valid choice.'),
        ({"level": "5"}, "level", '"5" is not a valid choice.'),
        ({"implementing_level": "district"}, "implementing_level", "not a valid choice"),
        ({"applicant": "both"}, "applicant", '"both" is not a valid choice.'),
        ({"q": "x" * 201}, "q", "no more than 200 characters"),
        ({"field": "x" * 65}, "field", "no more than 64 characters"),
    ],
)
def test_a_filter_the_schema_does_not_allow_is_a_400(api, catalogue, params, field, message):
    """Issue 13: the API refuses what its schema forbids, by name (the search page, for
    people, drops an odd filter instead)."""
    response = api.get(LIST, params, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert message in response.json()[field][0]


def test_pagination(api):
    agency = AgencyFactory()
    for i in range(23):
        ProcedureVersionFactory(
            procedure__code=f"3.{i:06d}", procedure__agency=agency, published=True
        )
    first = api.get(LIST).json()
    assert first["count"] == 23
    assert len(first["results"]) == 20
    assert first["next"].endswith("/api/v1/procedures/?page=2")
    second = api.get(first["next"]).json()
    assert [r["code"] for r in second["results"]] == ["3.000020", "3.000021", "3.000022"]
    assert api.get(LIST, {"page": 3}).status_code == 404


def test_the_detail(api, catalogue):
    version = catalogue["copy"]
    response = api.get(f"{LIST}{version.procedure.service_code}/")
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == "1.010020"
    assert body["legal_basis"] == "Nghị định 23/2015/NĐ-CP"
    assert body["form_schema"] == []
    assert body["channels"][0]["fee_vnd"] == 9000
    form, proxy = body["documents"]
    document = version.documents.get(name="Đơn đề nghị cấp bản sao")
    assert form == {
        "id": document.pk,
        "case": "",
        "name": "Đơn đề nghị cấp bản sao",
        "originals": 1,
        "copies": 0,
        "required": True,
        "template_url": (
            f"http://testserver/procedures/1.010020.000.00.12.H26/documents/{document.pk}/template/"
        ),
    }
    assert proxy["case"] == "Người được ủy quyền"
    assert proxy["required"] is False
    assert proxy["template_url"] is None
    # the link works
    assert api.get(form["template_url"]).status_code == 200


def test_the_detail_of_a_level_3_procedure_has_its_form(api, catalogue):
    body = api.get(f"{LIST}2.002478/").json()
    assert body["service_level"] == 3
    assert body["form_schema"] == [
        {"name": "full_name", "label": "Họ và tên", "type": "text", "required": True}
    ]
    assert {c["kind"] for c in body["channels"]} == {"in_person", "online"}


def test_no_template_url_at_level_1(api, agency):
    version = ProcedureVersionFactory(
        procedure__agency=agency, published=True, documents=[{"with_template": True}]
    )
    body = api.get(f"{LIST}{version.procedure.service_code}/").json()
    assert body["documents"][0]["template_url"] is None


@pytest.mark.parametrize(
    "code",
    [
        "9.999999",
        "1.005142",  # a draft
        "1.010020.000.00.31.H29",  # the code, but another agency
        "<script>",
        "x" * 2000,
        "%25",
    ],
)
def test_unknown_codes_are_404(api, catalogue, code):
    response = api.get(f"{LIST}{code}/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")


def test_an_ambiguous_plain_code(api, catalogue, other_agency):
    theirs = ProcedureVersionFactory(
        procedure__code="1.010020", procedure__agency=other_agency, published=True
    )
    assert api.get(f"{LIST}1.010020/").status_code == 404
    assert api.get(f"{LIST}1.010020.000.00.31.H29/").json()["name"] == theirs.name
    assert api.get(f"{LIST}1.010020.000.00.12.H26/").json()["name"] == catalogue["copy"].name


ODD = [
    "x" * 200,
    "%_\\'\"<script>",
    "🎓📄",
    "?!.,;:",
    "' OR '1'='1",
]


@pytest.mark.parametrize("query", ODD)
def test_odd_searches_answer(api, catalogue, query):
    response = api.get(LIST, {"q": query})
    assert response.status_code == 200
    assert isinstance(response.json()["results"], list)


def test_a_search_with_control_characters_is_a_clear_400(api, catalogue):
    """Issue 13: control characters are refused with a message, never searched for."""
    response = api.get(LIST, {"q": "\x01\x02\x1f\x7f"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "control character" in response.json()["detail"]


def test_the_list_costs_the_same_queries_for_5_or_25(api, no_page_cache, django_assert_num_queries):
    def make(n, start):
        for i in range(start, start + n):
            ProcedureVersionFactory(
                procedure__code=f"3.{i:06d}",
                procedure__agency=AgencyFactory(),
                published=True,
                level4=i % 2 == 0,
            )

    make(5, 0)
    api.get(LIST, {"q": "thu tuc"})
    with CaptureQueriesContext(connection) as small:
        assert len(api.get(LIST, {"q": "thu tuc"}).json()["results"]) == 5
    make(20, 5)
    with django_assert_num_queries(len(small)):
        assert len(api.get(LIST, {"q": "thu tuc"}).json()["results"]) == 20


def test_fields(api):
    FieldFactory(code="van-bang-chung-chi", name="Văn bằng, chứng chỉ", order=2)
    FieldFactory(code="thi-tuyen-sinh", name="Thi, tuyển sinh", order=1)
    response = api.get("/api/v1/fields/")
    assert response.status_code == 200
    assert response.json() == [
        {"code": "thi-tuyen-sinh", "name": "Thi, tuyển sinh"},
        {"code": "van-bang-chung-chi", "name": "Văn bằng, chứng chỉ"},
    ]


def test_agencies(api):
    ministry = Agency.objects.create(
        code="000.00.00.G03", name="Bộ Giáo dục và Đào tạo", level="ministry"
    )
    Agency.objects.create(
        code="000.00.12.H26",
        name="Sở Giáo dục và Đào tạo Hà Nội",
        short_name="Sở GD&ĐT Hà Nội",
        level="province",
        parent=ministry,
    )
    Agency.objects.create(code="000.00.13.H26", name="Đã giải thể", level="province",
                          is_active=False)  # fmt: skip
    response = api.get("/api/v1/agencies/")
    assert response.status_code == 200
    assert response.json() == [
        {
            "code": "000.00.00.G03",
            "name": "Bộ Giáo dục và Đào tạo",
            "short_name": "",
            "level": "ministry",
            "parent": None,
        },
        {
            "code": "000.00.12.H26",
            "name": "Sở Giáo dục và Đào tạo Hà Nội",
            "short_name": "Sở GD&ĐT Hà Nội",
            "level": "province",
            "parent": "000.00.00.G03",
        },
    ]


def test_the_api_is_read_only(api, catalogue):
    assert api.post(LIST, {"code": "x"}).status_code == 405
    assert api.delete(f"{LIST}1.010020/").status_code == 405


def test_the_schema_documents_the_catalogue(api):
    response = api.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    paths = schema["paths"]
    for path in (
        "/api/v1/procedures/",
        "/api/v1/procedures/{code}/",
        "/api/v1/fields/",
        "/api/v1/agencies/",
    ):
        assert path in paths
        assert "get" in paths[path]
    parameters = {p["name"] for p in paths["/api/v1/procedures/"]["get"]["parameters"]}
    assert {
        "q",
        "field",
        "agency",
        "implementing_level",
        "level",
        "applicant",
        "page",
    } <= parameters
    assert "post" not in paths["/api/v1/procedures/"]

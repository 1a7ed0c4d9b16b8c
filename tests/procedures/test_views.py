"""The public catalogue pages: list, filters, detail, form download, file online, preview."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from procedures import services
from procedures.models import ProcedureVersion
from tests.factories import (
    TEMPLATE_PDF,
    AgencyFactory,
    FieldFactory,
    ProcedureVersionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

CATALOGUE = reverse("procedures:catalogue")


def detail_url(code: str) -> str:
    return reverse("procedures:detail", args=[code])


def listed(response) -> list[str]:
    assert response.status_code == 200
    return [v.procedure.code for v in response.context["page"].object_list]


# --- the list ------------------------------------------------------------------------------------


@pytest.fixture
def catalogue(agency, other_agency):
    diplomas = FieldFactory(code="van-bang-chung-chi", name="Văn bằng, chứng chỉ")
    schools = FieldFactory(code="giao-duc-trung-hoc", name="Giáo dục trung học")
    make = ProcedureVersionFactory
    return {
        "1.010020": make(
            procedure__code="1.010020", procedure__agency=agency, field=diplomas,
            name="Cấp bản sao văn bằng, chứng chỉ từ sổ gốc", published=True, level2=True,
            applicant_type="both",
        ),
        "2.002478": make(
            procedure__code="2.002478", procedure__agency=agency, field=schools,
            name="Chuyển trường đối với học sinh trung học phổ thông", published=True,
            level3=True, applicant_type="individual",
        ),
        "2.001914": make(
            procedure__code="2.001914", procedure__agency=other_agency, field=diplomas,
            name="Chỉnh sửa nội dung văn bằng, chứng chỉ", published=True, level4=True,
            implementing_level="commune", applicant_type="organization",
        ),
        "1.004889": make(
            procedure__code="1.004889", procedure__agency=other_agency, field=diplomas,
            name="Công nhận văn bằng do cơ sở nước ngoài cấp", published=True,
            implementing_level="ministry", applicant_type="individual",
        ),
        # not public
        "draft": make(procedure__code="1.005142", procedure__agency=agency, field=schools),
        "archived": make(
            procedure__code="1.005095", procedure__agency=agency, field=schools, archived=True
        ),
    }  # fmt: skip


def test_the_catalogue_lists_published_procedures_only(client, catalogue):
    response = client.get(CATALOGUE)
    assert listed(response) == ["1.004889", "1.010020", "2.001914", "2.002478"]
    html = response.content.decode()
    assert "Cấp bản sao văn bằng, chứng chỉ từ sổ gốc" in html
    assert detail_url("1.010020.000.00.12.H26") in html
    assert "1.005142" not in html
    assert "1.005095" not in html


@pytest.mark.parametrize(
    ("params", "codes"),
    [
        ({"field": "van-bang-chung-chi"}, ["1.004889", "1.010020", "2.001914"]),
        ({"field": "giao-duc-trung-hoc"}, ["2.002478"]),
        ({"agency": "000.00.31.H29"}, ["1.004889", "2.001914"]),
        ({"implementing_level": "commune"}, ["2.001914"]),
        ({"implementing_level": "ministry"}, ["1.004889"]),
        # Decree 42/2022/NĐ-CP Art. 11: information (older levels 1-2), partly (3), fully (4).
        ({"online": "information"}, ["1.004889", "1.010020"]),
        ({"online": "partial"}, ["2.002478"]),
        ({"online": "full"}, ["2.001914"]),
        # "both" serves individuals and organisations alike
        ({"applicant": "individual"}, ["1.004889", "1.010020", "2.002478"]),
        ({"applicant": "organization"}, ["1.010020", "2.001914"]),
        ({"field": "van-bang-chung-chi", "agency": "000.00.12.H26"}, ["1.010020"]),
        ({"q": "van bang", "agency": "000.00.31.H29", "online": "full"}, ["2.001914"]),
        ({"q": "chuyen truong", "field": "van-bang-chung-chi"}, []),
    ],
)
def test_filters(client, catalogue, params, codes):
    assert sorted(listed(client.get(CATALOGUE, params))) == codes


@pytest.mark.parametrize(
    "params",
    [
        {"field": "khong-co"},
        {"agency": "000.00.99.H99"},
        {"implementing_level": "district"},
        {"level": "9"},
        {"level": "abc"},
        {"applicant": "both"},
        {"page": "abc"},
        {"page": "-1"},
        {"page": "99999999999999999999"},
        {"unknown": "x"},
    ],
)
def test_unknown_filter_values_are_ignored(client, catalogue, params):
    assert listed(client.get(CATALOGUE, params)) == ["1.004889", "1.010020", "2.001914", "2.002478"]


def test_a_bad_filter_keeps_the_good_ones(client, catalogue):
    assert listed(client.get(CATALOGUE, {"level": "abc", "agency": "000.00.31.H29"})) == [
        "1.004889",
        "2.001914",
    ]


def test_filter_choices_list_what_is_published(client, catalogue):
    form = client.get(CATALOGUE).context["form"]
    assert [c for c, _label in form.fields["field"].choices] == [
        "",
        "giao-duc-trung-hoc",
        "van-bang-chung-chi",
    ]
    assert [c for c, _label in form.fields["agency"].choices] == [
        "",
        "000.00.12.H26",
        "000.00.31.H29",
    ]


def test_the_search_box(client, catalogue):
    assert listed(client.get(CATALOGUE, {"q": "cap ban sao"})) == ["1.010020"]
    assert listed(client.get(CATALOGUE, {"q": "2.002478"})) == ["2.002478"]


def published(n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        ProcedureVersionFactory(
            procedure__code=f"3.{i:06d}",
            procedure__agency=AgencyFactory(),
            field=FieldFactory(),
            published=True,
            service_level=1 + i % 4,
            level3=i % 4 >= 2,
        )


def test_pagination(client):
    published(25)
    first = client.get(CATALOGUE)
    assert len(listed(first)) == 20
    assert first.context["page"].paginator.count == 25
    second = client.get(CATALOGUE, {"page": 2})
    assert listed(second) == [f"3.{i:06d}" for i in range(20, 25)]
    assert set(listed(first)).isdisjoint(listed(second))
    # past the end: the last page
    assert listed(client.get(CATALOGUE, {"page": 7})) == listed(second)


def test_pagination_keeps_the_search_and_filters(client):
    published(45)
    response = client.get(CATALOGUE, {"q": "thu tuc", "applicant": "individual", "page": "2"})
    assert response.context["page"].paginator.count == 45
    html = response.content.decode()
    assert 'href="?q=thu+tuc&amp;applicant=individual&amp;page=1"' in html
    assert 'href="?q=thu+tuc&amp;applicant=individual&amp;page=3"' in html
    assert "page=2&amp;page" not in html


@pytest.mark.parametrize("params", [{}, {"q": "thu tuc nghiem"}, {"level": "1", "q": "3.0000"}])
def test_the_list_page_costs_the_same_queries_for_5_or_25(
    client, django_assert_num_queries, no_page_cache, params
):
    published(5)
    client.get(CATALOGUE, params)  # warm up
    with CaptureQueriesContext(connection) as small:
        response = client.get(CATALOGUE, params)
    assert response.context["page"].object_list
    published(20, start=5)
    with django_assert_num_queries(len(small)):
        response = client.get(CATALOGUE, params)
    assert len(response.context["page"].object_list) > 1


def test_a_cached_page_does_not_outlive_a_publication(
    client, agency, agency_admin, django_capture_on_commit_callbacks
):
    assert listed(client.get(CATALOGUE)) == []
    draft = ProcedureVersionFactory(procedure__agency=agency, procedure__code="1.010020")
    assert client.get(CATALOGUE).headers.get("X-Page-Cache") == "hit"
    with django_capture_on_commit_callbacks(execute=True):
        services.procedure_version_publish(version=draft, actor=agency_admin)
    response = client.get(CATALOGUE)
    assert response.headers.get("X-Page-Cache") is None
    assert listed(response) == ["1.010020"]


# --- odd input never fails -----------------------------------------------------------------------

ODD = [
    "x" * 2000,
    "%_\\'\"<script>alert(1)</script>",
    "🎓📄 văn bằng",
    "...,;:!?-",
    "' OR 1=1; DROP TABLE procedures_procedure; --",
    "\u202e\u200b",
]


@pytest.mark.parametrize("query", ODD)
def test_odd_searches_give_a_page(client, catalogue, query):
    response = client.get(CATALOGUE, {"q": query})
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.content.decode()
    assert ProcedureVersion.objects.count() == 6


def test_a_search_with_control_characters_is_a_clear_400(client, catalogue):
    """Issue 13: control characters are refused with a message, not searched for."""
    response = client.get(CATALOGUE, {"q": "\x01\x02\x1b[31m\x7f"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "control character" in response.content.decode()


# --- the detail page -----------------------------------------------------------------------------


@pytest.fixture
def level3(agency):
    return ProcedureVersionFactory(
        procedure__code="2.002478",
        procedure__agency=agency,
        name="Chuyển trường đối với học sinh trung học phổ thông",
        published=True,
        level3=True,
        steps="Bước 1: nộp đơn tại trường nơi chuyển đến.",
        legal_basis="Quyết định 51/2002/QĐ-BGDĐT",
        channels=[
            {"time_amount": 40, "time_unit": "working_hours", "fee_note": "không thu phí"},
            {"online": True, "time_amount": 3, "note": "chỉ cuối học kỳ I hoặc hè"},
        ],
        documents=[
            {"name": "Đơn xin chuyển trường", "with_template": True},
            {"name": "Học bạ (bản chính)", "case": "Chuyển trong tỉnh"},
            {"name": "Giấy giới thiệu của Sở", "case": "Chuyển tỉnh", "required": False},
        ],
    )


def test_the_detail_page(client, level3):
    response = client.get(detail_url(level3.procedure.service_code))
    assert response.status_code == 200
    assert response.context["version"].pk == level3.pk
    html = response.content.decode()
    for text in [
        "Chuyển trường đối với học sinh trung học phổ thông",
        "2.002478",
        "không thu phí",
        "chỉ cuối học kỳ I hoặc hè",
        "Đơn xin chuyển trường",
        "Học bạ (bản chính)",
        "Chuyển trong tỉnh",
        "Giấy giới thiệu của Sở",
        "Bước 1: nộp đơn tại trường nơi chuyển đến.",
        "Quyết định 51/2002/QĐ-BGDĐT",
    ]:
        assert text in html
    document = level3.documents.get(name="Đơn xin chuyển trường")
    template_url = reverse("procedures:template", args=[level3.procedure.service_code, document.pk])
    assert template_url in html


def test_the_detail_page_in_english(client, level3):
    with translation.override("en"):
        response = client.get(detail_url(level3.procedure.service_code), HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert "40 working hours" in html
    assert "(optional)" in html


@pytest.mark.parametrize(("level", "offered"), [(1, False), (2, False), (3, True), (4, True)])
def test_file_online_button_from_level_3(client, agency, level, offered):
    version = ProcedureVersionFactory(
        procedure__agency=agency, published=True, service_level=level, level3=level >= 3
    )
    html = client.get(detail_url(version.procedure.service_code)).content.decode()
    file_url = f"/procedures/{version.procedure.service_code}/file/"
    assert reverse("procedures:file", args=[version.procedure.service_code]) == file_url
    assert (f'href="{file_url}"' in html) is offered


@pytest.mark.parametrize(("level", "offered"), [(1, False), (2, True), (4, True)])
def test_form_download_links_from_level_2(client, agency, level, offered):
    version = ProcedureVersionFactory(
        procedure__agency=agency,
        published=True,
        service_level=level,
        level3=level >= 3,
        documents=[{"with_template": True}],
    )
    html = client.get(detail_url(version.procedure.service_code)).content.decode()
    assert ("/template/" in html) is offered


def test_file_online_needs_a_login(client, level3):
    url = reverse("procedures:file", args=[level3.procedure.service_code])
    response = client.get(url)
    start = reverse("submissions:start", args=[level3.procedure.service_code])
    assert response.status_code == 302 and response.url == start
    response = client.get(start)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    assert "next=" in response.url

    client.force_login(UserFactory())
    response = client.get(url, follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Họ và tên" in html  # the schema's field
    assert "Đơn xin chuyển trường" in html


@pytest.mark.parametrize("level", [1, 2])
def test_no_online_filing_below_level_3(client, agency, level):
    version = ProcedureVersionFactory(procedure__agency=agency, published=True, service_level=level)
    client.force_login(UserFactory())
    assert client.get(reverse("procedures:file", args=[version.procedure.code])).status_code == 404


# --- form templates ------------------------------------------------------------------------------


@pytest.mark.parametrize("level", [2, 3, 4])
def test_the_form_downloads_as_an_attachment(client, agency, level):
    version = ProcedureVersionFactory(
        procedure__agency=agency, published=True, service_level=level, level3=level >= 3
    )
    document = version.documents.get()
    url = reverse("procedures:template", args=[version.procedure.service_code, document.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="mau-don.pdf"'
    assert b"".join(response.streaming_content) == TEMPLATE_PDF


def test_no_download_at_level_1(client, agency):
    version = ProcedureVersionFactory(
        procedure__agency=agency, published=True, documents=[{"with_template": True}]
    )
    document = version.documents.get()
    assert document.template
    url = reverse("procedures:template", args=[version.procedure.service_code, document.pk])
    assert client.get(url).status_code == 404


def test_no_download_of_another_procedures_document(client, agency):
    mine = ProcedureVersionFactory(procedure__agency=agency, published=True, level2=True)
    theirs = ProcedureVersionFactory(published=True, level2=True)
    url = reverse(
        "procedures:template", args=[mine.procedure.service_code, theirs.documents.get().pk]
    )
    assert client.get(url).status_code == 404


def test_no_download_of_a_draft_or_an_archived_version(client, agency):
    archived = ProcedureVersionFactory(procedure__agency=agency, archived=True, level2=True)
    draft = ProcedureVersionFactory(procedure=archived.procedure, number=2, level2=True)
    for version in (archived, draft):
        url = reverse(
            "procedures:template",
            args=[version.procedure.service_code, version.documents.get().pk],
        )
        assert client.get(url).status_code == 404


def test_no_download_without_a_file(client, agency):
    version = ProcedureVersionFactory(
        procedure__agency=agency, published=True, level2=True, documents=[{}]
    )
    url = reverse(
        "procedures:template", args=[version.procedure.service_code, version.documents.get().pk]
    )
    assert client.get(url).status_code == 404


# --- codes ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "code",
    [
        "9.999999",
        "9.999999.000.00.12.H26",
        "2.002478.000.00.99.H99",
        "<script>",
        "x" * 2000,
        "%00",
        "..",
    ],
)
def test_an_unknown_code_is_404(client, level3, code):
    assert client.get(detail_url(code)).status_code == 404


def test_a_draft_only_procedure_is_404(client, agency):
    draft = ProcedureVersionFactory(procedure__agency=agency)
    assert client.get(detail_url(draft.procedure.code)).status_code == 404
    assert client.get(detail_url(draft.procedure.service_code)).status_code == 404


def test_the_published_version_is_shown_not_the_draft_or_archive(client, agency):
    old = ProcedureVersionFactory(procedure__agency=agency, archived=True, name="Tên cũ")
    ProcedureVersionFactory(procedure=old.procedure, number=2, published=True, name="Tên hiện hành")
    ProcedureVersionFactory(procedure=old.procedure, number=3, name="Tên dự thảo")
    html = client.get(detail_url(old.procedure.code)).content.decode()
    assert "Tên hiện hành" in html
    assert "Tên cũ" not in html
    assert "Tên dự thảo" not in html


def test_a_plain_code_published_by_one_agency(client, level3):
    response = client.get(detail_url("2.002478"))
    assert response.status_code == 200
    assert response.context["version"].pk == level3.pk


def test_a_plain_code_published_by_two_agencies_goes_to_the_search(client, level3, other_agency):
    theirs = ProcedureVersionFactory(
        procedure__code="2.002478", procedure__agency=other_agency, published=True
    )
    response = client.get(detail_url("2.002478"))
    assert response.status_code == 302
    assert response.url == f"{CATALOGUE}?q=2.002478"
    # each service code resolves its own
    mine = client.get(detail_url("2.002478.000.00.12.H26"))
    assert mine.context["version"].pk == level3.pk
    other = client.get(detail_url("2.002478.000.00.31.H29"))
    assert other.context["version"].pk == theirs.pk
    # and the search shows both
    assert listed(client.get(response.url)) == ["2.002478", "2.002478"]


# --- preview (admin) -----------------------------------------------------------------------------


def test_an_agency_admin_previews_a_draft_of_the_agency(client, agency, agency_admin):
    draft = ProcedureVersionFactory(procedure__agency=agency, name="Bản dự thảo", level3=True)
    client.force_login(agency_admin)
    response = client.get(reverse("procedures:preview", args=[draft.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Bản dự thảo" in html
    # no working links from a preview
    assert reverse("procedures:file", args=[draft.procedure.service_code]) not in html
    assert "/template/" not in html


def test_no_preview_of_another_agencys_draft(client, other_agency, agency_admin):
    draft = ProcedureVersionFactory(procedure__agency=other_agency)
    client.force_login(agency_admin)
    assert client.get(reverse("procedures:preview", args=[draft.pk])).status_code == 404


def test_a_superuser_previews_any_draft(client, other_agency, superuser):
    draft = ProcedureVersionFactory(procedure__agency=other_agency)
    client.force_login(superuser)
    assert client.get(reverse("procedures:preview", args=[draft.pk])).status_code == 200


@pytest.mark.parametrize("who", ["anonymous", "citizen", "staff without role"])
def test_no_preview_for_others(client, agency, who):
    draft = ProcedureVersionFactory(procedure__agency=agency)
    if who == "citizen":
        client.force_login(UserFactory())
    elif who == "staff without role":
        client.force_login(UserFactory(is_staff=True, agency=agency))
    response = client.get(reverse("procedures:preview", args=[draft.pk]))
    assert response.status_code in {302, 404}
    if response.status_code == 302:
        assert "/admin/login/" in response.url

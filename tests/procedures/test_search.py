"""Accent-insensitive search by name and code; one-letter typos on PostgreSQL."""

from types import SimpleNamespace

import pytest
from django.db import connection

from procedures import selectors
from procedures.search import MAX_QUERY_LENGTH, fold, terms
from procedures.selectors import CatalogueFilters
from tests.factories import ProcedureVersionFactory

COPY = "Cấp bản sao văn bằng, chứng chỉ từ sổ gốc"
TRANSFER = "Chuyển trường đối với học sinh trung học phổ thông"
CORRECT = "Chỉnh sửa nội dung văn bằng, chứng chỉ"
FOREIGN = "Công nhận bằng tốt nghiệp trung học cơ sở, trung học phổ thông do cơ sở nước ngoài cấp"

# The search's two branches. On another database the PostgreSQL one would only run the substring
# search again, so it is marked to be left out where there is no PostgreSQL (`make test-fast`).
BRANCHES = [pytest.param("postgresql", marks=pytest.mark.postgresql), "substring"]


# --- folding -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        (COPY, "cap ban sao van bang chung chi tu so goc"),
        ("ĐĂNG KÝ dự thi", "dang ky du thi"),
        ("Đồng ý — đã đủ?", "dong y da du"),
        ("Mã 1.010020; mức độ 4", "ma 1.010020 muc do 4"),
        ("  nhiều   khoảng\ttrắng\n ", "nhieu khoang trang"),
        # NFC and NFD forms of the same words fold alike
        ("Trường", "truong"),
        ("Trường", "truong"),
        ("", ""),
        (None, ""),
        ("%_\\'\"<script>", "script"),
    ],
)
def test_fold(text, folded):
    assert fold(text) == folded


def test_terms_are_folded_unique_and_without_edge_dots():
    assert terms("Văn bằng VĂN BẰNG ...bằng. 2.001914.") == ["van", "bang", "2.001914"]


def test_terms_of_nothing():
    assert terms("") == []
    assert terms(None) == []
    assert terms("!!! ??? ...") == []


def test_terms_are_bounded():
    many = " ".join(f"tu{i}" for i in range(40))
    assert terms(many) == [f"tu{i}" for i in range(12)]
    # a huge query is cut before it is folded
    assert terms("a" * 10_000) == ["a" * (MAX_QUERY_LENGTH * 2)]


# --- the catalogue search ------------------------------------------------------------------------


@pytest.fixture
def catalogue(db, agency):
    found = {}
    for code, name in [
        ("1.010020", COPY),
        ("2.002478", TRANSFER),
        ("2.001914", CORRECT),
        ("1.004889", FOREIGN),
    ]:
        found[code] = ProcedureVersionFactory(
            procedure__code=code, procedure__agency=agency, name=name, published=True
        )
    # Not public: never found whatever the query.
    ProcedureVersionFactory(procedure__code="1.005142", procedure__agency=agency, name=COPY)
    ProcedureVersionFactory(
        procedure__code="1.005095", procedure__agency=agency, name=COPY, archived=True
    )
    return found


def search(query: str) -> list[str]:
    versions = selectors.procedure_list_for(filters=CatalogueFilters(query=query))
    return [v.procedure.code for v in versions]


@pytest.fixture
def substring_only(monkeypatch):
    """The non-PostgreSQL branch of the search, run against the real database."""
    monkeypatch.setattr(selectors, "connection", SimpleNamespace(vendor="sqlite"))


@pytest.mark.postgresql
def test_the_suite_runs_on_postgresql():
    assert connection.vendor == "postgresql"


def test_search_text_is_the_folded_code_and_name(catalogue):
    assert catalogue["1.010020"].search_text == "1.010020 cap ban sao van bang chung chi tu so goc"


def test_search_text_follows_a_renamed_version(catalogue):
    version = catalogue["2.001914"]
    version.name = "Sửa đổi văn bằng"
    version.save(update_fields=["name"])
    version.refresh_from_db()
    assert version.search_text == "2.001914 sua doi van bang"


@pytest.mark.parametrize("branch", BRANCHES)
@pytest.mark.parametrize(
    "query",
    [
        "cap ban sao van bang",
        "Cấp bản sao văn bằng",
        "CAP BAN SAO",
        "sổ gốc",
        "1.010020",
        "ban sao 1.010020",
    ],
)
def test_accents_case_and_code(request, catalogue, branch, query):
    if branch == "substring":
        request.getfixturevalue("substring_only")
        assert search(query) == ["1.010020"]
    else:
        # trigram similarity may add near matches, but never before the exact one
        found = search(query)
        assert found[0] == "1.010020"
        assert "2.002478" not in found


@pytest.mark.parametrize("branch", BRANCHES)
def test_every_word_must_match(request, catalogue, branch):
    if branch == "substring":
        request.getfixturevalue("substring_only")
    assert sorted(search("van bang chung chi")) == ["1.010020", "2.001914"]
    assert search("van bang ngoai ngu tin hoc") == []


def test_substring_search_needs_every_word(catalogue, substring_only):
    assert search("van bang chuyen truong") == []


@pytest.mark.parametrize("branch", BRANCHES)
def test_no_query_lists_every_published_procedure_by_code(request, catalogue, branch):
    if branch == "substring":
        request.getfixturevalue("substring_only")
    assert search("") == ["1.004889", "1.010020", "2.001914", "2.002478"]
    assert search("  ,.;  ") == ["1.004889", "1.010020", "2.001914", "2.002478"]


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("chuyen truogn hoc sinh", "2.002478"),
        ("chuyen truong hco sinh", "2.002478"),
        ("cap ban sao van bnag", "1.010020"),
        ("van bnag chung chi tu so goc", "1.010020"),
        ("cong nhan bagn tot nghiep", "1.004889"),
    ],
)
@pytest.mark.postgresql
def test_one_letter_typos_are_forgiven_on_postgresql(catalogue, query, code):
    found = search(query)
    assert found
    assert found[0] == code


def test_typos_are_not_forgiven_by_substring_search(catalogue, substring_only):
    assert search("chuyen truogn hoc sinh") == []


@pytest.mark.postgresql
def test_the_closest_match_comes_first_on_postgresql(catalogue):
    # both contain "van bang chung chi"; the correction procedure starts with "chinh sua"
    assert search("chinh sua van bang")[0] == "2.001914"


def test_unrelated_words_find_nothing(catalogue):
    assert search("giay phep lai xe") == []


@pytest.mark.parametrize(
    "query",
    [
        "x" * 2000,
        "%",
        "_",
        "%_\\'\"<script>alert(1)</script>",
        "' OR 1=1 --",
        "🎓📄",
        "\x01\x02\x1f\x7f",
        "...,;:!?",
        "văn bằng " * 300,
    ],
)
@pytest.mark.parametrize("branch", BRANCHES)
def test_odd_queries_never_fail(request, catalogue, query, branch):
    if branch == "substring":
        request.getfixturevalue("substring_only")
    assert isinstance(search(query), list)

"""The catalogue's admin: agency scoping, drafts only, the schema check, publish, import/export."""

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models.fields.files import FieldFile
from django.urls import reverse
from openpyxl import load_workbook

from procedures.models import Channel, Procedure, ProcedureVersion, RequiredDocument
from tests.factories import OfficerFactory, ProcedureVersionFactory

pytestmark = pytest.mark.django_db

Status = ProcedureVersion.Status
PROCEDURES = reverse("admin:procedures_procedure_changelist")
VERSIONS = reverse("admin:procedures_procedureversion_changelist")
IMPORT = reverse("admin:procedures_import")
EXPORT = reverse("admin:procedures_export")
ANNEX_HEADER = (
    'STT,Mã thủ tục,Tên thủ tục,Lĩnh vực,Mức độ,Thời hạn giải quyết,"Phí, lệ phí (đồng)",'
    "Cơ quan thực hiện,Căn cứ pháp lý"
)


def version_url(version) -> str:
    return reverse("admin:procedures_procedureversion_change", args=[version.pk])


def procedure_url(procedure) -> str:
    return reverse("admin:procedures_procedure_change", args=[procedure.pk])


def form_data(response) -> dict:
    """What a browser sends back from an admin change form, unchanged."""
    data = {}
    adminform = response.context["adminform"].form
    forms = [adminform]
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for name, field in formset.management_form.fields.items():
            value = formset.management_form[name].value()
            data[f"{formset.prefix}-{name}"] = value if value is not None else field.initial or 0
        forms += formset.initial_forms
    for form in forms:
        for name, field in form.fields.items():
            if field.disabled:
                continue
            value = form[name].value()
            if value is None or value is False or isinstance(value, FieldFile):
                continue
            data[form.add_prefix(name)] = "on" if value is True else value
    return data


def annex_file(*rows: str, name="phu-luc.csv") -> SimpleUploadedFile:
    body = "\n".join([ANNEX_HEADER, *rows]) + "\n"
    return SimpleUploadedFile(name, body.encode(), content_type="text/csv")


ROW_A = '1,1.010020,"Cấp bản sao văn bằng, chứng chỉ từ sổ gốc",Văn bằng,2,Trong ngày,9000,,'
ROW_B = "2,2.002478,Chuyển trường học sinh THPT,Giáo dục trung học,3,40 giờ,0,,"


@pytest.fixture
def two_agencies(agency, other_agency):
    return {
        "mine": ProcedureVersionFactory(
            procedure__code="1.010020", procedure__agency=agency, name="Thủ tục của Hà Nội"
        ),
        "theirs": ProcedureVersionFactory(
            procedure__code="1.010020", procedure__agency=other_agency, name="Thủ tục Hải Phòng"
        ),
        "theirs_published": ProcedureVersionFactory(
            procedure__code="2.001914", procedure__agency=other_agency, published=True
        ),
    }


# --- scoping -------------------------------------------------------------------------------------


def test_an_agency_admin_lists_only_the_agencys_procedures(client, agency_admin, two_agencies):
    client.force_login(agency_admin)
    response = client.get(PROCEDURES)
    assert response.status_code == 200
    assert [p.pk for p in response.context["cl"].result_list] == [two_agencies["mine"].procedure_id]
    response = client.get(VERSIONS)
    assert [v.pk for v in response.context["cl"].result_list] == [two_agencies["mine"].pk]
    assert "Thủ tục Hải Phòng" not in response.content.decode()


def test_the_search_stays_in_the_agency(client, agency_admin, two_agencies):
    client.force_login(agency_admin)
    response = client.get(VERSIONS, {"q": "Thủ tục"})
    assert [v.pk for v in response.context["cl"].result_list] == [two_agencies["mine"].pk]
    response = client.get(PROCEDURES, {"q": "1.010020"})
    assert len(response.context["cl"].result_list) == 1


def test_a_superuser_lists_every_agency(client, superuser, two_agencies):
    client.force_login(superuser)
    assert len(client.get(VERSIONS).context["cl"].result_list) == 3


@pytest.mark.parametrize("which", ["theirs", "theirs_published"])
def test_another_agencys_version_cannot_be_opened(client, agency_admin, two_agencies, which):
    client.force_login(agency_admin)
    for url in (version_url(two_agencies[which]), procedure_url(two_agencies[which].procedure)):
        response = client.get(url)
        assert response.status_code in {302, 404}
        if response.status_code == 302:
            assert response.url == reverse("admin:index")


def test_another_agencys_draft_cannot_be_changed_by_post(client, agency_admin, superuser,
                                                        two_agencies):  # fmt: skip
    theirs = two_agencies["theirs"]
    client.force_login(superuser)
    data = form_data(client.get(version_url(theirs)))
    data["name"] = "Đã bị sửa"
    client.force_login(agency_admin)
    response = client.post(version_url(theirs), data)
    assert response.status_code in {302, 403, 404}
    theirs.refresh_from_db()
    assert theirs.name == "Thủ tục Hải Phòng"


def test_another_agencys_draft_cannot_be_deleted(client, agency_admin, two_agencies):
    theirs = two_agencies["theirs"]
    client.force_login(agency_admin)
    delete = reverse("admin:procedures_procedureversion_delete", args=[theirs.pk])
    client.post(delete, {"post": "yes"})
    assert ProcedureVersion.objects.filter(pk=theirs.pk).exists()


def test_a_procedure_is_added_in_the_admins_agency_only(client, agency_admin, other_agency):
    client.force_login(agency_admin)
    add = reverse("admin:procedures_procedure_add")
    form = client.get(add).context["adminform"].form
    assert [a.pk for a in form.fields["agency"].queryset] == [agency_admin.agency_id]
    inlines = {**_empty_inline("versions"), **_empty_inline("windows")}
    response = client.post(add, {"code": "1.004889", "agency": other_agency.pk, **inlines})
    assert response.status_code == 200  # the form is shown again with the error
    assert "agency" in response.context["adminform"].form.errors
    assert not Procedure.objects.filter(agency=other_agency, code="1.004889").exists()

    response = client.post(add, {"code": "1.004889", "agency": agency_admin.agency_id, **inlines})
    assert response.status_code == 302
    assert Procedure.objects.get(code="1.004889").agency_id == agency_admin.agency_id


def _empty_inline(prefix: str) -> dict:
    return {f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0}


def test_a_version_can_only_be_added_to_the_agencys_procedures(client, agency_admin, two_agencies):
    client.force_login(agency_admin)
    form = client.get(reverse("admin:procedures_procedureversion_add")).context["adminform"].form
    assert [p.pk for p in form.fields["procedure"].queryset] == [two_agencies["mine"].procedure_id]


def test_publish_action_ignores_another_agencys_draft(client, agency_admin, two_agencies):
    theirs = two_agencies["theirs"]
    client.force_login(agency_admin)
    client.post(
        VERSIONS, {"action": "publish_selected", "_selected_action": [theirs.pk]}, follow=True
    )
    theirs.refresh_from_db()
    assert theirs.status == Status.DRAFT


def test_new_draft_action_ignores_another_agencys_version(client, agency_admin, two_agencies):
    theirs = two_agencies["theirs_published"]
    client.force_login(agency_admin)
    client.post(VERSIONS, {"action": "new_draft_selected", "_selected_action": [theirs.pk]})
    assert ProcedureVersion.objects.filter(procedure=theirs.procedure).count() == 1


@pytest.mark.parametrize("role", [None, "desk", "leader"])
def test_staff_without_the_admin_role_see_no_procedures(client, agency, two_agencies, role):
    officer = OfficerFactory(agency=agency, is_staff=True, roles=[role] if role else [])
    client.force_login(officer)
    assert client.get(PROCEDURES).status_code == 403
    assert client.get(VERSIONS).status_code == 403
    assert client.get(version_url(two_agencies["mine"])).status_code in {302, 403}
    assert client.post(IMPORT, {"file": annex_file(ROW_A)}).status_code == 403
    assert Procedure.objects.count() == 3


# --- publishing from the admin -------------------------------------------------------------------


def test_publish_action(client, agency, agency_admin):
    draft = ProcedureVersionFactory(procedure__agency=agency)
    client.force_login(agency_admin)
    response = client.post(
        VERSIONS, {"action": "publish_selected", "_selected_action": [draft.pk]}, follow=True
    )
    assert response.status_code == 200
    draft.refresh_from_db()
    assert draft.status == Status.PUBLISHED


def test_publish_action_reports_what_is_missing(client, agency, agency_admin):
    draft = ProcedureVersionFactory(procedure__agency=agency, service_level=3, channels=[{}])
    client.force_login(agency_admin)
    response = client.post(
        VERSIONS,
        {"action": "publish_selected", "_selected_action": [draft.pk]},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    messages = [str(m) for m in response.context["messages"]]
    assert len(messages) == 1
    assert draft.name in messages[0]
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_new_draft_action(client, agency, agency_admin):
    published = ProcedureVersionFactory(procedure__agency=agency, published=True)
    client.force_login(agency_admin)
    client.post(VERSIONS, {"action": "new_draft_selected", "_selected_action": [published.pk]})
    versions = ProcedureVersion.objects.filter(procedure=published.procedure).order_by("number")
    assert [(v.number, v.status) for v in versions] == [(1, Status.PUBLISHED), (2, Status.DRAFT)]


# --- editing drafts ------------------------------------------------------------------------------


def test_a_draft_is_edited_with_its_channels_and_documents(client, agency, agency_admin):
    draft = ProcedureVersionFactory(procedure__agency=agency, level3=True)
    client.force_login(agency_admin)
    data = form_data(client.get(version_url(draft)))
    data["name"] = "Tên đã sửa"
    data["form_schema"] = json.dumps(
        [
            {
                "name": "lop",
                "label": "Lớp",
                "type": "choice",
                "choices": [{"value": "10", "label": "Lớp 10"}],
            }
        ]
    )
    response = client.post(version_url(draft), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    draft.refresh_from_db()
    assert draft.name == "Tên đã sửa"
    assert draft.form_schema[0]["name"] == "lop"
    assert draft.search_text.endswith("ten da sua")
    assert draft.channels.count() == 2
    assert draft.documents.count() == 1


@pytest.mark.parametrize(
    "schema",
    [
        '[{"name": "Ho ten", "label": "Họ tên", "type": "text"}]',
        '[{"name": "a", "label": "A", "type": "text", "min": 1}]',
        '{"name": "a"}',
        '"text"',
        "[{'name': 'a'}]",
        "not json at all",
    ],
)
def test_an_invalid_form_schema_is_not_saved(client, agency, agency_admin, schema):
    draft = ProcedureVersionFactory(procedure__agency=agency, level3=True)
    before = draft.form_schema
    client.force_login(agency_admin)
    data = form_data(client.get(version_url(draft)))
    data["form_schema"] = schema
    data["name"] = "Không được lưu"
    response = client.post(version_url(draft), data)
    assert response.status_code == 200
    assert "form_schema" in response.context["adminform"].form.errors
    assert "errornote" in response.content.decode()
    draft.refresh_from_db()
    assert draft.form_schema == before
    assert draft.name != "Không được lưu"


@pytest.mark.parametrize("state", ["published", "archived"])
def test_published_and_archived_versions_are_read_only(client, agency, agency_admin, state):
    version = ProcedureVersionFactory(procedure__agency=agency, **{state: True})
    client.force_login(agency_admin)
    response = client.get(version_url(version))
    assert response.status_code == 200
    assert response.context["has_change_permission"] is False
    assert not response.context["adminform"].form.fields or all(
        f.disabled for f in response.context["adminform"].form.fields.values()
    )
    response = client.post(
        version_url(version),
        {"name": "Sửa trực tiếp", "channels-TOTAL_FORMS": 0, "channels-INITIAL_FORMS": 0},
    )
    assert response.status_code == 403
    version.refresh_from_db()
    assert version.name != "Sửa trực tiếp"
    delete = reverse("admin:procedures_procedureversion_delete", args=[version.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert ProcedureVersion.objects.filter(pk=version.pk).exists()


def test_the_change_page_links_to_the_preview(client, agency, agency_admin):
    draft = ProcedureVersionFactory(procedure__agency=agency)
    client.force_login(agency_admin)
    html = client.get(version_url(draft)).content.decode()
    assert reverse("procedures:preview", args=[draft.pk]) in html


# --- import and export ---------------------------------------------------------------------------


def counts() -> tuple[int, int, int, int]:
    return (
        Procedure.objects.count(),
        ProcedureVersion.objects.count(),
        Channel.objects.count(),
        RequiredDocument.objects.count(),
    )


def test_the_import_page(client, agency_admin):
    client.force_login(agency_admin)
    response = client.get(IMPORT)
    assert response.status_code == 200
    assert "agency" not in response.context["form"].fields
    assert response.context["form"].fields["dry_run"].initial is True


def test_a_dry_run_from_the_admin_writes_nothing(client, agency_admin):
    client.force_login(agency_admin)
    response = client.post(IMPORT, {"file": annex_file(ROW_A, ROW_B), "dry_run": "on"})
    assert response.status_code == 200
    report = response.context["report"]
    assert report.ok
    assert not report.applied
    assert [(r.code, r.action) for r in report.rows] == [
        ("1.010020", "create"),
        ("2.002478", "create"),
    ]
    assert counts() == (0, 0, 0, 0)
    assert "1.010020" in response.content.decode()


def test_an_import_goes_into_the_admins_own_agency(client, agency_admin, other_agency):
    client.force_login(agency_admin)
    response = client.post(IMPORT, {"file": annex_file(ROW_A, ROW_B), "agency": other_agency.pk})
    assert response.status_code == 302
    assert response.url == PROCEDURES
    assert set(Procedure.objects.values_list("code", "agency_id")) == {
        ("1.010020", agency_admin.agency_id),
        ("2.002478", agency_admin.agency_id),
    }
    assert not Procedure.objects.filter(agency=other_agency).exists()


def test_an_import_cannot_reach_another_agencys_procedures(client, agency_admin, two_agencies):
    """A row with the same code as another agency's procedure creates one of the admin's own."""
    client.force_login(agency_admin)
    theirs = two_agencies["theirs"]
    client.post(IMPORT, {"file": annex_file(ROW_A.replace("Cấp bản sao", "Đổi tên"))})
    theirs.refresh_from_db()
    assert theirs.name == "Thủ tục Hải Phòng"
    assert ProcedureVersion.objects.filter(procedure=theirs.procedure).count() == 1


def test_a_row_naming_another_agency_is_refused(client, agency_admin, other_agency):
    client.force_login(agency_admin)
    row = ROW_A.rstrip(",") + f",{other_agency.code},"
    response = client.post(IMPORT, {"file": annex_file(row)})
    assert response.status_code == 200
    assert not response.context["report"].ok
    assert counts() == (0, 0, 0, 0)


@pytest.mark.parametrize(
    "upload",
    [
        SimpleUploadedFile("anh.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image/png"),
        SimpleUploadedFile("phu-luc.xlsx", b"PK\x03\x04broken", "application/octet-stream"),
        SimpleUploadedFile("phu-luc.csv", "Mã thủ tục,Tên\n1,2\n".encode(), "text/csv"),
    ],
    ids=["png", "broken xlsx", "missing columns"],
)
def test_a_bad_file_from_the_admin_imports_nothing(client, agency_admin, upload):
    client.force_login(agency_admin)
    response = client.post(IMPORT, {"file": upload})
    assert response.status_code == 200
    assert response.context["report"].file_errors
    assert not response.context["report"].applied
    assert counts() == (0, 0, 0, 0)
    assert "errornote" in response.content.decode()


def test_one_bad_row_from_the_admin_imports_nothing(client, agency_admin):
    client.force_login(agency_admin)
    bad = ROW_B.replace(",3,", ",cao,")
    response = client.post(IMPORT, {"file": annex_file(ROW_A, bad)})
    assert response.status_code == 200
    report = response.context["report"]
    assert [r.action for r in report.rows] == ["create", "error"]
    assert counts() == (0, 0, 0, 0)


def test_a_superuser_imports_for_a_chosen_agency(client, superuser, other_agency):
    client.force_login(superuser)
    response = client.post(IMPORT, {"file": annex_file(ROW_A)})
    assert response.status_code == 200
    assert "agency" in response.context["form"].errors
    assert counts() == (0, 0, 0, 0)
    response = client.post(IMPORT, {"file": annex_file(ROW_A), "agency": other_agency.pk})
    assert response.status_code == 302
    assert Procedure.objects.get().agency == other_agency


def test_export_is_the_admins_own_agency(client, agency_admin, two_agencies, other_agency):
    client.force_login(agency_admin)
    response = client.get(EXPORT, {"format": "json", "agency": other_agency.pk})
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="thu-tuc-000.00.12.H26.json"'
    payload = json.loads(response.content)
    assert payload["agency"] == "000.00.12.H26"
    assert [p["name"] for p in payload["procedures"]] == ["Thủ tục của Hà Nội"]


@pytest.mark.parametrize(
    ("kind", "content_type"),
    [
        ("csv", "text/csv; charset=utf-8"),
        ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("anything", "application/json"),
    ],
)
def test_export_formats(client, agency_admin, two_agencies, kind, content_type):
    client.force_login(agency_admin)
    response = client.get(EXPORT, {"format": kind})
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    if kind == "xlsx":
        sheet = load_workbook(io.BytesIO(response.content)).active
        assert [row[2] for row in sheet.iter_rows(values_only=True)][1:] == ["Thủ tục của Hà Nội"]
    else:
        assert "Thủ tục của Hà Nội" in response.content.decode()
        assert "Thủ tục Hải Phòng" not in response.content.decode()


def test_a_superuser_exports_a_chosen_agency(client, superuser, two_agencies, other_agency):
    client.force_login(superuser)
    payload = json.loads(client.get(EXPORT, {"agency": other_agency.pk}).content)
    assert payload["agency"] == other_agency.code
    assert sorted(p["code"] for p in payload["procedures"]) == ["1.010020", "2.001914"]


def test_staff_of_no_agency_cannot_export(client, agency, two_agencies):
    staff = OfficerFactory(agency=None, is_staff=True, roles=[])
    client.force_login(staff)
    assert client.get(EXPORT).status_code == 403


def test_export_then_import_from_the_admin_changes_nothing(client, agency_admin, two_agencies):
    client.force_login(agency_admin)
    exported = client.get(EXPORT, {"format": "json"}).content
    before = counts()
    upload = SimpleUploadedFile("ds.json", exported, "application/json")
    response = client.post(IMPORT, {"file": upload})
    assert response.status_code == 302
    assert counts() == before


def test_a_new_version_chosen_as_information_offers_its_forms(agency):
    """Found in review: a new version made in the admin as "information online" stayed at the
    default legacy level 1, where its form templates are not offered; an imported one is level 2."""
    from procedures.admin import ProcedureVersionForm
    from procedures.models import Procedure

    procedure = Procedure.objects.create(code="1.009999", agency=agency)
    form = ProcedureVersionForm(instance=ProcedureVersion(procedure=procedure))
    form.cleaned_data = {"online_service": "information"}
    form.save(commit=False)
    assert form.instance.service_level == 2 and form.instance.offers_forms

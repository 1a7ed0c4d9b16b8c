"""Desk intake (issue 14, item 2): a paper dossier taken in and accepted in one step by the desk,
with each component's form, sheets, sets and scans; the same intake sent twice is one dossier;
only the agency's desk may do it; bad input is refused by name and stores nothing."""

import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation

from office import slips
from office.intake import Received, component_certify, dossier_intake
from office.register import line
from office.selectors import register_rows
from submissions.models import (
    Dossier,
    DossierFile,
    EventAction,
    IntakeChannel,
    IntakeComponent,
    State,
)
from tests.factories import PDF_BYTES, ProcedureVersionFactory
from tests.submissions.workflow_support import crew, documents_of

pytestmark = pytest.mark.django_db

APPLICANT = {
    "name": "Trần Thị Phụ Huynh",
    "citizen_id": "001190012345",
    "phone": "0912000111",
    "address": "5 Hàng Bài, Hà Nội",
}


@pytest.fixture
def people(agency, other_agency):
    return crew(agency, other_agency)


@pytest.fixture
def version(agency):
    return ProcedureVersionFactory(
        published=True,
        level3=True,
        procedure__agency=agency,
        applicant_type="both",  # filed for people and for organisations alike
        channels=[{}, {"online": True, "fee_vnd": 0, "time_amount": Decimal("5")}],
        documents=[
            {"name": "Đơn đề nghị", "required": True},
            {"name": "Bản sao học bạ", "required": True, "originals": 0, "copies": 1},
            {"name": "Giấy ủy quyền", "required": False},
        ],
    )


def scan(name="scan.pdf", data=PDF_BYTES, content_type="application/pdf"):
    return SimpleUploadedFile(name, data, content_type)


def received(version, **overrides):
    first, second, _optional = version.documents.order_by("pk")
    return [
        Received(first.pk, IntakeComponent.Form.ORIGINAL, sheets=2, files=[scan()]),
        Received(second.pk, IntakeComponent.Form.CERTIFIED_COPY, sheets=3, sets=2, files=[scan()]),
    ]


def stored_files() -> set[Path]:
    root = Path(settings.MEDIA_ROOT)
    return {p for p in root.rglob("*") if p.is_file() and "dossiers" in p.parts}


def test_the_desk_takes_in_a_walk_in_dossier(people, version, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        dossier, created = dossier_intake(
            actor=people.desk,
            version=version,
            channel=IntakeChannel.IN_PERSON,
            applicant=APPLICANT,
            components=received(version),
            intake_key="k1",
        )
    dossier = Dossier.objects.get(pk=dossier.pk)
    assert created
    assert (dossier.state, dossier.channel, dossier.applicant) == (
        State.RECEIVED,
        IntakeChannel.IN_PERSON,
        None,
    )
    assert dossier.code.startswith("000.00.12.H26-")
    assert dossier.due_at is not None
    assert (dossier.applicant_name, dossier.applicant_citizen_id) == (
        "Trần Thị Phụ Huynh",
        "001190012345",
    )
    assert [e.action for e in dossier.events.order_by("pk")] == [
        EventAction.SUBMIT,
        EventAction.ACCEPT,
    ]
    components = list(dossier.components.order_by("requirement_id"))
    assert [(c.form, c.sheets, c.sets) for c in components] == [
        ("original", 2, 1),
        ("certified_copy", 3, 2),
    ]
    assert DossierFile.objects.filter(dossier=dossier, uploaded_by=people.desk).count() == 2
    # The receipt (Mẫu 01) names the channel and each component as received.
    (receipt,) = documents_of(dossier, "receipt", staff=True)
    assert ["Hình thức nộp hồ sơ", "Trực tiếp"] in receipt.context["facts"]
    rows = receipt.context["rows"]
    assert rows[0][1:] == ["Đơn đề nghị", "Bản chính", "2 tờ × 1 bộ; 1 bản quét"]
    assert rows[1][1:] == ["Bản sao học bạ", "Bản sao có chứng thực", "3 tờ × 2 bộ; 1 bản quét"]


def test_the_same_intake_twice_is_one_dossier(people, version):
    first, created = dossier_intake(
        actor=people.desk, version=version, channel=IntakeChannel.POST,
        applicant=APPLICANT, components=received(version), intake_key="same",
    )  # fmt: skip
    again, created_again = dossier_intake(
        actor=people.desk, version=version, channel=IntakeChannel.POST,
        applicant=APPLICANT, components=received(version), intake_key="same",
    )  # fmt: skip
    assert (created, created_again) == (True, False)
    assert again.pk == first.pk
    assert Dossier.objects.count() == 1


@pytest.mark.parametrize("who", ["specialist", "leader", "stranger", "citizen"])
def test_only_the_agencys_desk_takes_in(people, version, who):
    with pytest.raises(PermissionDenied):
        dossier_intake(
            actor=getattr(people, who), version=version, channel=IntakeChannel.IN_PERSON,
            applicant=APPLICANT, components=received(version), intake_key="x",
        )  # fmt: skip
    assert not Dossier.objects.exists()


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"applicant": {**APPLICANT, "citizen_id": "12345"}}, "citizen_id", "12 digits"),
        ({"applicant": {**APPLICANT, "name": "  "}}, "name", "full name"),
        ({"channel": IntakeChannel.ONLINE}, "channel", "how the dossier reached"),
        ("not_a_pdf", "files_", "is not"),
        ("missing", "components", "Bản sao học bạ"),
        ("no_scan", "files_", "Scan this component"),
    ],
)
def test_bad_input_is_refused_by_name_and_stores_nothing(people, version, change, field, message):
    arguments = {
        "actor": people.desk,
        "version": version,
        "channel": IntakeChannel.IN_PERSON,
        "applicant": APPLICANT,
        "components": received(version),
        "intake_key": "bad",
    }
    if change == "not_a_pdf":
        arguments["components"][1].files = [scan("hoc-ba.pdf", b"MZ\x90\x00 not a pdf")]
    elif change == "missing":
        arguments["components"] = arguments["components"][:1]
    elif change == "no_scan":
        arguments["components"][0].files = []
    else:
        arguments.update(change)
    before = stored_files()
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        dossier_intake(**arguments)
    messages = {k: " ".join(v) for k, v in refused.value.message_dict.items()}
    [name] = [k for k in messages if k.startswith(field)]
    assert message in messages[name], messages
    assert not Dossier.objects.exists()
    assert not IntakeComponent.objects.exists()
    assert stored_files() == before


def test_the_intake_page(client, people, version):
    url = reverse("office:intake")
    assert client.get(url).status_code == 302  # to the login
    client.force_login(people.citizen)
    assert client.get(url).status_code == 404  # not an officer: as for any back-office page
    client.force_login(people.specialist)
    assert client.get(url).status_code == 403
    client.force_login(people.stranger)
    # Another agency's procedure is not offered: back to the choice.
    page = client.get(url, {"procedure": version.pk})
    assert "Đơn đề nghị" not in page.content.decode()
    client.force_login(people.desk)
    queue = client.get(reverse("office:queue")).content.decode()
    assert f'href="{url}"' in queue
    form = client.get(url, {"procedure": version.pk}, HTTP_ACCEPT_LANGUAGE="en")
    html = form.content.decode()
    assert "Đơn đề nghị" in html and 'name="intake_key"' in html
    key = form.context["form"].initial["intake_key"]
    first, second, optional = version.documents.order_by("pk")
    data = {
        "procedure": version.pk,
        "intake_key": key,
        "channel": "in_person",
        "result_delivery": "post",
        "id_type": "citizen_id",
        "filer_role": "parent",
        "subject_name": "Nguyễn Văn Học Sinh",
        **APPLICANT,
        f"form_{first.pk}": "original", f"sheets_{first.pk}": 1, f"sets_{first.pk}": 1,
        f"form_{second.pk}": "copy", f"sheets_{second.pk}": 2, f"sets_{second.pk}": 1,
        f"form_{optional.pk}": "original", f"sheets_{optional.pk}": 1, f"sets_{optional.pk}": 1,
        f"files_{first.pk}": scan(),
        f"files_{second.pk}": scan("bad.pdf", b"not a pdf"),
    }  # fmt: skip
    refused = client.post(url, data, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 200
    page = refused.content.decode()
    assert f'id="files_{second.pk}_error"' in page
    # Said once, at the component; the summary above the form points to it.
    [problem] = refused.context["form"].component_errors[f"files_{second.pk}"]
    assert page.count(problem) == 1
    assert "A scan was refused: see the marked components." in page
    assert not Dossier.objects.exists()
    data[f"files_{first.pk}"] = scan()
    data[f"files_{second.pk}"] = scan()
    taken = client.post(url, data, HTTP_ACCEPT_LANGUAGE="en")
    dossier = Dossier.objects.get()
    assert taken.status_code == 302
    assert taken["Location"] == reverse("office:dossier", args=[dossier.public_id])
    assert dossier.components.count() == 2  # the optional one was not received
    # The result goes by post, to the applicant's address (none other given).
    assert (dossier.result_delivery, dossier.delivery_address) == ("post", APPLICANT["address"])
    assert (dossier.filer_role, dossier.subject_name) == ("parent", "Nguyễn Văn Học Sinh")
    shown = client.get(taken["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Components received" in shown and "Certified copy" not in shown
    assert re.search(r'<dd id="channel">\s*In person\s*</dd>', shown)
    data[f"files_{first.pk}"] = scan()
    data[f"files_{second.pk}"] = scan()
    assert client.post(url, data).status_code == 302  # a resend: the same dossier
    assert Dossier.objects.count() == 1


def test_every_problem_is_named_at_once(people, version):
    components = received(version)
    components[0].files = []
    with pytest.raises(ValidationError) as refused:
        dossier_intake(
            actor=people.desk, version=version, channel=IntakeChannel.IN_PERSON,
            applicant={**APPLICANT, "citizen_id": "1"}, components=components, intake_key="all",
        )  # fmt: skip
    first = version.documents.order_by("pk").first()
    assert {"citizen_id", f"files_{first.pk}"} <= set(refused.value.message_dict)


def test_a_walk_in_dossier_is_tracked_read_and_worked_like_any_other(people, version):
    """No account behind it: public tracking by code and citizen ID, the office API, and the
    next step of the workflow all work; its fee is not asked online."""
    from rest_framework.test import APIClient

    from office import services as workflow
    from payments import fees

    dossier, _created = dossier_intake(
        actor=people.desk, version=version, channel=IntakeChannel.PUBLIC_POST,
        applicant=APPLICANT, components=received(version), intake_key="walk",
    )  # fmt: skip
    tracked = APIClient().post(
        "/api/v1/track/", {"code": dossier.code, "secret": APPLICANT["citizen_id"]}, format="json"
    )
    assert tracked.status_code == 200 and tracked.json()["code"] == dossier.code
    api = APIClient()
    api.force_authenticate(people.desk)
    body = api.get(f"/api/v1/office/dossiers/{dossier.public_id}/").json()
    assert (body["state"], body["applicant"]["name"]) == ("received", APPLICANT["name"])
    listed = api.get("/api/v1/office/dossiers/", {"channel": "public_post"}).json()
    assert [d["code"] for d in listed["results"]] == [dossier.code]
    assigned = workflow.dossier_assign(
        dossier=dossier, actor=people.leader, specialist=people.specialist
    )
    assert assigned.state == State.PROCESSING
    assert fees.fee_due(assigned) == 0


def test_an_online_fee_is_asked_of_online_dossiers_only(agency):
    """A level-4 procedure's fee is paid online by those who file online; a dossier taken in at
    the desk pays there (payments.fees.fee_due)."""
    from payments import fees

    level4 = ProcedureVersionFactory(
        published=True,
        level4=True,
        procedure__agency=agency,
        channels=[{}, {"online": True, "fee_vnd": 50_000}],
    )
    online = Dossier(version=level4, channel=IntakeChannel.ONLINE)
    assert fees.fee_due(online) > 0
    for channel in (IntakeChannel.IN_PERSON, IntakeChannel.POST, IntakeChannel.PUBLIC_POST):
        assert fees.fee_due(Dossier(version=level4, channel=channel)) == 0


@pytest.mark.parametrize(
    ("who", "details", "stored"),
    [
        (
            "a parent for a pupil",
            {"filer_role": "parent", "subject_name": "Nguyễn Văn Học Sinh",
             "subject_id_number": "001210012345"},
            {"filer_role": "parent", "subject_name": "Nguyễn Văn Học Sinh",
             "subject_id_number": "001210012345"},
        ),
        (
            "an organisation",
            {"filer_role": "organisation", "org_name": "Trường THPT Chu Văn An",
             "org_tax_code": "0100109106", "org_address": "10 Thụy Khuê, Hà Nội"},
            {"filer_role": "organisation", "org_tax_code": "0100109106",
             "delivery_address": "10 Thụy Khuê, Hà Nội"},
        ),
        (
            "a foreigner with a passport",
            {"id_type": "passport", "citizen_id": "c1234567", "nationality": "Hàn Quốc"},
            {"applicant_id_type": "passport", "applicant_citizen_id": "C1234567",
             "applicant_nationality": "Hàn Quốc"},
        ),
    ],
)  # fmt: skip
def test_who_files_for_whom(people, version, who, details, stored):
    dossier, _created = dossier_intake(
        actor=people.desk, version=version, channel=IntakeChannel.IN_PERSON,
        applicant={**APPLICANT, **details}, components=received(version), intake_key=who,
        result_delivery="post",
    )  # fmt: skip
    dossier = Dossier.objects.get(pk=dossier.pk)
    assert {k: getattr(dossier, k) for k in stored} == stored
    # The receipt, the register and the office API name both filer and subject.
    facts = dict(slips.BUILDERS["receipt"](dossier, {})["facts"])
    today = timezone.localdate()
    [row] = register_rows(agency=dossier.agency, start=today, end=today)
    filer_cell = line(row)[3]  # Mẫu 06: Tên cá nhân, tổ chức
    body = _office_api(people.desk).get(f"/api/v1/office/dossiers/{dossier.public_id}/").json()
    if dossier.filer_role == "organisation":
        assert "0100109106" in facts["Tổ chức đề nghị"] and "MST 0100109106" in filer_cell
        assert body["org_tax_code"] == "0100109106"
    elif dossier.filer_role == "parent":
        assert facts["Chủ hồ sơ"].startswith("Nguyễn Văn Học Sinh (số định danh 001210012345)")
        assert "cho: Nguyễn Văn Học Sinh" in filer_cell
        assert (body["filer_role"], body["subject_name"]) == ("parent", "Nguyễn Văn Học Sinh")
    else:
        assert "hộ chiếu C1234567, quốc tịch Hàn Quốc" in facts["Người nộp hồ sơ"]


def _office_api(user):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(user)
    return api


@pytest.mark.parametrize(
    ("details", "field", "message"),
    [
        ({"filer_role": "parent"}, "subject_name", "person the dossier is for"),
        ({"filer_role": "parent", "subject_name": "A", "subject_id_number": "99"},
         "subject_id_number", "12 digits"),
        ({"filer_role": "organisation", "org_name": "Trường", "org_tax_code": "0100109107",
          "org_address": "Hà Nội"}, "org_tax_code", "not a valid enterprise or tax code"),
        ({"filer_role": "organisation", "org_tax_code": "0100109106"}, "org_name", "name"),
        ({"id_type": "passport", "citizen_id": "C1234567"}, "nationality", "nationality"),
        ({"id_type": "passport", "citizen_id": "C-12"}, "citizen_id", "5 to 20 letters"),
    ],
)  # fmt: skip
def test_who_files_for_whom_is_checked(people, version, details, field, message):
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        dossier_intake(
            actor=people.desk, version=version, channel=IntakeChannel.IN_PERSON,
            applicant={**APPLICANT, **details}, components=received(version), intake_key="w",
        )  # fmt: skip
    assert message in " ".join(refused.value.message_dict[field])
    assert not Dossier.objects.exists()


def test_the_digitisation_rate_counts_paper_dossiers_with_every_component_scanned(people, version):
    from office.selectors import digitisation_share
    from submissions.models import DossierFile

    _scanned, _ = dossier_intake(
        actor=people.desk, version=version, channel=IntakeChannel.IN_PERSON,
        applicant=APPLICANT, components=received(version), intake_key="a",
    )  # fmt: skip
    partly, _ = dossier_intake(
        actor=people.desk, version=version, channel=IntakeChannel.POST,
        applicant=APPLICANT, components=received(version), intake_key="b",
    )  # fmt: skip
    # One scan taken away (a wrong page, say): that dossier is not fully digitised.
    DossierFile.objects.filter(dossier=partly).order_by("pk").first().delete()
    today = timezone.localdate()
    share = digitisation_share(agency_id=version.procedure.agency_id, start=today, end=today)
    assert (share.paper, share.digitised, share.rate) == (2, 1, 0.5)


def test_the_desk_certifies_a_scan_as_an_electronic_copy(
    client, people, version, django_capture_on_commit_callbacks
):
    """Decree 45/2020 digitisation: the certificate is signed by the agency, names each scan's
    SHA-256, verifies on /verify/, and is issued once per component, by the agency's desk."""
    import io as _io

    from django.core.management import call_command

    from signing.models import Document
    from submissions.models import DossierFile

    call_command("make_demo_pki", stdout=_io.StringIO())
    dossier, _created = dossier_intake(
        actor=people.desk, version=version, channel=IntakeChannel.IN_PERSON,
        applicant=APPLICANT, components=received(version), intake_key="cert",
    )  # fmt: skip
    copy, component = dossier.components.order_by("form", "pk")  # certified_copy, original
    with translation.override("en"), pytest.raises(ValidationError) as not_original:
        component_certify(dossier=dossier, actor=people.desk, component_id=copy.pk)
    assert "whose original was shown" in not_original.value.messages[0]
    url = reverse("office:certify", args=[dossier.public_id, component.pk])

    client.force_login(people.specialist)
    client.post(url)
    component.refresh_from_db()
    assert component.certified_at is None  # not the specialist's to certify
    client.force_login(people.stranger)
    assert client.post(url).status_code == 404  # another agency's dossier

    client.force_login(people.desk)
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(url, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert "Certified; the signed certificate" in done.content.decode()
    component.refresh_from_db()
    assert (component.certified_by, component.certified_at is not None) == (people.desk, True)
    certificate = Document.objects.get(verification_code=component.certificate_code)
    assert certificate.status == Document.Status.SIGNED, certificate.error
    scan = DossierFile.objects.get(dossier=dossier, requirement=component.requirement)
    assert certificate.context["rows"] == [["1", scan.name, scan.sha256]]
    verified = client.get(reverse("signing:verify", args=[certificate.verification_code]))
    assert verified.status_code == 200
    assert "CHỨNG THỰC BẢN SAO ĐIỆN TỬ TỪ BẢN CHÍNH" in verified.content.decode()

    again = client.post(url, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert "already certified" in again.content.decode()
    assert Document.objects.filter(kind="certified_copy").count() == 1


def test_a_citizen_whose_birth_was_registered_abroad_is_taken_in(people, version):
    """Their number starts with the code of the country where the birth was registered, not a
    province's (the desk says so by the identity document it chooses)."""
    abroad = {**APPLICANT, "citizen_id": "840090012345", "id_type": "id_abroad"}
    dossier, created = dossier_intake(
        actor=people.desk,
        version=version,
        channel=IntakeChannel.IN_PERSON,
        applicant=abroad,
        components=received(version),
        intake_key="abroad-1",
    )
    assert created and (dossier.applicant_id_type, dossier.applicant_citizen_id) == (
        "id_abroad",
        "840090012345",
    )
    # Chosen as a birth registered in Viet Nam, the same number is refused: 840 is no province.
    with pytest.raises(ValidationError) as domestic:
        dossier_intake(
            actor=people.desk,
            version=version,
            channel=IntakeChannel.IN_PERSON,
            applicant={**abroad, "id_type": "citizen_id"},
            components=received(version),
            intake_key="abroad-2",
        )
    assert domestic.value.message_dict["citizen_id"] == [
        "840 không phải mã tỉnh hợp lệ: 3 chữ số đầu không đúng."
    ]
    # And a province's code is not a country's.
    with pytest.raises(ValidationError) as not_abroad:
        dossier_intake(
            actor=people.desk,
            version=version,
            channel=IntakeChannel.IN_PERSON,
            applicant={**abroad, "citizen_id": "001090012345"},
            components=received(version),
            intake_key="abroad-3",
        )
    assert not_abroad.value.message_dict["citizen_id"] == [
        "001 là mã của một tỉnh, thành phố (Hà Nội), không phải của một quốc gia: số này là của "
        "người đăng ký khai sinh tại Việt Nam."
    ]
    assert Dossier.objects.count() == 1

"""The dossier's use cases (submissions.services): start, update, what is missing, submit with
its code, supplements, withdrawal, deletion, the append-only history and the emails."""

import datetime as dt
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from office import services as workflow
from portal import sms
from procedures.models import ProcedureVersion
from procedures.services import procedure_version_new_draft, procedure_version_publish
from submissions import notifications, selectors, services
from submissions.models import (
    DailySequence,
    Dossier,
    DossierEvent,
    DossierFile,
    Notification,
    State,
    SupplementRequest,
)
from submissions.selectors import dossier_answer_rows as _answer_rows
from submissions.tasks import notify_event_task
from tests.factories import (
    PDF_BYTES,
    CitizenFactory,
    DossierFactory,
    OfficerFactory,
    ProcedureVersionFactory,
    RequiredDocumentFactory,
    png_bytes,
)

pytestmark = pytest.mark.django_db


VN = ZoneInfo("Asia/Ho_Chi_Minh")
CHANGED_PROCEDURE = (
    "The procedure has changed since this draft was started: start a new dossier for the "
    "current version."
)


def pdf(name="giay-to.pdf", data=PDF_BYTES):
    return SimpleUploadedFile(name, data, "application/pdf")


def fresh(dossier) -> Dossier:
    return Dossier.objects.get(pk=dossier.pk)


def state_of(dossier) -> tuple:
    """What a refused call must leave as it was."""
    row = fresh(dossier)
    return (
        row.state,
        row.code,
        row.submitted_at,
        row.closed_at,
        row.answers,
        row.updated_at,
        list(row.events.values_list("pk", flat=True)),
        list(row.files.values_list("pk", "removed_at")),
    )


@pytest.fixture
def version(agency):
    """A published level-3 procedure of the Hà Nội department: one required document."""
    return ProcedureVersionFactory(published=True, level3=True, procedure__agency=agency)


@pytest.fixture
def desk(agency):
    return OfficerFactory(agency=agency, roles=["desk"])


# --- start ----------------------------------------------------------------------------------------


def test_start_prefills_a_draft_from_the_profile(version):
    citizen = CitizenFactory(address="5 Tràng Tiền, Hoàn Kiếm, Hà Nội")
    dossier = services.dossier_start(version=version, applicant=citizen)
    dossier = fresh(dossier)
    assert dossier.state == State.DRAFT and dossier.code is None and dossier.submitted_at is None
    assert dossier.applicant == citizen
    assert dossier.version == version
    assert dossier.agency == version.procedure.agency
    assert (
        dossier.applicant_name,
        dossier.applicant_citizen_id,
        dossier.applicant_phone,
        dossier.applicant_email,
        dossier.applicant_address,
    ) == (citizen.full_name, citizen.citizen_id, citizen.phone, citizen.email, citizen.address)
    assert dossier.answers == {}
    assert not dossier.events.exists()


def test_start_with_an_incomplete_profile_leaves_blanks(version):
    citizen = CitizenFactory(citizen_id=None, phone="", address="")
    dossier = services.dossier_start(version=version, applicant=citizen)
    assert (dossier.applicant_citizen_id, dossier.applicant_phone) == ("", "")


@pytest.mark.parametrize(
    "make",
    [
        lambda: ProcedureVersionFactory(level3=True),  # a draft
        lambda: ProcedureVersionFactory(archived=True, level3=True),
        lambda: ProcedureVersionFactory(published=True, level2=True),
        lambda: ProcedureVersionFactory(published=True),  # level 1
    ],
    ids=["draft", "archived", "level2", "level1"],
)
def test_start_only_under_a_published_online_version(english, make):
    version = make()
    with pytest.raises(ValidationError) as caught:
        services.dossier_start(version=version, applicant=CitizenFactory())
    assert caught.value.messages == ["This procedure cannot be filed online."]
    assert not Dossier.objects.exists()


def test_start_under_level4(english):
    version = ProcedureVersionFactory(published=True, level4=True)
    assert services.dossier_start(version=version, applicant=CitizenFactory()).pk


# --- update ---------------------------------------------------------------------------------------


def test_update_stores_details_and_answers():
    dossier = DossierFactory(answers={"full_name": "Cũ"})
    updated = services.dossier_update(
        dossier=dossier,
        actor=dossier.applicant,
        applicant={"applicant_phone": "+84912345678", "applicant_address": None},
        answers={"full_name": "Trần Thị Bình"},
    )
    row = fresh(dossier)
    assert row.applicant_phone == "+84912345678"
    assert row.applicant_address == ""
    # Details not given are kept.
    assert row.applicant_name == dossier.applicant_name and row.applicant_name
    assert row.answers == {"full_name": "Trần Thị Bình"}
    assert updated.answers == row.answers


def test_update_only_by_the_applicant():
    dossier = DossierFactory(answers={"full_name": "Cũ"})
    before = state_of(dossier)
    with pytest.raises(PermissionDenied):
        services.dossier_update(
            dossier=dossier, actor=CitizenFactory(), applicant={}, answers={"full_name": "X"}
        )
    assert state_of(dossier) == before


def test_update_only_while_editable(english):
    dossier = DossierFactory(submitted=True)
    before = state_of(dossier)
    with pytest.raises(ValidationError) as caught:
        services.dossier_update(
            dossier=dossier, actor=dossier.applicant, applicant={}, answers={"full_name": "X"}
        )
    assert caught.value.messages == [
        "This dossier can no longer be changed (it is now: Submitted)."
    ]
    assert state_of(dossier) == before


# --- what is missing ------------------------------------------------------------------------------

SCHEMA = [
    {"name": "full_name", "label": "Họ và tên", "type": "text", "required": True},
    {"name": "note", "label": "Ghi chú", "type": "textarea"},
    {"name": "copies", "label": "Số bản sao", "type": "number", "required": True, "max": 5},
    {
        "name": "purpose",
        "label": "Mục đích",
        "type": "choice",
        "required": True,
        "choices": [{"value": "job", "label": "Xin việc"}, {"value": "study", "label": "Học tập"}],
    },
]
DOCUMENTS = [
    {"name": "Đơn đề nghị cấp bản sao"},
    {"name": "Bản sao căn cước"},
    {"name": "Giấy ủy quyền", "required": False},
]


def test_missing_lists_each_required_field_and_document(english):
    version = ProcedureVersionFactory(
        published=True, level3=True, form_schema=SCHEMA, documents=DOCUMENTS
    )
    form, identity, proxy = version.documents.order_by("order")
    dossier = DossierFactory(version=version, applicant_phone="")
    assert services.dossier_missing(dossier) == [
        "Phone: This field is required.",
        "Họ và tên: This field is required.",
        "Số bản sao: This field is required.",
        "Mục đích: This field is required.",
        "Attach: Đơn đề nghị cấp bản sao",
        "Attach: Bản sao căn cước",
    ]
    dossier.applicant_phone = "0912345678"
    dossier.answers = {"full_name": "Lê Văn Cường", "copies": 9, "purpose": "travel"}
    dossier.save()
    services.dossier_add_files(
        dossier=dossier, actor=dossier.applicant, requirement_id=form.pk, files=[pdf()]
    )
    assert services.dossier_missing(dossier) == [
        "Số bản sao: Ensure this value is less than or equal to 5.",
        "Mục đích: Select a valid choice. travel is not one of the available choices.",
        "Attach: Bản sao căn cước",
    ]
    dossier.answers = {"full_name": "Lê Văn Cường", "copies": 2, "purpose": "job"}
    dossier.save()
    services.dossier_add_files(
        dossier=dossier, actor=dossier.applicant, requirement_id=identity.pk, files=[pdf()]
    )
    # The optional document is never asked for.
    assert services.dossier_missing(dossier) == []
    assert not dossier.files.filter(requirement=proxy).exists()


def test_missing_checks_the_applicants_details(english):
    dossier = DossierFactory(complete=True, applicant_citizen_id="123", applicant_name="")
    assert services.dossier_missing(dossier) == [
        "Full name: This field is required.",
        "Citizen ID number: A citizen ID number has exactly 12 digits.",
    ]


def test_missing_is_in_vietnamese_by_default():
    dossier = DossierFactory()
    missing = services.dossier_missing(dossier)
    assert missing[0] == "Họ và tên: Trường này là bắt buộc."
    assert missing[1].endswith("Đơn đề nghị") and len(missing) == 2


# --- submit ---------------------------------------------------------------------------------------


def test_submit_gives_the_code_and_records_the_event(version):
    dossier = DossierFactory(version=version, complete=True)
    with time_machine.travel(dt.datetime(2026, 3, 9, 10, 30, tzinfo=VN), tick=False):
        submitted = services.dossier_submit(dossier=dossier, actor=dossier.applicant)
    row = fresh(dossier)
    assert row.code == submitted.code == "000.00.12.H26-260309-0001"
    assert re.fullmatch(r"[0-9A-Z.]+-\d{6}-\d{4}", row.code)
    assert row.state == State.SUBMITTED
    assert row.submitted_at == dt.datetime(2026, 3, 9, 10, 30, tzinfo=VN)
    event = row.events.get()
    assert (event.action, event.from_state, event.to_state, event.actor) == (
        "submit",
        State.DRAFT,
        State.SUBMITTED,
        dossier.applicant,
    )
    assert event.status_code == 1


def test_codes_follow_the_vietnam_date_and_restart_daily(version, other_agency):
    drafts = [DossierFactory(version=version, complete=True) for _ in range(3)]
    elsewhere = DossierFactory(
        version=ProcedureVersionFactory(
            published=True, level3=True, procedure__agency=other_agency
        ),
        complete=True,
    )
    # 23:59 on 31 December in Hà Nội is 16:59 UTC; 00:01 on 1 January is 17:01 UTC, still
    # 31 December in UTC: only the local date starts a new day.
    with time_machine.travel(dt.datetime(2026, 12, 31, 23, 59, tzinfo=VN), tick=False):
        for dossier in drafts[:2]:
            services.dossier_submit(dossier=dossier, actor=dossier.applicant)
    with time_machine.travel(dt.datetime(2027, 1, 1, 0, 1, tzinfo=VN), tick=False):
        for dossier in (drafts[2], elsewhere):
            services.dossier_submit(dossier=dossier, actor=dossier.applicant)
    assert [fresh(d).code for d in drafts] == [
        "000.00.12.H26-261231-0001",
        "000.00.12.H26-261231-0002",
        "000.00.12.H26-270101-0001",
    ]
    # Each agency has its own sequence.
    assert fresh(elsewhere).code == "000.00.31.H29-270101-0001"
    assert sorted(DailySequence.objects.values_list("agency__code", "day", "last")) == [
        ("000.00.12.H26", dt.date(2026, 12, 31), 2),
        ("000.00.12.H26", dt.date(2027, 1, 1), 1),
        ("000.00.31.H29", dt.date(2027, 1, 1), 1),
    ]


def test_an_incomplete_draft_is_not_submitted(english):
    dossier = DossierFactory(applicant_phone="")
    before = state_of(dossier)
    with pytest.raises(ValidationError) as caught:
        services.dossier_submit(dossier=dossier, actor=dossier.applicant)
    assert caught.value.messages == [
        "Phone: This field is required.",
        "Họ và tên: This field is required.",
        "Attach: Đơn đề nghị",
    ]
    assert state_of(dossier) == before
    assert fresh(dossier).state == State.DRAFT and fresh(dossier).code is None
    assert not DossierEvent.objects.exists()
    assert not DailySequence.objects.exists()  # no number used up


def test_submitting_twice_keeps_the_first_code():
    dossier = DossierFactory(complete=True)
    first = services.dossier_submit(dossier=dossier, actor=dossier.applicant)
    # A second tab still holds the draft object.
    second = services.dossier_submit(dossier=dossier, actor=dossier.applicant)
    assert second.code == first.code
    assert second.submitted_at == first.submitted_at
    assert fresh(dossier).events.count() == 1
    assert DailySequence.objects.get().last == 1


def test_only_the_applicant_submits():
    dossier = DossierFactory(complete=True)
    before = state_of(dossier)
    with pytest.raises(PermissionDenied):
        services.dossier_submit(dossier=dossier, actor=CitizenFactory())
    officer = OfficerFactory(agency=dossier.agency, roles=["desk"])
    with pytest.raises(PermissionDenied):
        services.dossier_submit(dossier=dossier, actor=officer)
    assert state_of(dossier) == before


# --- a new version of the procedure ---------------------------------------------------------------


@pytest.fixture
def admin(agency):
    return OfficerFactory(agency=agency, roles=["agency_admin"])


def test_a_new_version_leaves_submitted_dossiers_on_theirs(english, version, admin):
    desk = OfficerFactory(agency=version.procedure.agency, roles=["desk"])
    v1_document = version.documents.get()
    submitted = DossierFactory(version=version, submitted=True)
    draft = DossierFactory(version=version, complete=True)

    v2 = procedure_version_new_draft(version=version, actor=admin)
    v2.form_schema = [
        {"name": "full_name", "label": "Họ, chữ đệm và tên", "type": "text", "required": True},
        {"name": "school", "label": "Trường đã học", "type": "text", "required": True},
    ]
    v2.save()
    v2.documents.update(name="Đơn đề nghị (mẫu mới)")
    RequiredDocumentFactory(version=v2, name="Bản sao học bạ", order=1)
    v2 = procedure_version_publish(version=v2, actor=admin)
    version.refresh_from_db()
    assert version.status == ProcedureVersion.Status.ARCHIVED

    submitted = fresh(submitted)
    assert submitted.version_id == version.pk
    assert submitted.version.form_schema == [
        {"name": "full_name", "label": "Họ và tên", "type": "text", "required": True}
    ]
    assert list(submitted.files.values_list("requirement_id", flat=True)) == [v1_document.pk]
    assert list(submitted.version.documents.values_list("name", flat=True)) == ["Đơn đề nghị"]
    # The review page's rows are v1's questions with the stored answers.
    assert _answer_rows(submitted) == [("Họ và tên", "Nguyễn Văn A")]
    # Nothing of v2 is asked of it: it still can go through a supplement round.
    assert services.dossier_missing(submitted) == []
    workflow.dossier_request_supplement(
        dossier=submitted, actor=desk, reason="Bản scan mờ", items=["Đơn đề nghị rõ nét"]
    )
    services.dossier_resubmit(dossier=submitted, actor=submitted.applicant)
    assert fresh(submitted).state == State.SUBMITTED

    # A draft started under v1 cannot be submitted any more, and says why.
    before = state_of(draft)
    with pytest.raises(ValidationError) as caught:
        services.dossier_submit(dossier=draft, actor=draft.applicant)
    assert caught.value.messages == [CHANGED_PROCEDURE]
    assert state_of(draft) == before
    # The new version takes new dossiers; the old one does not.
    with pytest.raises(ValidationError):
        services.dossier_start(version=version, applicant=draft.applicant)
    assert services.dossier_start(version=v2, applicant=draft.applicant).version == v2


def test_an_archived_incomplete_draft_lists_the_change_first(english):
    dossier = DossierFactory(version=ProcedureVersionFactory(archived=True, level3=True))
    with pytest.raises(ValidationError) as caught:
        services.dossier_submit(dossier=dossier, actor=dossier.applicant)
    assert caught.value.messages[0] == CHANGED_PROCEDURE
    assert caught.value.messages[1:] == [
        "Họ và tên: This field is required.",
        "Attach: Đơn đề nghị",
    ]


# --- supplements ----------------------------------------------------------------------------------


@pytest.fixture
def submitted(version):
    return DossierFactory(version=version, submitted=True)


def test_the_desk_asks_for_a_supplement(submitted, desk):
    workflow.dossier_request_supplement(
        dossier=submitted,
        actor=desk,
        reason="  Bản sao bằng bị mờ, không đọc được số hiệu.  ",
        items=[" Bản sao bằng tốt nghiệp rõ nét ", "  ", "Bản sao căn cước"],
    )
    row = fresh(submitted)
    assert row.state == State.SUPPLEMENT_REQUIRED and row.status_code == 5
    assert row.resume_state == State.SUBMITTED
    assert row.is_editable
    request = row.supplements.get()
    assert request.requested_by == desk
    assert request.reason == "Bản sao bằng bị mờ, không đọc được số hiệu."
    assert request.items == ["Bản sao bằng tốt nghiệp rõ nét", "Bản sao căn cước"]
    assert request.answered_at is None
    event = row.events.last()
    assert (event.action, event.from_state, event.to_state, event.actor, event.note) == (
        "request_supplement",
        State.SUBMITTED,
        State.SUPPLEMENT_REQUIRED,
        desk,
        "Bản sao bằng bị mờ, không đọc được số hiệu.",
    )


@pytest.fixture
def specialist(agency):
    return OfficerFactory(agency=agency, roles=["specialist"])


def in_processing(dossier, *, desk, specialist) -> Dossier:
    """Accepted by the desk and assigned to `specialist` (submissions.workflow)."""
    workflow.dossier_accept(dossier=dossier, actor=desk)
    workflow.dossier_assign(dossier=dossier, actor=desk, specialist=specialist)
    return fresh(dossier)


def test_a_specialist_may_ask_too_as_the_assignee(submitted, agency, desk, specialist):
    # Before acceptance the request is the desk's (Mẫu 02 at intake), not a specialist's.
    before = state_of(submitted)
    with pytest.raises(PermissionDenied):
        workflow.dossier_request_supplement(
            dossier=submitted, actor=specialist, reason="Thiếu", items=["Học bạ"]
        )
    assert state_of(submitted) == before
    in_processing(submitted, desk=desk, specialist=specialist)
    # Another specialist of the agency, and the desk, may not ask once it is being processed.
    for actor in (OfficerFactory(agency=agency, roles=["specialist"]), desk):
        before = state_of(submitted)
        with pytest.raises(PermissionDenied):
            workflow.dossier_request_supplement(
                dossier=submitted, actor=actor, reason="Thiếu", items=["Học bạ"]
            )
        assert state_of(submitted) == before
    workflow.dossier_request_supplement(
        dossier=submitted, actor=specialist, reason="Thiếu", items=["Học bạ"]
    )
    row = fresh(submitted)
    assert row.state == State.SUPPLEMENT_REQUIRED
    assert row.supplements.get().requested_by == specialist
    assert row.paused_at is not None  # the clock pauses (it ran since acceptance)


@pytest.mark.parametrize(
    "make_actor",
    [
        lambda agency, other: OfficerFactory(agency=other, roles=["desk", "specialist"]),
        lambda agency, other: OfficerFactory(agency=agency, roles=["leader", "agency_admin"]),
        lambda agency, other: CitizenFactory(),
        lambda agency, other: "applicant",
    ],
    ids=["other-agency-desk", "same-agency-leader", "a-citizen", "the-applicant"],
)
def test_only_the_agencys_desk_or_specialist_asks(submitted, agency, other_agency, make_actor):
    actor = make_actor(agency, other_agency)
    actor = submitted.applicant if actor == "applicant" else actor
    before = state_of(submitted)
    with pytest.raises(PermissionDenied):
        workflow.dossier_request_supplement(
            dossier=submitted, actor=actor, reason="Thiếu", items=["Học bạ"]
        )
    assert state_of(submitted) == before
    assert not SupplementRequest.objects.exists()


def test_a_supplement_request_says_what_and_why(english, submitted, desk):
    before = state_of(submitted)
    for reason, items in (("", ["Học bạ"]), ("Thiếu", []), ("   ", ["  "]), ("Thiếu", [" "])):
        with pytest.raises(ValidationError) as caught:
            workflow.dossier_request_supplement(
                dossier=submitted, actor=desk, reason=reason, items=items
            )
        assert caught.value.messages == ["Say what the applicant must supply, and why."]
    assert state_of(submitted) == before


def test_a_supplement_request_on_a_closed_dossier_is_stale(english, submitted, desk):
    services.dossier_withdraw(dossier=submitted, actor=submitted.applicant, reason="Nộp nhầm")
    before = state_of(submitted)
    with pytest.raises(ValidationError) as caught:
        workflow.dossier_request_supplement(
            dossier=submitted, actor=desk, reason="Thiếu", items=["Học bạ"]
        )
    assert caught.value.code == "stale"
    assert caught.value.messages == [
        "This dossier has changed meanwhile (it is now: Withdrawn). Reload the page."
    ]
    assert state_of(submitted) == before


def test_the_applicant_answers_a_supplement(settings, submitted, desk):
    old_file = submitted.files.get()
    old_path = Path(old_file.file.path)
    workflow.dossier_request_supplement(
        dossier=submitted, actor=desk, reason="Bản scan mờ", items=["Đơn đề nghị rõ nét"]
    )
    applicant = submitted.applicant
    services.dossier_update(
        dossier=submitted,
        actor=applicant,
        applicant={"applicant_phone": "0987654321"},
        answers={"full_name": "Nguyễn Văn An"},
    )
    (new_file,) = services.dossier_add_files(
        dossier=submitted,
        actor=applicant,
        requirement_id=old_file.requirement_id,
        files=[SimpleUploadedFile("don-ro-net.png", png_bytes(), "image/png")],
    )
    assert new_file.round == 1
    services.dossier_remove_file(dossier=submitted, actor=applicant, file_id=old_file.pk)

    # The replaced file is kept, marked removed, for the history.
    old_file.refresh_from_db()
    assert old_file.removed_at is not None
    assert old_path.read_bytes() == PDF_BYTES
    current, removed = selectors.dossier_files(fresh(submitted))
    assert (current, removed) == ([new_file], [old_file])

    code, submitted_at = fresh(submitted).code, fresh(submitted).submitted_at
    services.dossier_resubmit(dossier=submitted, actor=applicant, note="  Đã gửi bản rõ  ")
    row = fresh(submitted)
    assert row.state == State.SUBMITTED
    assert (row.code, row.submitted_at) == (code, submitted_at)
    assert (row.applicant_phone, row.answers) == ("0987654321", {"full_name": "Nguyễn Văn An"})
    assert row.supplements.get().answered_at is not None
    event = row.events.last()
    assert (event.action, event.from_state, event.to_state, event.actor, event.note) == (
        "resubmit",
        State.SUPPLEMENT_REQUIRED,
        State.SUBMITTED,
        applicant,
        "Đã gửi bản rõ",
    )
    assert list(row.events.values_list("action", flat=True)) == [
        "submit",
        "request_supplement",
        "resubmit",
    ]
    # Answered: editing is closed again.
    with pytest.raises(ValidationError):
        services.dossier_update(dossier=submitted, actor=applicant, applicant={}, answers={})

    # A second request: files sent for it are round 2.
    workflow.dossier_request_supplement(
        dossier=submitted, actor=desk, reason="Thiếu bản sao", items=["Bản sao"]
    )
    (second,) = services.dossier_add_files(
        dossier=submitted,
        actor=applicant,
        requirement_id=old_file.requirement_id,
        files=[pdf("ban-sao.pdf")],
    )
    assert second.round == 2


def test_a_supplement_answer_still_needs_every_document(english, submitted, desk):
    workflow.dossier_request_supplement(
        dossier=submitted, actor=desk, reason="Bản scan mờ", items=["Đơn đề nghị rõ nét"]
    )
    services.dossier_remove_file(
        dossier=submitted, actor=submitted.applicant, file_id=submitted.files.get().pk
    )
    before = state_of(submitted)
    with pytest.raises(ValidationError) as caught:
        services.dossier_resubmit(dossier=submitted, actor=submitted.applicant)
    assert caught.value.messages == ["Attach: Đơn đề nghị"]
    assert state_of(submitted) == before
    assert fresh(submitted).supplements.get().answered_at is None


def test_resubmit_only_by_the_applicant_and_only_when_asked(english, submitted, desk):
    with pytest.raises(ValidationError) as caught:
        services.dossier_resubmit(dossier=submitted, actor=submitted.applicant)
    assert caught.value.messages == [
        "This dossier is not waiting for a supplement (it is now: Submitted)."
    ]
    workflow.dossier_request_supplement(dossier=submitted, actor=desk, reason="x", items=["y"])
    before = state_of(submitted)
    for actor in (CitizenFactory(), desk):
        with pytest.raises(PermissionDenied):
            services.dossier_resubmit(dossier=submitted, actor=actor)
    assert state_of(submitted) == before


def test_resubmit_returns_to_where_the_request_was_made(submitted, desk, specialist):
    in_processing(submitted, desk=desk, specialist=specialist)
    workflow.dossier_request_supplement(
        dossier=submitted, actor=specialist, reason="Thiếu", items=["Học bạ"]
    )
    assert fresh(submitted).resume_state == State.PROCESSING
    services.dossier_resubmit(dossier=submitted, actor=submitted.applicant)
    row = fresh(submitted)
    assert row.state == State.PROCESSING
    assert row.assignee == specialist  # back in the same specialist's hands
    assert (row.paused_at, row.time_left) == (None, None)  # the clock runs again
    assert row.events.last().to_state == State.PROCESSING


# --- withdraw -------------------------------------------------------------------------------------


def test_withdraw_with_a_reason(submitted):
    services.dossier_withdraw(
        dossier=submitted, actor=submitted.applicant, reason="  Tôi nộp nhầm thủ tục  "
    )
    row = fresh(submitted)
    assert row.state == State.WITHDRAWN and row.status_code == 7
    assert row.closed_at is not None
    assert not row.can_withdraw
    event = row.events.last()
    assert (event.action, event.from_state, event.to_state, event.note) == (
        "withdraw",
        State.SUBMITTED,
        State.WITHDRAWN,
        "Tôi nộp nhầm thủ tục",
    )


def test_withdraw_while_a_supplement_is_asked(submitted, desk):
    workflow.dossier_request_supplement(dossier=submitted, actor=desk, reason="x", items=["y"])
    services.dossier_withdraw(dossier=submitted, actor=submitted.applicant, reason="Thôi")
    assert fresh(submitted).events.last().from_state == State.SUPPLEMENT_REQUIRED


@pytest.mark.parametrize("reason", ["", "   ", "\n\t"])
def test_withdraw_needs_a_reason(english, submitted, reason):
    before = state_of(submitted)
    with pytest.raises(ValidationError) as caught:
        services.dossier_withdraw(dossier=submitted, actor=submitted.applicant, reason=reason)
    assert caught.value.messages == ["Give a reason for withdrawing."]
    assert state_of(submitted) == before


def test_withdraw_only_by_the_applicant(submitted, desk):
    before = state_of(submitted)
    for actor in (CitizenFactory(), desk):
        with pytest.raises(PermissionDenied):
            services.dossier_withdraw(dossier=submitted, actor=actor, reason="Rút")
    assert state_of(submitted) == before


@pytest.mark.parametrize(
    ("state", "label"),
    [
        (State.RESOLVED, "Resolved"),
        (State.RETURNED, "Result returned"),
        (State.REFUSED, "Refused"),
        (State.WITHDRAWN, "Withdrawn"),
        (State.SIGNING, "Being signed"),
    ],
)
def test_withdraw_refused_once_a_result_exists(english, state, label):
    dossier = DossierFactory(**{state.value: True})
    before = state_of(dossier)
    with pytest.raises(ValidationError) as caught:
        services.dossier_withdraw(dossier=dossier, actor=dossier.applicant, reason="Rút")
    assert caught.value.messages == [
        f"This dossier can no longer be withdrawn (it is now: {label})."
    ]
    assert state_of(dossier) == before


def test_a_draft_cannot_be_withdrawn(english):
    dossier = DossierFactory(complete=True)
    with pytest.raises(ValidationError) as caught:
        services.dossier_withdraw(dossier=dossier, actor=dossier.applicant, reason="Rút")
    assert caught.value.messages == ["This dossier can no longer be withdrawn (it is now: Draft)."]


# --- deleting a draft -----------------------------------------------------------------------------


def test_deleting_a_draft_removes_its_files(django_capture_on_commit_callbacks):
    dossier = DossierFactory(complete=True)
    services.dossier_add_files(
        dossier=dossier,
        actor=dossier.applicant,
        requirement_id=dossier.files.get().requirement_id,
        files=[pdf("hai.pdf")],
    )
    paths = [Path(f.file.path) for f in dossier.files.all()]
    assert len(paths) == 2 and all(path.exists() for path in paths)
    with django_capture_on_commit_callbacks(execute=True):
        services.dossier_delete_draft(dossier=dossier, actor=dossier.applicant)
    assert not Dossier.objects.filter(pk=dossier.pk).exists()
    assert not DossierFile.objects.exists()
    assert not any(path.exists() for path in paths)


def test_removing_a_drafts_file_deletes_it(django_capture_on_commit_callbacks):
    dossier = DossierFactory(complete=True)
    record = dossier.files.get()
    path = Path(record.file.path)
    with django_capture_on_commit_callbacks(execute=True):
        services.dossier_remove_file(dossier=dossier, actor=dossier.applicant, file_id=record.pk)
    assert not DossierFile.objects.filter(pk=record.pk).exists()
    assert not path.exists()


def test_only_the_applicants_never_submitted_draft_is_deleted(
    english, django_capture_on_commit_callbacks
):
    draft = DossierFactory(complete=True)
    path = Path(draft.files.get().file.path)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(PermissionDenied):
        services.dossier_delete_draft(dossier=draft, actor=CitizenFactory())
    submitted = DossierFactory(submitted=True)
    with pytest.raises(ValidationError) as caught:
        services.dossier_delete_draft(dossier=submitted, actor=submitted.applicant)
    assert caught.value.messages == ["Only a draft that was never submitted can be deleted."]
    assert Dossier.objects.filter(pk__in=[draft.pk, submitted.pk]).count() == 2
    assert path.exists()


# --- the state and the history are protected ------------------------------------------------------


def test_the_state_cannot_be_assigned():
    dossier = DossierFactory()
    with pytest.raises(AttributeError):
        dossier.state = State.SUBMITTED
    loaded = fresh(dossier)
    with pytest.raises(AttributeError):
        loaded.state = State.RESOLVED
    assert fresh(dossier).state == State.DRAFT


@pytest.fixture
def event():
    return DossierFactory(submitted=True).events.get()


def test_an_event_cannot_be_changed_through_the_orm(event):
    event.note = "sửa lịch sử"
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(TypeError):
        DossierEvent.objects.filter(pk=event.pk).update(note="sửa lịch sử")
    with pytest.raises(TypeError):
        DossierEvent.objects.filter(pk=event.pk).delete()
    assert DossierEvent.objects.get(pk=event.pk).note == ""


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE submissions_dossierevent SET note = 'sửa' WHERE id = %s",
        "UPDATE submissions_dossierevent SET to_state = 'resolved' WHERE id = %s",
        "DELETE FROM submissions_dossierevent WHERE id = %s",
    ],
    ids=["update-note", "update-state", "delete"],
)
@pytest.mark.postgresql  # the append-only trigger is PostgreSQL's
def test_the_database_refuses_to_change_an_event(event, sql):
    assert connection.vendor == "postgresql"
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, [event.pk])
    row = DossierEvent.objects.get(pk=event.pk)
    assert (row.note, row.to_state) == ("", State.SUBMITTED)


# --- emails (and SMS: one Notification row per event and channel) ---------------------------------


@pytest.fixture
def sms_outbox(settings):
    settings.SMS_BACKEND = "portal.sms.MemoryBackend"
    sms.MemoryBackend.outbox.clear()
    yield sms.MemoryBackend.outbox
    sms.MemoryBackend.outbox.clear()


EMAIL, SMS = Notification.Channel.EMAIL, Notification.Channel.SMS


def test_submitting_emails_the_applicant_once_on_commit(
    django_capture_on_commit_callbacks, sms_outbox
):
    dossier = DossierFactory(complete=True, applicant__language="en")
    with time_machine.travel(dt.datetime(2026, 12, 31, 23, 59, tzinfo=VN), tick=False):
        with django_capture_on_commit_callbacks() as callbacks:
            services.dossier_submit(dossier=dossier, actor=dossier.applicant)
        assert mail.outbox == []  # nothing before the commit
        assert sms_outbox == []
        assert len(callbacks) == 1
        for callback in callbacks:
            callback()
    row = fresh(dossier)
    (email,) = mail.outbox
    assert email.to == [dossier.applicant_email]
    assert email.subject == f"Dossier {row.code}: Submitted"
    assert row.code in email.body
    assert "Keep it: you need it to track the dossier." in email.body
    track_url = django_settings.SITE_URL + reverse("submissions:track")
    assert f"Track it without logging in: {track_url}" in email.body
    assert django_settings.SITE_URL + reverse("submissions:detail", args=[row.public_id]) in (
        email.body
    )
    assert "Status: Submitted" in email.body
    assert "23:59 31/12/2026" in email.body  # Vietnam time, not UTC
    # The task runs again (a retry, a redelivery): no second email.
    event = row.events.get()
    notify_event_task.delay(event.pk)
    assert notifications.notify_event(event_id=event.pk) is False
    assert len(mail.outbox) == 1
    assert sms_outbox == [(dossier.applicant_phone, f"Dossier {row.code}: Submitted. {track_url}")]
    notification = Notification.objects.get(channel=EMAIL)
    assert (notification.event, notification.recipient) == (event, dossier.applicant_email)
    assert notification.sent_at is not None
    text = Notification.objects.get(channel=SMS)
    assert (text.event, text.recipient) == (event, dossier.applicant_phone)
    assert text.sent_at is not None
    assert Notification.objects.count() == 2


def test_one_email_per_event(django_capture_on_commit_callbacks, sms_outbox, version, desk):
    dossier = DossierFactory(version=version, complete=True, applicant_email="ho-so@example.vn")
    with django_capture_on_commit_callbacks(execute=True):
        services.dossier_submit(dossier=dossier, actor=dossier.applicant)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.dossier_request_supplement(
            dossier=dossier, actor=desk, reason="Bản scan mờ", items=["Đơn đề nghị"]
        )
    with django_capture_on_commit_callbacks(execute=True):
        services.dossier_resubmit(dossier=dossier, actor=dossier.applicant)
    with django_capture_on_commit_callbacks(execute=True):
        services.dossier_withdraw(dossier=dossier, actor=dossier.applicant, reason="Nộp nhầm")
    code = fresh(dossier).code
    assert len(mail.outbox) == 4 == DossierEvent.objects.filter(dossier=dossier).count()
    # The dossier's own address is used, not the account's.
    assert all(email.to == ["ho-so@example.vn"] for email in mail.outbox)
    assert all(code in email.subject and code in email.body for email in mail.outbox)
    assert "Bản scan mờ" in mail.outbox[1].body
    assert "Nộp nhầm" in mail.outbox[3].body
    for event in DossierEvent.objects.all():
        assert notifications.notify_event(event_id=event.pk) is False
    assert len(mail.outbox) == 4
    assert Notification.objects.filter(channel=EMAIL).count() == 4
    # One SMS per event too, to the dossier's phone.
    assert len(sms_outbox) == 4 == Notification.objects.filter(channel=SMS).count()
    assert {phone for phone, _text in sms_outbox} == {dossier.applicant_phone}


def test_the_email_is_in_the_applicants_language(django_capture_on_commit_callbacks):
    english = DossierFactory(complete=True, applicant__language="en")
    vietnamese = DossierFactory(complete=True, applicant__language="vi")
    for dossier in (english, vietnamese):
        with django_capture_on_commit_callbacks(execute=True):
            services.dossier_submit(dossier=dossier, actor=dossier.applicant)
    to_english, to_vietnamese = mail.outbox
    assert to_english.subject == f"Dossier {fresh(english).code}: Submitted"
    assert "Status: Submitted" in to_english.body
    assert "Trạng thái: " in to_vietnamese.body
    assert "Status: " not in to_vietnamese.body


def test_no_email_without_an_address(django_capture_on_commit_callbacks, sms_outbox):
    dossier = DossierFactory(complete=True, applicant_email="", applicant__email="")
    with django_capture_on_commit_callbacks(execute=True):
        services.dossier_submit(dossier=dossier, actor=dossier.applicant)
    assert mail.outbox == []
    assert not Notification.objects.filter(channel=EMAIL).exists()
    # The phone still gets its SMS.
    assert [phone for phone, _text in sms_outbox] == [dossier.applicant_phone]
    assert list(Notification.objects.values_list("channel", "recipient")) == [
        (SMS, dossier.applicant_phone)
    ]


def test_no_sms_without_a_phone(sms_outbox):
    dossier = DossierFactory(submitted=True)
    # Submitting needs a phone: it is removed afterwards, before the task runs.
    Dossier.objects.filter(pk=dossier.pk).update(applicant_phone="")
    event = fresh(dossier).events.get()
    assert notifications.notify_event(event_id=event.pk) is True
    assert sms_outbox == []
    assert len(mail.outbox) == 1
    assert list(Notification.objects.values_list("channel", flat=True)) == [EMAIL]

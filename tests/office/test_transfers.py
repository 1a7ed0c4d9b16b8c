"""Transfers between agencies (liên thông, issue 14 item 8): a Public Administration Service
Centre (Decree 118/2025/NĐ-CP; DOMAIN.md §0, §3.2–3) receives dossiers for the agencies it serves,
hands each to the resolving agency and gets the result back to return it. Each hand-off is
recorded with its time, on the control sheet (Mẫu 05) and in the register (Mẫu 06); the centre
and the resolving agency both see the dossier with the actions that are theirs, and no other
agency sees it at all."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from office import selectors, slips
from office import services as workflow
from office.actions import available_actions
from office.intake import Received, component_certify, dossier_intake
from office.register import HEADINGS, line
from office.views import _tabs
from portal.models import Agency
from signing.models import Document
from submissions import services as filing
from submissions.models import (
    DocumentKind,
    Dossier,
    EventAction,
    IntakeChannel,
    IntakeComponent,
    ResultDelivery,
    State,
)
from tests.factories import (
    AgencyFactory,
    DossierFactory,
    OfficerFactory,
    ProcedureVersionFactory,
    _resolve_with_fake_signature,
)
from tests.office.test_intake import APPLICANT, scan
from tests.submissions.workflow_support import crew, fresh

pytestmark = pytest.mark.django_db


@pytest.fixture
def centre(agency):
    """The province's centre, receiving for the agency (the Hanoi department of education)."""
    centre = AgencyFactory(
        code="000.00.99.H26",
        name="Trung tâm Phục vụ hành chính công thành phố Hà Nội",
        kind=Agency.Kind.SERVICE_CENTRE,
    )
    agency.service_centre = centre
    agency.save()
    return centre


@pytest.fixture
def people(agency, other_agency, centre):
    team = crew(agency, other_agency)
    team.centre_desk = OfficerFactory(agency=centre, roles=["desk"], full_name="Lý Thị Trung Tâm")
    other_centre = AgencyFactory(
        code="000.00.98.H29",
        name="Trung tâm Phục vụ hành chính công thành phố Hải Phòng",
        kind=Agency.Kind.SERVICE_CENTRE,
    )
    team.other_centre_desk = OfficerFactory(agency=other_centre, roles=["desk", "leader"])
    return team


@pytest.fixture
def version(agency):
    return ProcedureVersionFactory(
        published=True,
        level3=True,
        procedure__agency=agency,
        documents=[{"name": "Đơn đề nghị", "required": True}],
    )


def filed_online(version, citizen) -> Dossier:
    dossier = DossierFactory(version=version, applicant=citizen, complete=True)
    return filing.dossier_submit(dossier=dossier, actor=citizen)


def taken_in_at_centre(version, people, **overrides) -> Dossier:
    [document] = version.documents.all()
    dossier, _created = dossier_intake(
        actor=people.centre_desk,
        version=version,
        channel=IntakeChannel.IN_PERSON,
        applicant=APPLICANT,
        components=[Received(document.pk, IntakeComponent.Form.ORIGINAL, files=[scan()])],
        intake_key="centre-1",
        **overrides,
    )
    return fresh(dossier)


def test_an_online_dossier_for_a_served_agency_is_received_by_the_centre(
    version, people, centre, agency
):
    dossier = filed_online(version, people.citizen)
    assert dossier.receiving_agency == centre and dossier.agency == agency
    # The dossier code is the receiving unit's (DOMAIN.md §4).
    assert dossier.code.startswith(f"{centre.code}-")
    # The agency's own desk does not accept it: the centre's does.
    assert "accept" not in available_actions(dossier, people.desk)
    with pytest.raises(PermissionDenied):
        workflow.dossier_accept(dossier=dossier, actor=people.desk)
    assert set(available_actions(dossier, people.centre_desk)) == {
        "accept", "request_supplement", "refuse",
    }  # fmt: skip
    workflow.dossier_accept(dossier=dossier, actor=people.centre_desk)
    dossier = fresh(dossier)
    # An electronic dossier goes to the agency at once (DOMAIN.md §3.2), one recorded hand-off.
    assert dossier.state == State.RECEIVED and dossier.transferred_at is not None
    assert [(e.action, e.note) for e in dossier.events.order_by("pk")][-2:] == [
        (EventAction.ACCEPT, ""),
        (EventAction.TRANSFER, agency.name),
    ]
    # The receipt (Mẫu 01) is the centre's, signed with its certificate; it names the agency.
    receipt = Document.objects.get(kind=DocumentKind.RECEIPT, owner_id=dossier.pk)
    assert receipt.agency == centre
    facts = slips.BUILDERS[DocumentKind.RECEIPT](dossier, {})["facts"]
    assert ["Cơ quan giải quyết", agency.name] in facts
    # The agency assigns it; the centre cannot.
    assert "assign" in available_actions(dossier, people.desk)
    assert "assign" not in available_actions(dossier, people.centre_desk)
    with pytest.raises(PermissionDenied):
        workflow.dossier_assign(
            dossier=dossier, actor=people.centre_desk, specialist=people.specialist
        )


def test_a_paper_dossier_waits_at_the_centre_until_it_is_handed_over(version, people, centre):
    dossier = taken_in_at_centre(version, people)
    assert (dossier.state, dossier.receiving_agency, dossier.transferred_at) == (
        State.RECEIVED,
        centre,
        None,
    )
    # In the centre's queue of dossiers to hand over; not yet in the agency's queue to assign.
    in_tab = lambda user, tab: list(selectors.office_dossier_list_for(user=user, tab=tab))  # noqa: E731
    assert in_tab(people.centre_desk, "transfers") == [dossier]
    assert in_tab(people.desk, "assign") == []
    with pytest.raises(ValidationError) as refused:
        workflow.dossier_assign(dossier=dossier, actor=people.desk, specialist=people.specialist)
    assert refused.value.messages == [
        "Trung tâm Phục vụ hành chính công chưa chuyển hồ sơ này đến cơ quan."
    ]
    # Only the centre's desk hands it over, once.
    assert "transfer" not in available_actions(dossier, people.desk)
    with pytest.raises(PermissionDenied):
        workflow.dossier_transfer(dossier=dossier, actor=people.desk)
    assert "transfer" in available_actions(dossier, people.centre_desk)
    workflow.dossier_transfer(dossier=dossier, actor=people.centre_desk, expected_state="received")
    dossier = fresh(dossier)
    assert dossier.transferred_at is not None
    assert in_tab(people.centre_desk, "transfers") == []
    assert in_tab(people.desk, "assign") == [dossier]
    with pytest.raises(ValidationError) as again:
        workflow.dossier_transfer(dossier=dossier, actor=people.centre_desk)
    assert again.value.code == "stale"
    workflow.dossier_assign(dossier=dossier, actor=people.desk, specialist=people.specialist)
    assert fresh(dossier).state == State.PROCESSING


def _to_resolved(dossier, people) -> Dossier:
    workflow.dossier_assign(dossier=dossier, actor=people.desk, specialist=people.specialist)
    workflow.dossier_propose(
        dossier=fresh(dossier),
        actor=people.specialist,
        decision="grant",
        reasons="",
        result_content="Cấp bản sao.",
    )
    workflow.dossier_approve(dossier=fresh(dossier), actor=people.leader)
    _resolve_with_fake_signature(fresh(dossier))
    return fresh(dossier)


def test_the_result_goes_back_to_the_centre_which_returns_it(version, people, centre, agency):
    dossier = taken_in_at_centre(version, people)
    workflow.dossier_transfer(dossier=dossier, actor=people.centre_desk)
    dossier = _to_resolved(fresh(dossier), people)
    assert dossier.state == State.RESOLVED
    # The result is the agency's, signed by it.
    assert Document.objects.get(kind=DocumentKind.RESULT, owner_id=dossier.pk).agency == agency
    # The centre cannot return what it does not have yet; the agency's desk never returns it.
    assert "hand_back" not in available_actions(dossier, people.centre_desk)
    with pytest.raises(ValidationError) as early:
        workflow.dossier_hand_back(
            dossier=dossier, actor=people.centre_desk, received_by="Trần Thị Phụ Huynh"
        )
    assert early.value.messages == ["Cơ quan giải quyết chưa chuyển kết quả về Trung tâm."]
    in_tab = lambda user, tab: list(selectors.office_dossier_list_for(user=user, tab=tab))  # noqa: E731
    assert in_tab(people.desk, "transfers") == [dossier]
    assert in_tab(people.desk, "results") == [] and in_tab(people.centre_desk, "results") == []
    # The agency's desk or a leader hands the result back; the centre's desk cannot.
    with pytest.raises(PermissionDenied):
        workflow.dossier_transfer_result(dossier=dossier, actor=people.centre_desk)
    with pytest.raises(PermissionDenied):
        workflow.dossier_transfer_result(dossier=dossier, actor=people.specialist)
    assert "transfer_result" in available_actions(dossier, people.leader)
    workflow.dossier_transfer_result(dossier=dossier, actor=people.desk)
    dossier = fresh(dossier)
    assert dossier.result_transferred_at is not None
    assert in_tab(people.centre_desk, "results") == [dossier]
    assert in_tab(people.desk, "transfers") == []
    with pytest.raises(PermissionDenied):
        workflow.dossier_hand_back(
            dossier=dossier, actor=people.desk, received_by="Trần Thị Phụ Huynh"
        )
    workflow.dossier_hand_back(
        dossier=dossier, actor=people.centre_desk, received_by="Trần Thị Phụ Huynh"
    )
    dossier = fresh(dossier)
    assert dossier.state == State.RETURNED

    # Mẫu 05: the two hand-offs name both bodies, with their times.
    rows = slips.control_sheet_rows(dossier)
    handoffs = [row for row in rows if row[0].endswith((agency.name, centre.name))]
    at = lambda value: timezone.localtime(value).strftime("%H:%M %d/%m/%Y")  # noqa: E731
    assert [(row[0], row[1]) for row in handoffs] == [
        (f"Lý Thị Trung Tâm ({centre.name}) → {agency.name}", at(dossier.transferred_at)),
        (f"Lê Thị Một Cửa ({agency.name}) → {centre.name}", at(dossier.result_transferred_at)),
    ]

    # Mẫu 06: in both registers, each naming the other body and the hand-offs' dates.
    today = timezone.localdate()
    for register_of, other in ((centre, agency), (agency, centre)):
        [row] = selectors.register_rows(agency=register_of, start=today, end=today)
        cells = dict(zip(HEADINGS, line(row), strict=True))
        assert f"liên thông: {other.name}" in cells["Ghi chú"]
        assert cells["Cơ quan chủ trì giải quyết"] == agency.name
        assert cells["Chuyển hồ sơ đến cơ quan giải quyết"] == (
            f"{timezone.localtime(dossier.transferred_at):%d/%m/%Y\n%H:%M}"
        )
        assert cells["Nhận kết quả từ cơ quan giải quyết"] == (
            f"{timezone.localtime(dossier.result_transferred_at):%d/%m/%Y\n%H:%M}"
        )
    # A register of a third agency does not list it.
    assert not selectors.register_rows(
        agency=people.stranger.agency, start=today, end=today
    ).exists()


def test_an_online_result_needs_no_hand_back(version, people):
    dossier = taken_in_at_centre(version, people)
    Dossier.objects.filter(pk=dossier.pk).update(result_delivery=ResultDelivery.ONLINE)
    workflow.dossier_transfer(dossier=fresh(dossier), actor=people.centre_desk)
    dossier = _to_resolved(fresh(dossier), people)
    assert "transfer_result" not in available_actions(dossier, people.desk)
    with pytest.raises(ValidationError):
        workflow.dossier_transfer_result(dossier=dossier, actor=people.desk)


def test_a_transferred_dossier_is_seen_by_exactly_the_two_agencies(
    client, version, people, centre, agency
):
    dossier = filed_online(version, people.citizen)
    workflow.dossier_accept(dossier=dossier, actor=people.centre_desk)
    page = reverse("office:dossier", args=[dossier.public_id])
    api = reverse("api-office-dossier", args=[dossier.public_id])
    seen = {}
    for name in ("centre_desk", "desk", "leader", "stranger", "other_centre_desk"):
        officer = getattr(people, name)
        client.force_login(officer)
        seen[name] = (
            client.get(page).status_code,
            client.get(api).status_code,
            dossier in selectors.office_dossier_list_for(user=officer, tab="all"),
        )
    assert seen == {
        "centre_desk": (200, 200, True),
        "desk": (200, 200, True),
        "leader": (200, 200, True),
        "stranger": (404, 404, False),  # another department
        "other_centre_desk": (404, 404, False),  # another province's centre
    }
    client.force_login(people.centre_desk)
    body = client.get(api).json()
    assert body["receiving_agency"] == {"code": centre.code, "name": centre.name}
    assert body["agency"] == {"code": agency.code, "name": agency.name}
    assert body["transferred_at"] is not None
    html = client.get(page).content.decode()
    assert centre.name in html and agency.name in html and 'id="handoffs"' in html


def test_the_centre_certifies_what_it_received_under_its_own_certificate(version, people, centre):
    dossier = taken_in_at_centre(version, people)
    [component] = dossier.components.all()
    with pytest.raises(PermissionDenied):  # the resolving agency did not see the original
        component_certify(dossier=dossier, actor=people.desk, component_id=component.pk)
    document = component_certify(
        dossier=dossier, actor=people.centre_desk, component_id=component.pk
    )
    assert document.agency == centre


def test_the_centre_takes_in_only_for_the_agencies_it_serves(version, people, other_agency):
    foreign = ProcedureVersionFactory(published=True, level3=True, procedure__agency=other_agency)
    with pytest.raises(PermissionDenied):
        taken_in_at_centre(foreign, people)
    assert not Dossier.objects.exists()
    # The agency's own desk still takes in its own paper dossiers, received by nobody else.
    [document] = version.documents.all()
    own, _created = dossier_intake(
        actor=people.desk,
        version=version,
        channel=IntakeChannel.POST,
        applicant=APPLICANT,
        components=[Received(document.pk, IntakeComponent.Form.COPY, files=[scan()])],
        intake_key="own-1",
    )
    assert fresh(own).receiving_agency is None


def test_the_centre_intake_page_offers_the_served_agencies_procedures(
    client, version, people, other_agency
):
    ProcedureVersionFactory(published=True, level3=True, procedure__agency=other_agency)
    client.force_login(people.centre_desk)
    page = client.get(reverse("office:intake")).content.decode()
    assert f'<optgroup label="{version.procedure.agency.name}">' in page
    assert page.count('<option value="') == 2  # "choose a procedure", and the one
    assert other_agency.name not in page
    # And the queue's tabs are the centre's: no assigning, no approving.
    queue = client.get(reverse("office:queue")).content.decode()
    assert "tab=transfers" in queue and "tab=assign" not in queue and "tab=approval" not in queue


def test_a_service_centre_is_configured_as_one():
    centre = AgencyFactory(kind=Agency.Kind.SERVICE_CENTRE, level=Agency.Level.PROVINCE)
    department = AgencyFactory()
    centre.clean()  # a centre stands outside the sector's tree: no parent needed
    department.service_centre = department
    with pytest.raises(ValidationError) as not_centre:
        department.clean()
    assert not_centre.value.message_dict == {
        "service_centre": ["Hãy chọn một Trung tâm Phục vụ hành chính công."]
    }
    centre.service_centre = AgencyFactory(kind=Agency.Kind.SERVICE_CENTRE)
    with pytest.raises(ValidationError) as itself:
        centre.clean()
    assert itself.value.message_dict == {
        "service_centre": ["Trung tâm Phục vụ hành chính công tự tiếp nhận hồ sơ."]
    }


def test_an_agency_served_by_no_centre_works_as_before(agency, other_agency):
    """Regression: without a centre, the agency receives, resolves and returns itself."""
    team = crew(agency, other_agency)
    dossier = DossierFactory(version__procedure__agency=agency, resolved=True)
    assert dossier.receiving_agency is None and dossier.code.startswith(agency.code)
    assert "transfer_result" not in available_actions(dossier, team.desk)
    assert "hand_back" in available_actions(dossier, team.desk)
    assert [t for t, _label in _tabs(team.desk)] == ["desk", "results", "assign", "all"]


def test_the_hand_offs_through_the_page_and_the_api(client, version, people):
    dossier = taken_in_at_centre(version, people)
    act = reverse("office:act", args=[dossier.public_id, "transfer"])
    api = reverse("api-office-dossier-action", args=[dossier.public_id, "transfer"])
    # Another agency's officer: 404 (it does not tell the dossier exists); nothing changes.
    client.force_login(people.stranger)
    assert client.post(act, {"transfer-expected_state": "received"}).status_code == 404
    assert client.post(api, {}, content_type="application/json").status_code == 404
    # The resolving agency's desk sees it, but handing over is the centre's: 403 with the reason.
    client.force_login(people.desk)
    refused = client.post(api, {"expected_state": "received"}, content_type="application/json")
    assert refused.status_code == 403
    # (in English: the officer chose it)
    assert refused.json()["detail"] == "Your role does not allow this action on this dossier."
    assert fresh(dossier).transferred_at is None
    # The centre's desk, from its page.
    client.force_login(people.centre_desk)
    done = client.post(act, {"transfer-expected_state": "received"}, follow=True)
    assert done.status_code == 200
    assert "Đã thực hiện: Chuyển đến cơ quan giải quyết." in done.content.decode()
    assert fresh(dossier).transferred_at is not None
    # Again (a second tab): the dossier changed meanwhile, 409, and it is still handed once.
    again = client.post(api, {}, content_type="application/json")
    assert again.status_code == 409
    assert fresh(dossier).events.filter(action=EventAction.TRANSFER).count() == 1


def test_a_centre_publishes_no_procedures(centre):
    from procedures.exchange import import_procedures

    report = import_procedures(data=b"{}", filename="list.json", agency=centre, dry_run=False)
    assert report.file_errors == [
        "Trung tâm Phục vụ hành chính công không công bố thủ tục: hãy nhập danh mục cho cơ quan "
        "giải quyết thủ tục."
    ]
    from procedures.models import Procedure

    assert Procedure._meta.get_field("agency").get_limit_choices_to() == {"kind": "agency"}


def test_the_agency_cannot_stop_or_reschedule_what_the_centre_still_holds(version, people):
    """Found in review: a paper dossier accepted at the centre, not yet handed over, was
    offered to the agency's leader to stop (a stop notice for a file it never received)."""
    dossier = taken_in_at_centre(version, people)
    offered = available_actions(dossier, people.leader)
    assert "stop" not in offered and "reschedule" not in offered
    with pytest.raises(ValidationError) as refused:
        workflow.dossier_stop(dossier=dossier, actor=people.leader, reason="Không đủ điều kiện.")
    assert refused.value.code == "not_transferred"
    assert fresh(dossier).state == State.RECEIVED
    workflow.dossier_transfer(dossier=dossier, actor=people.centre_desk)
    assert "stop" in available_actions(fresh(dossier), people.leader)


def test_a_centre_officer_assigning_is_refused_before_the_input_is_read(client, version, people):
    """Found in review: the centre's desk got 400 "choose a specialist of this agency" for a
    wrong id, telling which ids are the agency's specialists; it is 403, whatever the id."""
    dossier = filed_online(version, people.citizen)
    workflow.dossier_accept(dossier=dossier, actor=people.centre_desk)
    api = reverse("api-office-dossier-action", args=[dossier.public_id, "assign"])
    client.force_login(people.centre_desk)
    for specialist in (people.specialist.pk, 999999):
        response = client.post(api, {"specialist": specialist}, content_type="application/json")
        assert response.status_code == 403
    page = client.post(
        reverse("office:act", args=[dossier.public_id, "assign"]),
        {"assign-specialist": 999999},
    )
    assert page.status_code == 403
    assert fresh(dossier).state == State.RECEIVED


def test_the_agency_s_register_counts_a_centre_s_dossier_once_handed_over(
    version, people, agency, centre
):
    """Found in review: the agency's register listed centre dossiers the centre had not
    accepted yet, or had refused."""
    today = timezone.localdate()
    waiting = filed_online(version, people.citizen)  # at the centre, not accepted
    paper = taken_in_at_centre(version, people)  # accepted at the centre, not handed over
    codes = lambda register_of: {  # noqa: E731
        row["code"] for row in selectors.register_rows(agency=register_of, start=today, end=today)
    }
    assert codes(agency) == set()
    assert codes(centre) == {waiting.code, paper.code}
    workflow.dossier_transfer(dossier=paper, actor=people.centre_desk)
    assert codes(agency) == {paper.code}

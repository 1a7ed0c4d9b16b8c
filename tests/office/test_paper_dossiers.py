"""What a dossier with no account behind it needs, and the edges a review found (issue 14):
the desk records a paper supplement; the intake's key is the desk's own; an online result is
not offered; odd input is a page, not a server error; each action is offered to its role."""

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import translation

from office import actions
from office import services as workflow
from office.intake import dossier_intake
from submissions.models import Dossier, IntakeChannel, ResultDelivery, State
from tests.factories import DossierFactory
from tests.office.test_intake import APPLICANT, received
from tests.office.test_intake import version as version  # the fixture
from tests.submissions.workflow_support import crew, fresh

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(agency, other_agency):
    return crew(agency, other_agency)


def _taken_in(people, version, key="paper", **kwargs):
    dossier, _created = dossier_intake(
        actor=people.desk, version=version, channel=IntakeChannel.IN_PERSON,
        applicant=APPLICANT, components=received(version), intake_key=key, **kwargs,
    )  # fmt: skip
    return dossier


def test_the_desk_records_the_supplement_of_a_paper_dossier(people, version):
    dossier = _taken_in(people, version)
    workflow.dossier_assign(dossier=fresh(dossier), actor=people.desk, specialist=people.specialist)
    workflow.dossier_request_supplement(
        dossier=fresh(dossier), actor=people.specialist, reason="Thiếu.", items=["Học bạ"]
    )
    assert "receive_supplement" in actions.available_actions(fresh(dossier), people.desk)
    assert "receive_supplement" not in actions.available_actions(fresh(dossier), people.leader)
    back = workflow.dossier_receive_supplement(
        dossier=fresh(dossier), actor=people.desk, note="Nhận bản sao học bạ tại quầy."
    )
    assert back.state == State.PROCESSING
    assert fresh(dossier).supplements.get().answered_at is not None


def test_an_online_dossiers_supplement_is_the_applicants_to_send(people):
    dossier = DossierFactory(
        processing=True, agency=people.desk.agency, workflow__specialist=people.specialist
    )
    workflow.dossier_request_supplement(
        dossier=dossier, actor=people.specialist, reason="Thiếu.", items=["Học bạ"]
    )
    assert "receive_supplement" not in actions.available_actions(fresh(dossier), people.desk)


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_asking_for_a_supplement_locks_inside_its_own_transaction(people):
    """Called as the views call it, outside any transaction: its row lock needs one of its own
    (on PostgreSQL a lock in autocommit is refused)."""
    dossier = DossierFactory(
        processing=True, agency=people.desk.agency, workflow__specialist=people.specialist
    )
    assert transaction.get_autocommit()
    asked = workflow.dossier_request_supplement(
        dossier=dossier, actor=people.specialist, reason="Thiếu.", items=["Học bạ"]
    )
    assert asked.state == State.SUPPLEMENT_REQUIRED


def test_a_citizens_key_never_meets_the_desks(people, version):
    citizen_dossier = DossierFactory(submitted=True, agency=people.desk.agency)
    Dossier.objects.filter(pk=citizen_dossier.pk).update(client_ref="intake:same")
    desk_dossier = _taken_in(people, version, key="same")
    assert desk_dossier.pk != citizen_dossier.pk
    other = DossierFactory(submitted=True, agency=people.desk.agency)
    Dossier.objects.filter(pk=other.pk).update(client_ref="intake:same")  # no IntegrityError


def test_no_online_result_without_an_account(people, version):
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        _taken_in(people, version, result_delivery=ResultDelivery.ONLINE)
    assert "at the desk or by post" in refused.value.message_dict["result_delivery"][0]


def test_a_result_goes_by_post_only_when_asked_for(people, version, english):
    dossier = DossierFactory(resolved=True, agency=people.desk.agency)
    Dossier.objects.filter(pk=dossier.pk).update(delivery_address="5 Hàng Bài")
    with pytest.raises(ValidationError) as refused:
        workflow.dossier_send_by_post(
            dossier=fresh(dossier), actor=people.desk, post_service="VNPost", post_tracking="E1"
        )
    assert "did not ask for the result by post" in str(refused.value)
    assert fresh(dossier).state == State.RESOLVED


def test_recording_a_delivery_is_offered_to_the_desk_only(people):
    dossier = DossierFactory(resolved=True, agency=people.desk.agency)
    Dossier.objects.filter(pk=dossier.pk).update(
        result_delivery=ResultDelivery.POST, delivery_address="5 Hàng Bài"
    )
    workflow.dossier_send_by_post(
        dossier=fresh(dossier), actor=people.desk, post_service="VNPost", post_tracking="E1"
    )
    assert actions.available_actions(fresh(dossier), people.desk) == ["record_delivery"]
    assert actions.available_actions(fresh(dossier), people.leader) == []


@pytest.mark.parametrize("odd", ["²", "١", "-1", "9" * 30, "abc"])
def test_an_odd_procedure_choice_is_the_choice_page(client, people, odd):
    client.force_login(people.desk)
    page = client.get(reverse("office:intake"), {"procedure": odd})
    assert page.status_code == 200
    assert 'name="procedure"' in page.content.decode()


def test_a_filer_with_a_passport_tracks_by_it(client, people, version):
    from rest_framework.test import APIClient

    dossier, _created = dossier_intake(
        actor=people.desk, version=version, channel=IntakeChannel.IN_PERSON,
        applicant={**APPLICANT, "id_type": "passport", "citizen_id": "m12345678901",
                   "nationality": "Hàn Quốc"},
        components=received(version), intake_key="passport",
    )  # fmt: skip
    found = APIClient().post(
        "/api/v1/track/", {"code": dossier.code, "secret": "m12345678901"}, format="json"
    )
    assert found.status_code == 200 and found.json()["code"] == dossier.code
    page = client.post(
        reverse("submissions:track"), {"code": dossier.code, "secret": "M12345678901"}
    )
    assert version.name in page.content.decode() and page.status_code == 200  # found

"""A supplement is asked for at most once while a dossier is processed (issue 14, item 9):
the second request is refused with a clear message and changes nothing; the action is no longer
offered; the desk's request before acceptance (Mẫu 02) does not count."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from office import actions
from office import services as workflow
from submissions import services
from submissions.models import Dossier, State
from tests.factories import DossierFactory
from tests.submissions.workflow_support import crew, fresh

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(agency, other_agency):
    return crew(agency, other_agency)


def _ask(dossier, actor):
    return workflow.dossier_request_supplement(
        dossier=dossier, actor=actor, reason="Thiếu giấy tờ.", items=["Bản sao học bạ"]
    )


def test_a_second_request_while_processing_is_refused(people):
    dossier = DossierFactory(
        processing=True, agency=people.desk.agency, workflow__specialist=people.specialist
    )
    _ask(dossier, people.specialist)
    dossier = services.dossier_resubmit(dossier=fresh(dossier), actor=dossier.applicant)
    assert fresh(dossier).state == State.PROCESSING
    assert "request_supplement" not in actions.available_actions(fresh(dossier), people.specialist)
    events = fresh(dossier).events.count()
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        _ask(fresh(dossier), people.specialist)
    assert refused.value.code == "once"
    assert "only once while a dossier is processed" in refused.value.messages[0]
    assert (fresh(dossier).state, fresh(dossier).events.count()) == (State.PROCESSING, events)
    assert fresh(dossier).supplements.count() == 1


def test_the_desks_request_before_acceptance_does_not_count(people):
    dossier = DossierFactory(submitted=True, agency=people.desk.agency)
    _ask(dossier, people.desk)  # Mẫu 02 at the desk
    dossier = services.dossier_resubmit(dossier=fresh(dossier), actor=dossier.applicant)
    workflow.dossier_accept(dossier=fresh(dossier), actor=people.desk)
    workflow.dossier_assign(dossier=fresh(dossier), actor=people.desk, specialist=people.specialist)
    assert "request_supplement" in actions.available_actions(fresh(dossier), people.specialist)
    _ask(fresh(dossier), people.specialist)
    assert fresh(dossier).state == State.SUPPLEMENT_REQUIRED
    assert Dossier.objects.get(pk=dossier.pk).supplements.count() == 2


def test_the_api_answers_the_second_request_with_its_message(people):
    from django.urls import reverse
    from rest_framework.test import APIClient

    dossier = DossierFactory(
        processing=True, agency=people.desk.agency, workflow__specialist=people.specialist
    )
    _ask(dossier, people.specialist)
    services.dossier_resubmit(dossier=fresh(dossier), actor=dossier.applicant)
    api = APIClient()
    api.force_authenticate(people.specialist)
    answer = api.post(
        reverse("api-office-dossier-action", args=[dossier.public_id, "request_supplement"]),
        {"reason": "Lại thiếu.", "items": ["Giấy khai sinh"]},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert answer.status_code == 400
    assert "only once while a dossier is processed" in answer.json()["detail"]

"""How the result goes back (issue 14, item 6): online, at the desk or by post; chosen at filing,
changeable by the applicant until the result is being signed; sent by post with its postal
service and tracking number (required), and its delivery day recorded."""

import datetime as dt
import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from office import actions, slips
from office import services as workflow
from office.register import line
from office.selectors import register_rows
from submissions import services
from submissions.models import DocumentKind, Dossier, ResultDelivery, State
from tests.factories import CitizenFactory, DossierFactory, ProcedureVersionFactory
from tests.submissions.workflow_support import crew, fresh

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(agency, other_agency):
    return crew(agency, other_agency)


def test_a_new_draft_gets_back_its_result_as_its_service_level_allows(agency):
    citizen = CitizenFactory()
    level3 = ProcedureVersionFactory(published=True, level3=True, procedure__agency=agency)
    level4 = ProcedureVersionFactory(published=True, level4=True, procedure__agency=agency)
    assert services.dossier_start(version=level3, applicant=citizen).result_delivery == "desk"
    assert services.dossier_start(version=level4, applicant=citizen).result_delivery == "online"


def test_the_applicant_chooses_the_post_on_their_dossier_page(client):
    dossier = DossierFactory(received=True)
    url = reverse("submissions:delivery", args=[dossier.public_id])
    client.force_login(dossier.applicant)
    page = client.get(reverse("submissions:detail", args=[dossier.public_id])).content.decode()
    assert f'action="{url}"' in page
    assert 'value="online"' not in page  # a level-3 procedure: no online result offered

    refused = client.post(url, {"result_delivery": "post", "delivery_address": " "}, follow=True)
    assert "Hãy ghi địa chỉ nhận kết quả qua bưu chính." in refused.content.decode()
    assert fresh(dossier).result_delivery == ResultDelivery.DESK
    online = client.post(url, {"result_delivery": "online"}, follow=True)
    assert fresh(dossier).result_delivery == ResultDelivery.DESK
    assert online.status_code == 200

    client.post(url, {"result_delivery": "post", "delivery_address": "5 Hàng Bài, Hà Nội"})
    dossier = fresh(dossier)
    assert (dossier.result_delivery, dossier.delivery_address) == ("post", "5 Hàng Bài, Hà Nội")
    receipt = slips.BUILDERS[DocumentKind.RECEIPT](dossier, {})
    assert [
        "Hình thức nhận kết quả",
        "Qua dịch vụ bưu chính, đến: 5 Hàng Bài, Hà Nội",
    ] in receipt["facts"]


def test_nobody_else_changes_it_and_not_once_signing(client):
    dossier = DossierFactory(resolved=True)
    with translation.override("en"), pytest.raises(ValidationError) as late:
        services.dossier_set_delivery(
            dossier=dossier, actor=dossier.applicant, delivery="post", address="x"
        )
    assert "can no longer change" in late.value.messages[0]
    other = DossierFactory(received=True)
    client.force_login(CitizenFactory())
    url = reverse("submissions:delivery", args=[other.public_id])
    assert client.post(url, {"result_delivery": "desk"}).status_code == 404


def test_the_desk_sends_the_result_by_post_and_records_its_delivery(people, english):
    dossier = DossierFactory(resolved=True, agency=people.desk.agency)
    assert "send_by_post" not in actions.available_actions(dossier, people.desk)
    Dossier.objects.filter(pk=dossier.pk).update(
        result_delivery=ResultDelivery.POST, delivery_address="5 Hàng Bài, Hà Nội"
    )
    dossier = fresh(dossier)
    assert {"hand_back", "send_by_post"} <= set(actions.available_actions(dossier, people.desk))
    assert "send_by_post" not in actions.available_actions(dossier, people.specialist)

    with pytest.raises(ValidationError) as missing:
        workflow.dossier_send_by_post(
            dossier=dossier, actor=people.desk, post_service="VNPost", post_tracking="  "
        )
    assert missing.value.message_dict == {"post_tracking": ["Give the postal tracking number."]}
    assert fresh(dossier).state == State.RESOLVED

    sent = workflow.dossier_send_by_post(
        dossier=dossier, actor=people.desk, post_service="VNPost", post_tracking="EB123456789VN"
    )
    assert (sent.state, sent.post_tracking, sent.post_sent_at is not None) == (
        State.RETURNED,
        "EB123456789VN",
        True,
    )
    today = timezone.localdate()
    [row] = [r for r in register_rows(agency=dossier.agency, start=today, end=today)]
    assert "VNPost: EB123456789VN" in line(row)[10]  # Mẫu 06: Trả kết quả

    assert actions.available_actions(fresh(dossier), people.desk) == ["record_delivery"]
    with pytest.raises(ValidationError) as early:
        workflow.dossier_record_delivery(
            dossier=fresh(dossier), actor=people.desk, delivered_on=today - dt.timedelta(days=3)
        )
    assert "delivered_on" in early.value.message_dict
    delivered = workflow.dossier_record_delivery(
        dossier=fresh(dossier), actor=people.desk, delivered_on=today
    )
    assert timezone.localdate(delivered.post_delivered_at) == today
    assert actions.available_actions(fresh(dossier), people.desk) == []


def test_sending_by_post_through_the_page_and_the_api(client, agency, other_agency):
    people = crew(agency, other_agency, language="vi")
    from rest_framework.test import APIClient

    dossier = DossierFactory(resolved=True, agency=people.desk.agency)
    Dossier.objects.filter(pk=dossier.pk).update(
        result_delivery=ResultDelivery.POST, delivery_address="5 Hàng Bài, Hà Nội"
    )
    client.force_login(people.desk)
    url = reverse("office:act", args=[dossier.public_id, "send_by_post"])
    refused = client.post(url, {"send_by_post-expected_state": "resolved"})
    assert refused.status_code == 400
    assert fresh(dossier).state == State.RESOLVED
    api = APIClient()
    api.force_authenticate(people.desk)
    answer = api.post(
        reverse("api-office-dossier-action", args=[dossier.public_id, "send_by_post"]),
        {"post_service": "VNPost", "post_tracking": "EB1VN"},
        format="json",
    )
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert (body["state"], body["result_delivery"], body["post_tracking"]) == (
        "returned",
        "post",
        "EB1VN",
    )
    # In Vietnamese: the state is "returned", the delivery its own line (their labels differ).
    page = client.get(reverse("office:dossier", args=[dossier.public_id])).content.decode()
    assert "Đã trả kết quả" in page
    assert re.search(r"<dt>Hình thức nhận kết quả</dt><dd id=\"delivery\">Dịch vụ bưu chính", page)

"""The agency's statistics in the back-office (/office/statistics/)."""

import re

import pytest

from portal.models import StaffRole
from tests.factories import CitizenFactory, OfficerFactory
from tests.stats.test_indicators import (
    NOW,
    data,  # noqa: F401 - the hand-made data set
)

pytestmark = pytest.mark.django_db

MARCH = "period=custom&start=01/03/2026&end=31/03/2026"


@pytest.fixture
def officer_of_a(client, data):  # noqa: F811
    officer = OfficerFactory(agency=data["a"], roles=[StaffRole.Role.LEADER])
    client.force_login(officer)
    client.cookies["dvc_language"] = "en"
    return officer


def test_the_dashboard_shows_the_figures_and_the_dossiers_behind_them(client, officer_of_a, data):  # noqa: F811
    response = client.get(f"/office/statistics/?{MARCH}")
    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r"<dt>Received</dt><dd>8</dd>", html)  # A and its unit B
    # Today (after March 2026) both dossiers in progress are past due: #5 (20/03), #4 (30/03).
    assert re.search(r"<dt>Overdue now</dt><dd>2</dd>", html)
    overdue = response.context["behind"]["overdue"]
    assert [d["code"] for d in overdue] == ["T-0005", "T-0004"]
    attention = html.split('id="attention"')[1].split("Due within")[0]
    assert attention.count('href="/office/dossiers/') == 2
    # Resolved late last month (the month before today): none (#3 was late in March 2026).
    assert response.context["behind"]["late_last_month"] == []
    # The unit B has its line, and the procedures theirs.
    [unit_b] = response.context["units"]["table"]
    assert (unit_b["agency"].code, unit_b["received"], unit_b["on_time"]) == (
        "000.00.02.H99",
        1,
        100,
    )
    assert len(response.context["procedures"]) == 3  # A's free and fee procedures, B's
    # A's procedures lead to their dossiers in the queue; B's (a unit's) are not A's queue's.
    queue_links = re.findall(r'href="/office/\?tab=all&amp;procedure=(\d+)"', html)
    assert sorted(map(int, queue_links)) == sorted(
        [data["free"].procedure_id, data["fee"].procedure_id]
    )
    assert 'href="/office/?tab=all&amp;overdue=on"' in html
    assert html.count('role="img"') == 2


def test_a_unit_below_may_be_looked_at_and_another_agency_is_not_found(client, officer_of_a, data):  # noqa: F811
    below = client.get(f"/office/statistics/?unit={data['b'].code}&{MARCH}")
    assert below.status_code == 200
    assert re.search(r"<dt>Received</dt><dd>1</dd>", below.content.decode())
    assert client.get(f"/office/statistics/?unit={data['c'].code}").status_code == 404
    assert client.get("/office/statistics/?unit=nope").status_code == 404


def test_an_officer_of_the_unit_may_not_look_above(client, data):  # noqa: F811
    client.force_login(OfficerFactory(agency=data["b"], roles=[StaffRole.Role.DESK]))
    assert client.get(f"/office/statistics/?unit={data['a'].code}").status_code == 404
    assert client.get("/office/statistics/").status_code == 200


def test_citizens_and_visitors_get_nothing(client, data):  # noqa: F811
    assert client.get("/office/statistics/").status_code in (302, 404)
    client.force_login(CitizenFactory())
    assert client.get("/office/statistics/").status_code == 404


def test_a_bad_period_is_explained(client, officer_of_a):
    client.cookies["dvc_language"] = "en"
    response = client.get("/office/statistics/?period=custom&start=31/03/2026&end=01/03/2026")
    assert response.status_code == 400
    assert "The period ends before it starts" in response.content.decode()


def test_feedback_past_its_due_time_is_listed(client, officer_of_a, data):  # noqa: F811
    from tests.factories import FeedbackFactory

    late = FeedbackFactory(agency=data["a"], due_at=NOW, title="Chậm trả lời")
    FeedbackFactory(agency=data["c"], due_at=NOW)  # another agency's
    response = client.get(f"/office/statistics/?{MARCH}")
    # The data set's open one (due 20/03), then this one (due 25/03); not C's.
    listed = response.context["behind"]["feedback_overdue"]
    assert [f.agency_id for f in listed] == [data["a"].pk] * 2 and listed[-1] == late
    assert f'href="/office/feedback/{late.code}/"' in response.content.decode()

"""Honest on-time classes (issue 15, item 3), which the Decision 766/QĐ-TTg indicators count:
a dossier given a new date by the apology letter (Mẫu 04) stays late against its first due time;
the letter comes no later than the working day before the due date (Decree 61/2018/NĐ-CP Art.
19(1)(c), "chậm nhất 01 ngày trước ngày hết hạn", kept by Decree 118/2025; article numbers not
confirmed here, see the README); each step is classed against the due time in force when it
started."""

from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError

from office import services as workflow
from submissions import services
from submissions.models import State, Timeliness
from tests.submissions.test_workflow import accept_at, advance, at, snapshot, version_with
from tests.submissions.workflow_support import crew, fresh

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _counted_in_working_hours(settings):
    """The due times below were worked out counting N working days as N x 8 office hours (the
    `working_hours` mode an agency may choose); the whole-days default has its own tests
    (tests/portal/test_counting.py)."""
    settings.DEADLINE_COUNTING = "working_hours"


@pytest.fixture
def people(agency, other_agency):
    return crew(agency, other_agency)


@pytest.fixture
def running(people, agency):
    """Accepted Mon 9/3/2026 09:00 with 5 working days (due Mon 16/3 09:00), assigned."""
    version = version_with(agency, time_amount=Decimal("5"))
    dossier = accept_at(at(2026, 3, 9, 9), version, people)
    with time_machine.travel(at(2026, 3, 9, 10), tick=False):
        workflow.dossier_assign(dossier=dossier, actor=people.desk, specialist=people.specialist)
    return fresh(dossier)


def reschedule(dossier, people, *, now, new_due):
    with time_machine.travel(now, tick=False):
        return workflow.dossier_reschedule(
            dossier=dossier, actor=people.leader, reason="Chờ xác minh.", new_due=new_due
        )


def test_a_rescheduled_dossier_resolved_by_its_new_date_counts_late(people, running):
    reschedule(running, people, now=at(2026, 3, 12, 10), new_due=at(2026, 3, 20, 16))
    with time_machine.travel(at(2026, 3, 18, 10), tick=False):  # before the new date
        dossier = advance(fresh(running), State.RESOLVED, people)
    assert dossier.due_at == at(2026, 3, 20, 16)
    assert dossier.original_due_at == at(2026, 3, 16, 9)
    assert dossier.timeliness == Timeliness.LATE  # against Mon 16/3 09:00


def test_resolved_before_the_first_due_time_a_rescheduled_dossier_is_not_late(people, running):
    reschedule(running, people, now=at(2026, 3, 12, 10), new_due=at(2026, 3, 20, 16))
    with time_machine.travel(at(2026, 3, 13, 10), tick=False):
        dossier = advance(fresh(running), State.RESOLVED, people)
    assert dossier.timeliness == Timeliness.EARLY


@pytest.mark.parametrize(
    "now",
    [at(2026, 3, 14, 10), at(2026, 3, 16, 8)],
    ids=["the-weekend-before", "on-the-due-morning"],
)
def test_an_apology_after_the_working_day_before_the_due_date_is_refused(people, running, now):
    """Due Monday 16/3: the letter comes by Friday 13/3, the working day before; on the weekend
    or on the due day itself it is too late."""
    before = snapshot(running)
    with pytest.raises(ValidationError) as refused:
        reschedule(running, people, now=now, new_due=at(2026, 3, 20, 16))
    assert refused.value.code == "late"
    assert refused.value.messages == [
        "Văn bản xin lỗi phải gửi chậm nhất vào ngày làm việc trước ngày hẹn trả kết quả "
        "(09:00 16/03/2026): đã quá muộn để hẹn lại ngày."
    ]
    assert snapshot(running) == before
    assert not running.events.filter(action="reschedule").exists()


@pytest.mark.parametrize("now", [at(2026, 3, 13, 7, 30), at(2026, 3, 13, 16, 59)])
def test_an_apology_on_the_working_day_before_is_accepted(people, running, now):
    reschedule(running, people, now=now, new_due=at(2026, 3, 20, 16))
    assert fresh(running).rescheduled


def test_each_step_is_classed_against_the_due_time_in_force_when_it_started(people, running):
    # The apology itself is a step that started under the first due time (early against it).
    reschedule(running, people, now=at(2026, 3, 12, 10), new_due=at(2026, 3, 20, 16))
    apology = fresh(running).events.get(action="reschedule")
    assert (apology.timeliness, apology.due_at) == (Timeliness.EARLY, at(2026, 3, 20, 16))
    # The next step started under the new date: proposing on Wed 18/3 is early against it.
    with time_machine.travel(at(2026, 3, 18, 10), tick=False):
        workflow.dossier_propose(
            dossier=fresh(running), actor=people.specialist, decision="grant", result_content="X."
        )
    propose = fresh(running).events.get(action="propose")
    assert propose.timeliness == Timeliness.EARLY


def test_a_pause_moves_the_first_due_time_of_a_rescheduled_dossier_too(people, running):
    reschedule(running, people, now=at(2026, 3, 12, 10), new_due=at(2026, 3, 20, 16))
    with time_machine.travel(at(2026, 3, 12, 11), tick=False):
        workflow.dossier_request_supplement(
            dossier=fresh(running), actor=people.specialist, reason="Thiếu.", items=["Học bạ"]
        )
    # Paused Thu 12/3 11:00 for a week; resumed Thu 19/3 11:00: both due times move a week.
    with time_machine.travel(at(2026, 3, 19, 11), tick=False):
        services.dossier_resubmit(dossier=fresh(running), actor=running.applicant)
    dossier = fresh(running)
    assert dossier.original_due_at == at(2026, 3, 23, 9)
    assert dossier.due_at == at(2026, 3, 27, 16)

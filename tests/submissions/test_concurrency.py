"""Submissions at the same moment, each on its own database connection: the daily sequence gives
every dossier its own number with no gap, and a draft submitted twice at once is submitted once."""

import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.db import connection

from submissions import services
from submissions.models import DailySequence, Dossier, DossierEvent, State
from tests.factories import DossierFactory, ProcedureVersionFactory

# Threads writing at once: SQLite's shared in-memory test database refuses a second writer
# ("database table is locked") where PostgreSQL makes it wait on the row lock.
pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]

# Mid-morning in Hà Nội: every submission of the test falls on the same local day.
NOON = dt.datetime(2026, 6, 10, 10, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))


def run_together(calls: list) -> list:
    """Run each call in its own thread, all released at once; (result or exception) per call.
    Each thread closes its own database connection when done."""
    barrier = threading.Barrier(len(calls), timeout=30)
    outcomes: list = [None] * len(calls)

    def worker(index, call):
        try:
            barrier.wait()
            outcomes[index] = call()
        except BaseException as exc:  # the test looks at each outcome
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [
        threading.Thread(target=worker, args=(index, call), daemon=True)
        for index, call in enumerate(calls)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a submission never finished"
    return outcomes


def submit(dossier):
    return lambda: services.dossier_submit(dossier=dossier, actor=dossier.applicant).code


def test_fifty_citizens_submit_at_once(agency):
    version = ProcedureVersionFactory(published=True, level3=True, procedure__agency=agency)
    drafts = [DossierFactory(version=version, complete=True) for _ in range(50)]
    assert len({d.applicant_id for d in drafts}) == 50

    with time_machine.travel(NOON, tick=True):
        codes = run_together([submit(d) for d in drafts])

    errors = [c for c in codes if isinstance(c, BaseException)]
    assert errors == []
    expected = {f"000.00.12.H26-260610-{n:04d}" for n in range(1, 51)}
    assert set(codes) == expected  # 50 distinct codes, 0001 to 0050, no gap
    rows = Dossier.objects.filter(pk__in=[d.pk for d in drafts])
    assert sorted(rows.values_list("code", flat=True)) == sorted(expected)
    assert {d.pk: d.code for d in rows} == {
        d.pk: code for d, code in zip(drafts, codes, strict=True)
    }
    assert rows.filter(state=State.SUBMITTED).count() == 50
    assert DossierEvent.objects.filter(action="submit", dossier__in=rows).count() == 50
    assert DossierEvent.objects.values("dossier_id").distinct().count() == 50
    sequence = DailySequence.objects.get()
    assert (sequence.agency_id, sequence.day, sequence.last) == (agency.pk, NOON.date(), 50)
    # Each applicant was told once, after the commit, with their own code.
    assert sorted(code for email in mail.outbox for code in expected if code in email.subject) == (
        sorted(expected)
    )
    assert len(mail.outbox) == 50


def test_one_draft_submitted_from_ten_threads_at_once(agency):
    version = ProcedureVersionFactory(published=True, level3=True, procedure__agency=agency)
    dossier = DossierFactory(version=version, complete=True)

    with time_machine.travel(NOON, tick=True):
        # Each thread holds its own copy of the draft, as ten browser tabs would.
        codes = run_together([submit(Dossier.objects.get(pk=dossier.pk)) for _ in range(10)])

    assert [c for c in codes if isinstance(c, BaseException)] == []
    assert codes == ["000.00.12.H26-260610-0001"] * 10
    row = Dossier.objects.get(pk=dossier.pk)
    assert (row.state, row.code) == (State.SUBMITTED, "000.00.12.H26-260610-0001")
    event = DossierEvent.objects.get()
    assert (event.dossier_id, event.action, event.from_state) == (dossier.pk, "submit", "draft")
    assert DailySequence.objects.get().last == 1  # no number used up by the losers
    (email,) = mail.outbox
    assert "000.00.12.H26-260610-0001" in email.subject

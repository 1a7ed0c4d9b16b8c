"""Helpers shared by the workflow tests: the people of an agency, a dossier driven to a state by
them through the workflow's own services (tests.factories.dossier_advance, which the
DossierFactory state traits use too), and a stand-in for the signing worker where a test is not
about signing (tests/submissions/test_workflow.py signs for real with the demo PKI)."""

import io
import types

from django.core.management import call_command

from office import services as workflow
from signing.models import Document
from submissions import selectors
from submissions.models import Decision, Dossier
from tests.factories import CitizenFactory, OfficerFactory, dossier_advance
from tests.factories import fake_sign as fake_sign  # where the workflow tests import it from

ALL_ROLES = ["desk", "specialist", "leader", "agency_admin"]


def crew(agency, other_agency, *, language: str = "en") -> types.SimpleNamespace:
    """One officer per role of `agency` (two specialists: the one dossiers are assigned to and
    another), an officer of `other_agency` holding every role, and a citizen who is nobody's
    applicant."""

    def officer(roles, name, of=agency):
        return OfficerFactory(agency=of, roles=roles, full_name=name, language=language)

    return types.SimpleNamespace(
        desk=officer(["desk"], "Lê Thị Một Cửa"),
        specialist=officer(["specialist"], "Trần Văn Chuyên"),
        other_specialist=officer(["specialist"], "Phạm Thị Khác"),
        leader=officer(["leader"], "Võ Văn Lãnh Đạo"),
        admin=officer(["agency_admin"], "Đỗ Quản Trị"),
        stranger=officer(ALL_ROLES, "Ngô Cơ Quan Khác", of=other_agency),
        citizen=CitizenFactory(language=language),
    )


def fresh(dossier) -> Dossier:
    return Dossier.objects.get(pk=dossier.pk)


def documents_of(dossier, kind: str | None = None, *, staff: bool = False) -> list[Document]:
    """The dossier's documents (of `kind`): those the applicant sees, or all with `staff`."""
    found = selectors.dossier_documents(dossier, staff=staff)
    return [d for d in found if kind is None or d.kind == kind]


def advance(dossier, to: str, people, *, decision: str = Decision.GRANT) -> Dossier:
    """Take a dossier on from where it is to state `to` through the services, each step by the
    role whose step it is; the dossier is assigned to `people.specialist`."""
    return dossier_advance(
        dossier,
        to,
        desk=people.desk,
        specialist=people.specialist,
        leader=people.leader,
        decision=decision,
    )


def make_demo_pki(settings, agencies) -> None:
    """A signing certificate for each agency from the demo root (as tests/signing/conftest.py
    does), with a fresh key-encryption key and no timestamp server."""
    from signing import certificates, keys, verify

    settings.SIGNING_KEK = keys.new_kek_text()
    settings.SIGNING_KEK_OLD = ""
    settings.SIGNING_TSA_URL = ""
    certificates._signer.cache_clear()
    verify._trust_roots.cache_clear()
    arguments = ["--dir", str(settings.SIGNING_DEMO_PKI_DIR)]
    for agency in agencies:
        arguments += ["--agency", agency.code]
    call_command("make_demo_pki", *arguments, stdout=io.StringIO())


# The agency's internal notes (INTERNAL_ACTIONS: shown to its officers, never to the applicant)
# and a note addressed to the applicant, as `through_internal_steps` leaves them.
PROPOSAL_REASONS = "Con dấu trên bản sao có dấu hiệu tẩy xóa."
SEND_BACK_NOTE = "Đối chiếu sổ gốc trước khi đề xuất lại."
STOP_REASON = "Người nộp đã mất năng lực hành vi."


def through_internal_steps(dossier, people) -> Dossier:
    """A submitted dossier accepted, assigned (the note names the specialist), proposed for
    denial (with reasons), sent back by the leader (with a note), then stopped (with a reason the
    applicant reads)."""
    workflow.dossier_accept(dossier=dossier, actor=people.desk)
    workflow.dossier_assign(dossier=dossier, actor=people.desk, specialist=people.specialist)
    workflow.dossier_propose(
        dossier=dossier,
        actor=people.specialist,
        decision=Decision.DENY,
        reasons=PROPOSAL_REASONS,
    )
    workflow.dossier_send_back(dossier=dossier, actor=people.leader, note=SEND_BACK_NOTE)
    workflow.dossier_stop(dossier=dossier, actor=people.leader, reason=STOP_REASON)
    dossier = fresh(dossier)
    notes = dict(dossier.events.values_list("action", "note"))
    assert list(notes) == ["submit", "accept", "assign", "propose", "send_back", "stop"], notes
    assert notes["assign"] == people.specialist.full_name
    assert notes["propose"].endswith(f": {PROPOSAL_REASONS}")  # "Deny: …" in the language then
    assert (notes["send_back"], notes["stop"]) == (SEND_BACK_NOTE, STOP_REASON)
    return dossier

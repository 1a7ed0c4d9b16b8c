"""Helpers shared by the workflow tests: the people of an agency, a dossier driven to a state
through the workflow's own services, and a stand-in for the signing worker where a test is not
about signing (tests/submissions/test_workflow.py signs for real with the demo PKI)."""

import io
import types

from django.core.files.base import ContentFile
from django.core.management import call_command
from django.utils import timezone

from signing.models import Document
from submissions import selectors, services, workflow
from submissions.models import Decision, Dossier, State
from tests.factories import PDF_BYTES, CitizenFactory, OfficerFactory

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


def fake_sign(document: Document) -> Document:
    """What the signing worker leaves (without rendering or a certificate): a signed PDF."""
    document.pdf.save(f"{document.verification_code}.pdf", ContentFile(PDF_BYTES), save=False)
    Document.objects.filter(pk=document.pk).update(
        status=Document.Status.SIGNED, pdf=document.pdf.name, signed_at=timezone.now()
    )
    return Document.objects.get(pk=document.pk)


def resolve_with_fake_signature(dossier) -> Dossier:
    """signing → resolved, as the receiver of `document_signed` would do it."""
    (result,) = [d for d in documents_of(dossier, "result") if d.status != Document.Status.SIGNED]
    fake_sign(result)
    workflow.dossier_resolve(dossier_id=dossier.pk, document_id=result.pk)
    return fresh(dossier)


# The state each step is taken from.
_FROM = {
    "accept": State.SUBMITTED,
    "refuse": State.SUBMITTED,
    "withdraw": State.SUBMITTED,
    "assign": State.RECEIVED,
    "request_supplement": State.PROCESSING,
    "propose": State.PROCESSING,
    "stop": State.PROCESSING,
    "approve": State.PENDING_APPROVAL,
    "resolve": State.SIGNING,
    "hand_back": State.RESOLVED,
}


def advance(dossier, to: str, people, *, decision: str = Decision.GRANT) -> Dossier:
    """Take a dossier on from where it is to state `to` through the services, each step by the
    role whose step it is; the dossier is assigned to `people.specialist`."""
    dossier = fresh(dossier)
    steps = {
        State.SUBMITTED: [],
        State.RECEIVED: ["accept"],
        State.REFUSED: ["refuse"],
        State.WITHDRAWN: ["withdraw"],
        State.PROCESSING: ["accept", "assign"],
        State.SUPPLEMENT_REQUIRED: ["accept", "assign", "request_supplement"],
        State.PENDING_APPROVAL: ["accept", "assign", "propose"],
        State.SIGNING: ["accept", "assign", "propose", "approve"],
        State.RESOLVED: ["accept", "assign", "propose", "approve", "resolve"],
        State.RETURNED: ["accept", "assign", "propose", "approve", "resolve", "hand_back"],
        State.STOPPED: ["accept", "assign", "stop"],
    }[to]
    calls = {
        "accept": lambda: workflow.dossier_accept(dossier=dossier, actor=people.desk),
        "refuse": lambda: workflow.dossier_refuse(
            dossier=dossier, actor=people.desk, reasons="Không thuộc thẩm quyền."
        ),
        "withdraw": lambda: services.dossier_withdraw(
            dossier=dossier, actor=dossier.applicant, reason="Nộp nhầm."
        ),
        "assign": lambda: workflow.dossier_assign(
            dossier=dossier, actor=people.desk, specialist=people.specialist
        ),
        "request_supplement": lambda: workflow.dossier_request_supplement(
            dossier=dossier, actor=people.specialist, reason="Thiếu học bạ.", items=["Học bạ"]
        ),
        "propose": lambda: workflow.dossier_propose(
            dossier=dossier,
            actor=people.specialist,
            decision=decision,
            reasons="Không đủ điều kiện." if decision == Decision.DENY else "",
            result_content="Cấp bản sao văn bằng." if decision == Decision.GRANT else "",
        ),
        "approve": lambda: workflow.dossier_approve(dossier=dossier, actor=people.leader),
        "resolve": lambda: resolve_with_fake_signature(dossier),
        "hand_back": lambda: workflow.dossier_hand_back(
            dossier=dossier, actor=people.desk, received_by="Nguyễn Văn Nhận"
        ),
        "stop": lambda: workflow.dossier_stop(
            dossier=dossier, actor=people.leader, reason="Người nộp đã mất năng lực hành vi."
        ),
    }
    if dossier.state != to:
        starts = [i for i, step in enumerate(steps) if _FROM[step] == dossier.state]
        assert starts, f"no way from {dossier.state} to {to}"
        for step in steps[starts[0] :]:
            calls[step]()
    dossier = fresh(dossier)
    assert dossier.state == to, (to, dossier.state)
    return dossier


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

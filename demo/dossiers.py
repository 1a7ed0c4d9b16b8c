"""Demo dossiers for the demo citizen, so that "My dossiers" and tracking show something at
once: a draft, a submitted dossier and one the desk has asked to supplement. Idempotent."""

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from office import services as workflow
from payments import fees
from portal.models import User
from procedures.models import FeeTiming, ProcedureVersion
from submissions import services
from submissions.models import Dossier, EventAction

CITIZEN = "congdan@demo.dvc.vn"
DESK = "motcua@demo.dvc.vn"
SPECIALIST = "chuyenvien@demo.dvc.vn"
LEADER = "lanhdao@demo.dvc.vn"
# A one-page scan stand-in: a small but complete PDF.
SAMPLE_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


# Text answers that are neither a person's name nor a school's.
TEXT_ANSWERS = {
    "diploma_name": "High School Diploma",
    "institution_name": "Lincoln High School, Lincoln, Nebraska",
    "country": "Hoa Kỳ",
    "purpose": "Đăng ký xét tuyển đại học",
    "diploma_number": "B 0123456",
    "register_number": "1234/2008",
}


def sample_answers(schema: list[dict], user) -> dict:
    """A plausible answer to every question of a schema."""
    answers = {}
    for spec in schema:
        kind = spec["type"]
        if kind in ("text", "textarea"):
            value = TEXT_ANSWERS.get(spec["name"]) or (
                user.full_name if "name" in spec["name"] else "Trường THPT Chu Văn An"
            )
            answers[spec["name"]] = value[: spec.get("max_length", 500)]
        elif kind == "number":
            answers[spec["name"]] = spec.get("min", spec.get("max", 1))
        elif kind == "date":
            answers[spec["name"]] = spec.get("min", "2008-09-05")
        elif kind == "choice":
            answers[spec["name"]] = spec["choices"][0]["value"]
        elif kind == "multichoice":
            answers[spec["name"]] = [spec["choices"][0]["value"]]
        elif kind == "checkbox":
            answers[spec["name"]] = True
        elif kind == "email":
            answers[spec["name"]] = user.email
        elif kind == "phone":
            answers[spec["name"]] = user.phone
        elif kind == "citizen_id":
            answers[spec["name"]] = user.citizen_id
    return answers


def _complete(dossier: Dossier, user) -> None:
    services.dossier_update(
        dossier=dossier,
        actor=user,
        applicant={},
        answers=sample_answers(dossier.version.form_schema, user),
    )
    for document in dossier.version.documents.filter(required=True):
        services.dossier_add_files(
            dossier=dossier,
            actor=user,
            requirement_id=document.pk,
            files=[SimpleUploadedFile("ban-scan.pdf", SAMPLE_PDF, "application/pdf")],
        )


def _submitted(version, citizen):
    dossier = services.dossier_start(version=version, applicant=citizen)
    _complete(dossier, citizen)
    return services.dossier_submit(dossier=dossier, actor=citizen)


@transaction.atomic
def seed() -> int:
    """One dossier of the demo citizen in every state, worked by the demo desk officer,
    specialist and leader, so that both sides of the portal show something at once."""
    citizen = User.objects.filter(email=CITIZEN).first()
    desk = User.objects.filter(email=DESK).first()
    specialist = User.objects.filter(email=SPECIALIST).first()
    leader = User.objects.filter(email=LEADER).first()
    if None in (citizen, desk, specialist, leader):
        return 0
    if Dossier.objects.filter(applicant=citizen).exists():
        return 0
    versions = list(
        ProcedureVersion.objects.filter(
            status=ProcedureVersion.Status.PUBLISHED,
            service_level__gte=3,
            procedure__agency=desk.agency,
        ).order_by("procedure__code")
    )

    def fee_first(version) -> bool:
        return version.fee_timing == FeeTiming.BEFORE and fees.fee_due(Dossier(version=version)) > 0

    on_delivery = next(
        (
            v
            for v in versions
            if v.fee_timing == FeeTiming.ON_DELIVERY and fees.fee_due(Dossier(version=v)) > 0
        ),
        None,
    )
    versions = [v for v in versions if not fee_first(v) and v is not on_delivery]
    if not versions:
        return 0
    pick = iter(versions * 4)

    draft = services.dossier_start(version=next(pick), applicant=citizen)
    services.dossier_update(
        dossier=draft,
        actor=citizen,
        applicant={},
        answers=dict(list(sample_answers(draft.version.form_schema, citizen).items())[:2]),
    )
    _submitted(next(pick), citizen)  # waits at the desk

    asked = _submitted(next(pick), citizen)
    workflow.dossier_request_supplement(
        dossier=asked,
        actor=desk,
        reason="Bản sao học bạ chưa được chứng thực.",
        items=["Bản sao học bạ có chứng thực", "Ảnh chân dung 3x4 chụp trong 6 tháng gần đây"],
    )
    refused = _submitted(next(pick), citizen)
    workflow.dossier_refuse(
        dossier=refused,
        actor=desk,
        reasons="Thủ tục này thuộc thẩm quyền của Ủy ban nhân dân cấp xã nơi cư trú.",
    )
    withdrawn = _submitted(next(pick), citizen)
    services.dossier_withdraw(dossier=withdrawn, actor=citizen, reason="Tôi đã nộp nhầm thủ tục.")

    def accepted():
        return workflow.dossier_accept(dossier=_submitted(next(pick), citizen), actor=desk)

    accepted()  # waits for a specialist

    def processing(version=None):
        dossier = workflow.dossier_accept(
            dossier=_submitted(version or next(pick), citizen), actor=desk
        )
        return workflow.dossier_assign(dossier=dossier, actor=leader, specialist=specialist)

    # The results proposed and approved are of a procedure with a result template, if one is
    # among them (demo/catalogue.py, RESULT_TEMPLATES).
    templated = next((v for v in versions if v.result_templates.exists()), None)

    processing()  # with the specialist
    paused = processing()
    workflow.dossier_request_supplement(
        dossier=paused,
        actor=specialist,
        reason="Cần bổ sung giấy xác nhận của nhà trường để đối chiếu.",
        items=["Giấy xác nhận của nhà trường"],
    )

    def proposed():
        dossier = processing(templated)
        name = dossier.version.name
        return workflow.dossier_propose(
            dossier=dossier,
            actor=specialist,
            decision="grant",
            result_content=(
                f"Giải quyết đề nghị của Ông/Bà {dossier.applicant_name} về thủ tục "
                f"“{name}” (hồ sơ {dossier.code}): hồ sơ đủ điều kiện theo quy định."
            ),
            # The blanks of the procedure's result template, where it has one.
            values={"tuong_duong": "bằng tốt nghiệp trung học phổ thông"},
        )

    proposed()  # waits for the leader
    if on_delivery is not None:  # the fee is asked for on delivery: waits for the payment
        dossier = workflow.dossier_accept(dossier=_submitted(on_delivery, citizen), actor=desk)
        dossier = workflow.dossier_assign(dossier=dossier, actor=leader, specialist=specialist)
        workflow.dossier_request_payment(dossier=dossier, actor=specialist)
    stopped = processing()
    workflow.dossier_stop(
        dossier=stopped, actor=leader, reason="Công dân đề nghị tạm dừng để hoàn thiện hồ sơ."
    )
    # Approved: the worker signs the result, which resolves the dossier; one is then handed back
    # at the desk (after commit, when the result exists: see `hand_back_resolved`).
    workflow.dossier_approve(dossier=proposed(), actor=leader)
    workflow.dossier_approve(dossier=proposed(), actor=leader)
    return Dossier.objects.filter(applicant=citizen).count()


def sign_one_result(*, pin: str) -> int:
    """After `seed` committed: the leader signs one of the approved results with the token (the
    other waits on the leader's dossier page, to show the signing step)."""
    from signing import selectors as signing_selectors
    from signing import services as signing_services

    leader = User.objects.filter(email=LEADER).first()
    done = (Dossier.State.RESOLVED, Dossier.State.RETURNED)
    if Dossier.objects.filter(state__in=done, applicant__email=CITIZEN).exists():
        return 0  # signed on an earlier run
    for dossier in Dossier.objects.filter(state=Dossier.State.SIGNING, applicant__email=CITIZEN):
        document = signing_selectors.document_awaiting_signature(owner=dossier, user=leader)
        if document is not None:
            signing_services.document_sign_personal(document=document, actor=leader, pin=pin)
            return 1
    return 0


def hand_back_resolved() -> int:
    """The demo's last step, run after `seed` committed: one resolved dossier handed back."""
    desk = User.objects.filter(email=DESK).first()
    dossier = Dossier.objects.filter(state=Dossier.State.RESOLVED, applicant__email=CITIZEN).first()
    if (
        desk is None
        or dossier is None
        or dossier.events.filter(action=EventAction.HAND_BACK).exists()
    ):
        return 0
    workflow.dossier_hand_back(dossier=dossier, actor=desk, received_by=dossier.applicant_name)
    return 1


PARENT = {
    "name": "Trần Thị Phụ Huynh",
    "citizen_id": "001185012345",
    "phone": "0987654321",
    "address": "5 Phố Hàng Bài, phường Hoàn Kiếm, Hà Nội",
}


# A parent filing for their child (who files for whom, issue 14).
FOR_PUPIL = {
    **PARENT,
    "filer_role": "parent",
    "subject_name": "Lê Minh Khôi",
    "subject_birth_date": dt.date(2015, 9, 2),
}
# An organisation filing (its enterprise code passes the check digit).
ORGANISATION = {
    "name": "Phạm Thị Lan",
    "citizen_id": "001186054321",
    "phone": "0243823456",
    "address": "18 Phố Quán Thánh, phường Ba Đình, Hà Nội",
    "filer_role": "organisation",
    "org_name": "Công ty TNHH Giáo dục Ánh Dương",
    "org_tax_code": "0105689122",
    "org_address": "18 Phố Quán Thánh, phường Ba Đình, Hà Nội",
    "org_representative": "Phạm Thị Lan",
}
CENTRE_DESK = "tiepnhan.badinh@demo.dvc.vn"


def _intake(desk, version, *, key: str, channel: str, applicant: dict, delivery: str):
    """A paper dossier taken in at `desk` with every required component scanned; a certified
    copy where the procedure asks for a copy, else the original (certified at the desk as an
    electronic copy, Decree 45/2020)."""
    from office.intake import Received, component_certify, dossier_intake
    from submissions.models import IntakeComponent

    components = [
        Received(
            requirement_id=document.pk,
            form=IntakeComponent.Form.CERTIFIED_COPY
            if document.copies
            else IntakeComponent.Form.ORIGINAL,
            sheets=2,
            files=[SimpleUploadedFile("ban-quet.pdf", SAMPLE_PDF, "application/pdf")],
        )
        for document in version.documents.filter(required=True)
    ]
    dossier, created = dossier_intake(
        actor=desk,
        version=version,
        channel=channel,
        applicant=applicant,
        components=components,
        intake_key=key,
        result_delivery=delivery,
    )
    if created:
        for component in dossier.components.filter(form=IntakeComponent.Form.ORIGINAL):
            component_certify(dossier=dossier, actor=desk, component_id=component.pk)
    return dossier, created


def _versions_of(agency, codes=None, count: int = 2) -> list[ProcedureVersion]:
    found = ProcedureVersion.objects.filter(
        status=ProcedureVersion.Status.PUBLISHED, procedure__agency=agency
    ).exclude(documents=None)
    if codes:
        found = found.filter(procedure__code__in=codes)
    return list(found.order_by("procedure__code")[:count])


def seed_desk_intake() -> int:
    """Paper dossiers taken in at a desk (issue 14): at the department's desk, a parent's for
    their child brought in person with its components scanned and certified, and one received
    by post whose result goes back by post; at the commune's Public Administration Service
    Centre, an organisation's, handed over to the commune committee (liên thông), and a
    parent's for a pupil waiting to be handed over. Idempotent (the intake keys). Returns how
    many were added."""
    from submissions.models import IntakeChannel, ResultDelivery

    added = 0
    desk = User.objects.filter(email=DESK).first()
    if desk is not None:
        for key, version, channel, applicant, delivery in zip(
            ("demo-walk-in", "demo-by-post"),
            _versions_of(desk.agency),
            (IntakeChannel.IN_PERSON, IntakeChannel.POST),
            (FOR_PUPIL, PARENT),
            (ResultDelivery.DESK, ResultDelivery.POST),
            strict=False,
        ):
            added += _intake(
                desk, version, key=key, channel=channel, applicant=applicant, delivery=delivery
            )[1]
    centre_desk = User.objects.filter(email=CENTRE_DESK).first()
    if centre_desk is None:
        return added
    served = centre_desk.agency.served_agencies.first()
    for key, codes, applicant, hand_over in (
        ("demo-centre-organisation", ["1.012971"], ORGANISATION, True),
        ("demo-centre-pupil", ["1.005099"], FOR_PUPIL, False),
    ):
        for version in _versions_of(served, codes, count=1):
            dossier, created = _intake(
                centre_desk,
                version,
                key=key,
                channel=IntakeChannel.IN_PERSON,
                applicant=applicant,
                delivery=ResultDelivery.DESK,
            )
            if created and hand_over:
                workflow.dossier_transfer(dossier=dossier, actor=centre_desk)
            added += created
    return added

"""Demo dossiers for the demo citizen, so that "My dossiers" and tracking show something at
once: a draft, a submitted dossier and one the desk has asked to supplement. Idempotent."""

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


def sample_answers(schema: list[dict], user) -> dict:
    """A plausible answer to every question of a schema."""
    answers = {}
    for spec in schema:
        kind = spec["type"]
        if kind in ("text", "textarea"):
            value = user.full_name if "name" in spec["name"] else "Trường THPT Chu Văn An"
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

    def processing():
        dossier = accepted()
        return workflow.dossier_assign(dossier=dossier, actor=leader, specialist=specialist)

    processing()  # with the specialist
    paused = processing()
    workflow.dossier_request_supplement(
        dossier=paused,
        actor=specialist,
        reason="Cần bổ sung giấy xác nhận của nhà trường để đối chiếu.",
        items=["Giấy xác nhận của nhà trường"],
    )

    def proposed():
        return workflow.dossier_propose(
            dossier=processing(),
            actor=specialist,
            decision="grant",
            result_content="Đồng ý giải quyết theo đề nghị của công dân.",
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


def seed_desk_intake() -> int:
    """Paper dossiers taken in at the desk (issue 14): one brought in person with its
    components scanned, one received by post whose result goes back by post. Idempotent (the
    intake key). Returns how many were added."""
    from office.intake import Received, dossier_intake
    from submissions.models import IntakeChannel, IntakeComponent, ResultDelivery

    desk = User.objects.filter(email=DESK).first()
    if desk is None:
        return 0
    versions = list(
        ProcedureVersion.objects.filter(
            status=ProcedureVersion.Status.PUBLISHED, procedure__agency=desk.agency
        )
        .exclude(documents=None)
        .order_by("procedure__code")[:2]
    )
    added = 0
    for key, version, channel, delivery in zip(
        ("demo-walk-in", "demo-by-post"),
        versions,
        (IntakeChannel.IN_PERSON, IntakeChannel.POST),
        (ResultDelivery.DESK, ResultDelivery.POST),
        strict=False,
    ):
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
        _dossier, created = dossier_intake(
            actor=desk,
            version=version,
            channel=channel,
            applicant=PARENT,
            components=components,
            intake_key=key,
            result_delivery=delivery,
        )
        added += created
    return added

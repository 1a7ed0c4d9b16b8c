"""Demo dossiers for the demo citizen, so that "My dossiers" and tracking show something at
once: a draft, a submitted dossier and one the desk has asked to supplement. Idempotent."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from portal.models import User
from procedures.models import ProcedureVersion
from submissions import services
from submissions.models import Dossier

CITIZEN = "congdan@demo.dvc.vn"
DESK = "motcua@demo.dvc.vn"
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


@transaction.atomic
def seed() -> int:
    citizen = User.objects.filter(email=CITIZEN).first()
    desk = User.objects.filter(email=DESK).first()
    if citizen is None or desk is None or Dossier.objects.filter(applicant=citizen).exists():
        return 0
    versions = list(
        ProcedureVersion.objects.filter(
            status=ProcedureVersion.Status.PUBLISHED,
            service_level__gte=3,
            procedure__agency=desk.agency,
        ).order_by("procedure__code")[:3]
    )
    if len(versions) < 3:
        return 0
    draft = services.dossier_start(version=versions[0], applicant=citizen)
    services.dossier_update(
        dossier=draft,
        actor=citizen,
        applicant={},
        answers=dict(list(sample_answers(draft.version.form_schema, citizen).items())[:2]),
    )
    submitted = services.dossier_start(version=versions[1], applicant=citizen)
    _complete(submitted, citizen)
    services.dossier_submit(dossier=submitted, actor=citizen)
    asked = services.dossier_start(version=versions[2], applicant=citizen)
    _complete(asked, citizen)
    asked = services.dossier_submit(dossier=asked, actor=citizen)
    services.dossier_request_supplement(
        dossier=asked,
        actor=desk,
        reason="Bản sao học bạ chưa được chứng thực.",
        items=["Bản sao học bạ có chứng thực", "Ảnh chân dung 3x4 chụp trong 6 tháng gần đây"],
    )
    return 3

"""The demo catalogue: demo/catalogue/*.json (the export format) imported through the same
importer an agency uses, given generated blank forms, and published. Idempotent: procedures that
exist already are left as they are."""

import json
from pathlib import Path

from django.db import transaction

from portal.models import Agency
from procedures import blank_forms, exchange, services
from procedures.models import Procedure, ProcedureVersion, ResultTemplate

DEMO_DIR = Path(__file__).resolve().parent / "catalogue"


@transaction.atomic
def seed(*, actor) -> int:
    """Import and publish the demo procedures that are missing; returns how many were added."""
    added = 0
    for path in sorted(DEMO_DIR.glob("*.json")):
        payload = json.loads(path.read_text(encoding="utf-8"))
        agency = Agency.objects.get(code=payload["agency"])
        existing = set(Procedure.objects.filter(agency=agency).values_list("code", flat=True))
        payload["procedures"] = [p for p in payload["procedures"] if p["code"] not in existing]
        if not payload["procedures"]:
            continue
        report = exchange.import_procedures(
            data=json.dumps(payload, ensure_ascii=False).encode(),
            filename=path.name,
            agency=agency,
            actor=actor,
            dry_run=False,
        )
        if not report.applied:
            problems = [
                *report.file_errors,
                *(f"{r.code}: {r.errors}" for r in report.rows if r.errors),
            ]
            raise ValueError(f"{path.name} does not import: {problems}")
        drafts = ProcedureVersion.objects.filter(
            procedure__agency=agency,
            procedure__code__in=[p["code"] for p in payload["procedures"]],
            status=ProcedureVersion.Status.DRAFT,
        ).select_related("procedure__agency", "field")
        for version in drafts:
            blank_forms.attach_missing_templates(version)
            _result_templates(version)
            services.procedure_version_publish(version=version, actor=actor)
            added += 1
    return added


# The demo's result templates (procedures/result_templates.py), by agency and procedure code:
# a certificate with a blank the specialist fills, and the reasoned refusal.
RESULT_TEMPLATES = {
    ("000.00.12.H26", "1.004889"): [
        {
            "kind": ResultTemplate.Kind.CERTIFICATE,
            "title": "GIẤY CÔNG NHẬN VĂN BẰNG",
            "summary": "do cơ sở giáo dục nước ngoài cấp",
            "body": (
                "{{ agency_name }} công nhận văn bằng sau đây để sử dụng tại Việt Nam:\n"
                "Văn bằng: {{ answers.diploma_name }} ({{ answers.diploma_level }}).\n"
                "Cơ sở cấp: {{ answers.institution_name }}, {{ answers.country }}; ngày cấp "
                "{{ answers.issue_date }}.\n"
                "Người được cấp: {{ answers.full_name }}, sinh ngày {{ answers.date_of_birth }}, "
                "số định danh cá nhân hoặc số hộ chiếu {{ answers.citizen_id }}.\n"
                "Tương đương: {{ edit.tuong_duong }} của hệ thống giáo dục quốc dân Việt Nam.\n"
                "Giấy công nhận này được cấp theo hồ sơ {{ dossier_code }}, tiếp nhận ngày "
                "{{ received_date }}."
            ),
            "recipients": "Ông/Bà {{ applicant_name }}\nLưu: VT, QLT",
            "editable": "tuong_duong: Tương đương (ví dụ: bằng tốt nghiệp trung học phổ thông)",
        },
        {
            "kind": ResultTemplate.Kind.REFUSAL,
            "title": "THÔNG BÁO",
            "summary": "Về việc không công nhận văn bằng do cơ sở giáo dục nước ngoài cấp",
            "body": (
                "Ngày {{ received_date }}, {{ agency_name }} nhận được đề nghị của Ông/Bà công "
                "nhận văn bằng {{ answers.diploma_name }} (hồ sơ {{ dossier_code }}).\n"
                "Sau khi xem xét, {{ agency_name }} không công nhận văn bằng vì lý do: "
                "{{ reasons }}\n"
                "Xin thông báo để Ông/Bà được biết./."
            ),
            "recipients": "Như trên\nLưu: VT, QLT",
        },
    ],
}


def _result_templates(version) -> None:
    key = (version.procedure.agency.code, version.procedure.code)
    for fields in RESULT_TEMPLATES.get(key, []):
        template = ResultTemplate(version=version, **fields)
        template.full_clean()
        template.save()

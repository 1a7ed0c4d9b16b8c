"""The demo catalogue: demo/catalogue/*.json (the export format) imported through the same
importer an agency uses, given generated blank forms, and published. Idempotent: procedures that
exist already are left as they are."""

import json
from pathlib import Path

from django.db import transaction

from portal.models import Agency
from procedures import blank_forms, exchange, services
from procedures.models import Procedure, ProcedureVersion

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
            services.procedure_version_publish(version=version, actor=actor)
            added += 1
    return added

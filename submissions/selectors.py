"""Reads of dossiers, with the visibility rule in one place: an applicant sees their own
dossiers; anyone else gets None (the views answer 404 for "missing" and "not yours" alike)."""

import hmac

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext

from submissions.models import (
    DocumentKind,
    Dossier,
    DossierEvent,
    DossierFile,
    EventAction,
    State,
)


def dossier_list_for(*, user) -> QuerySet[Dossier]:
    if not user.is_authenticated:
        return Dossier.objects.none()
    return (
        Dossier.objects.filter(applicant=user)
        .select_related("version", "version__procedure", "agency", "receiving_agency")
        .order_by("-updated_at", "-pk")
    )


def dossier_get_for(*, user, public_id) -> Dossier | None:
    if not user.is_authenticated:
        return None
    return (
        Dossier.objects.filter(applicant=user, public_id=public_id)
        .select_related("version", "version__procedure", "agency", "receiving_agency")
        .first()
    )


def dossier_file_get_for(*, user, public_id, file_id: int) -> DossierFile | None:
    dossier = dossier_get_for(user=user, public_id=public_id)
    if dossier is None:
        return None
    return dossier.files.filter(pk=file_id).select_related("requirement").first()


def dossier_files(dossier: Dossier) -> tuple[list[DossierFile], list[DossierFile]]:
    """(files in the dossier now, files replaced or removed after submission)."""
    files = list(dossier.files.select_related("requirement"))
    return [f for f in files if f.removed_at is None], [f for f in files if f.removed_at]


# The agency's internal steps: the applicant sees the state change, not the note (a proposal's
# reasons before approval, a leader's remarks to the specialist, who the specialist is).
INTERNAL_ACTIONS = {
    EventAction.ASSIGN,
    EventAction.PROPOSE,
    EventAction.SEND_BACK,
    EventAction.APPROVE,
}
# The documents addressed to the applicant (the control sheet and the register are internal).
APPLICANT_DOCUMENT_KINDS = {
    DocumentKind.RECEIPT,
    DocumentKind.SUPPLEMENT,
    DocumentKind.REFUSAL,
    DocumentKind.APOLOGY,
    DocumentKind.RESULT,
    DocumentKind.ANNEX,
    DocumentKind.FEE_RECEIPT,
    DocumentKind.STOP_NOTICE,
    DocumentKind.CERTIFIED_COPY,
}


def dossier_answer_rows(dossier: Dossier) -> list[tuple[str, str]]:
    """(label, value as shown) for each question, in the schema's order."""
    rows = []
    for spec in dossier.version.form_schema:
        value = dossier.answers.get(spec["name"])
        if spec["type"] in ("choice", "multichoice") and value is not None:
            labels = {c["value"]: c["label"] for c in spec["choices"]}
            values = value if isinstance(value, list) else [value]
            value = ", ".join(labels.get(v, v) for v in values)
        elif spec["type"] == "checkbox":
            value = gettext("Yes") if value else gettext("No")
        elif spec["type"] == "date" and value:
            year, month, day = value.split("-")
            value = f"{day}/{month}/{year}"
        rows.append((spec["label"], "" if value is None else str(value)))
    return rows


def dossier_timeline(dossier: Dossier) -> list[DossierEvent]:
    """The applicant's view of the history: internal notes left out."""
    events = list(dossier.events.order_by("created_at", "pk"))
    for event in events:
        if event.action in INTERNAL_ACTIONS:
            event.note = ""  # shown only; events are never saved again
    return events


def dossier_documents(dossier: Dossier, *, staff: bool = False) -> list:
    """The signed slips and results of the dossier (not the result's drafts): all of them for
    the agency's staff, those addressed to the applicant otherwise."""
    from django.contrib.contenttypes.models import ContentType

    from signing.models import Document

    documents = Document.objects.filter(
        owner_type=ContentType.objects.get_for_model(Dossier), owner_id=dossier.pk
    ).exclude(kind=DocumentKind.DRAFT)  # the result's drafts: office.selectors.result_drafts
    if not staff:
        documents = documents.filter(kind__in=APPLICANT_DOCUMENT_KINDS)
    return list(documents.order_by("created_at"))


def _same(a: str, b: str) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(a.encode(), b.encode())


def _phone_digits(value: str) -> str:
    digits = "".join(ch for ch in value if ch.isdigit())
    return "0" + digits[2:] if digits.startswith("84") and len(digits) >= 11 else digits


def dossier_track(*, code: str, secret: str) -> Dossier | None:
    """Public tracking: the dossier whose code and applicant's citizen ID (or passport number)
    or phone both match.
    A wrong pair and an unknown code look the same to the caller."""
    dossier = (
        Dossier.objects.exclude(state=State.DRAFT)
        .filter(code=code)
        .select_related("version", "agency", "receiving_agency")
        .prefetch_related(Prefetch("events", queryset=DossierEvent.objects.order_by("created_at")))
        .first()
    )
    if dossier is None:
        return None
    # A citizen ID, or a passport number (stored upper-case) for a filer without one.
    by_id = _same(secret.upper(), dossier.applicant_citizen_id)
    by_phone = _same(_phone_digits(secret), _phone_digits(dossier.applicant_phone))
    return dossier if by_id or by_phone else None

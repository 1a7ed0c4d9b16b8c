"""Reads of dossiers, with the visibility rule in one place: an applicant sees their own
dossiers; anyone else gets None (the views answer 404 for "missing" and "not yours" alike)."""

import hmac

from django.db.models import F, Prefetch, QuerySet
from django.utils.translation import gettext

from submissions.models import Dossier, DossierEvent, DossierFile, State


def dossier_list_for(*, user) -> QuerySet[Dossier]:
    if not user.is_authenticated:
        return Dossier.objects.none()
    return (
        Dossier.objects.filter(applicant=user)
        .select_related("version", "version__procedure", "agency")
        .order_by("-updated_at", "-pk")
    )


def dossier_get_for(*, user, public_id) -> Dossier | None:
    if not user.is_authenticated:
        return None
    return (
        Dossier.objects.filter(applicant=user, public_id=public_id)
        .select_related("version", "version__procedure", "agency")
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
INTERNAL_ACTIONS = {"assign", "propose", "send_back", "approve"}
# The documents addressed to the applicant (the control sheet and the register are internal).
APPLICANT_DOCUMENT_KINDS = {"receipt", "supplement", "refusal", "apology", "result", "fee_receipt"}


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
    """The signed slips and results of the dossier: all of them for the agency's staff, those
    addressed to the applicant otherwise."""
    from django.contrib.contenttypes.models import ContentType

    from signing.models import Document

    documents = Document.objects.filter(
        owner_type=ContentType.objects.get_for_model(Dossier), owner_id=dossier.pk
    )
    if not staff:
        documents = documents.filter(kind__in=APPLICANT_DOCUMENT_KINDS)
    return list(documents.order_by("created_at"))


def _same(a: str, b: str) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(a.encode(), b.encode())


def _phone_digits(value: str) -> str:
    digits = "".join(ch for ch in value if ch.isdigit())
    return "0" + digits[2:] if digits.startswith("84") and len(digits) >= 11 else digits


def dossier_track(*, code: str, secret: str) -> Dossier | None:
    """Public tracking: the dossier whose code and applicant's citizen ID or phone both match.
    A wrong pair and an unknown code look the same to the caller."""
    dossier = (
        Dossier.objects.exclude(state=State.DRAFT)
        .filter(code=code)
        .select_related("version", "agency")
        .prefetch_related(Prefetch("events", queryset=DossierEvent.objects.order_by("created_at")))
        .first()
    )
    if dossier is None:
        return None
    by_id = _same(secret, dossier.applicant_citizen_id)
    by_phone = _same(_phone_digits(secret), _phone_digits(dossier.applicant_phone))
    return dossier if by_id or by_phone else None


# --- the back-office ----------------------------------------------------------------------------

OFFICE_TABS = ("desk", "assign", "mine", "approval", "results", "all")


def is_officer(user) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_officer)


def office_dossier_get_for(*, user, public_id) -> Dossier | None:
    """A dossier of the officer's own agency (not a draft); None for anyone else."""
    if not is_officer(user):
        return None
    return (
        Dossier.objects.filter(agency_id=user.agency_id, public_id=public_id)
        .exclude(state=State.DRAFT)
        .select_related("version", "version__procedure", "agency", "assignee")
        .first()
    )


def office_default_tab(user) -> str:
    from portal.models import StaffRole

    if user.has_role(StaffRole.Role.DESK):
        return "desk"
    if user.has_role(StaffRole.Role.SPECIALIST):
        return "mine"
    if user.has_role(StaffRole.Role.LEADER):
        return "approval"
    return "all"


def office_dossier_list_for(
    *,
    user,
    tab: str = "all",
    procedure_id: int | None = None,
    state: str = "",
    overdue: bool = False,
    due_soon: bool = False,
    query: str = "",
) -> QuerySet[Dossier]:
    """The officer's queue, oldest first. Tabs: desk (submitted), assign (accepted, waiting for a
    specialist), mine (assigned to me and in my hands), approval (proposals), results (to hand
    back), all. Search: a dossier code (or its start), a 12-digit citizen ID, else the name."""
    from django.utils import timezone

    from portal.workdays import WorkCalendar
    from submissions.services import CLOCK_STATES

    if not is_officer(user):
        return Dossier.objects.none()
    queryset = Dossier.objects.filter(agency_id=user.agency_id).exclude(state=State.DRAFT)
    if tab == "desk":
        queryset = queryset.filter(state=State.SUBMITTED)
    elif tab == "assign":
        queryset = queryset.filter(state=State.RECEIVED)
    elif tab == "mine":
        queryset = queryset.filter(assignee=user, state=State.PROCESSING)
    elif tab == "approval":
        queryset = queryset.filter(state=State.PENDING_APPROVAL)
    elif tab == "results":
        queryset = queryset.filter(state=State.RESOLVED)
    if procedure_id:
        queryset = queryset.filter(version__procedure_id=procedure_id)
    if state:
        queryset = queryset.filter(state=state)
    if overdue:
        queryset = queryset.filter(overdue=True)
    if due_soon:
        now = timezone.now()
        queryset = queryset.filter(
            state__in=CLOCK_STATES,
            paused_at__isnull=True,
            due_at__lte=WorkCalendar().add_working_days(now, 1),
        )
    query = query.strip()
    if query:
        if query.isdigit() and len(query) in (9, 12):
            queryset = queryset.filter(applicant_citizen_id=query)
        # A code always has digits (`H15.50.05.13-…`, `000.00.12.H26-…`); a name never does, and
        # many start with G or H (Giang, Hoàng…).
        elif any(ch.isdigit() for ch in query):
            queryset = queryset.filter(code__startswith=query.upper())
        else:
            queryset = queryset.filter(applicant_name__icontains=query)
    return queryset.select_related("version", "assignee").order_by("submitted_at", "pk")


def office_specialists(*, agency_id: int):
    from portal.models import StaffRole, User

    return User.objects.filter(
        agency_id=agency_id, is_active=True, roles__role=StaffRole.Role.SPECIALIST
    ).order_by("full_name")


REGISTER_FIELDS = (
    "public_id", "code", "state", "applicant_name", "applicant_phone", "submitted_at",
    "received_at", "due_at", "resolved_at", "returned_at",
)  # fmt: skip


def register_rows(*, agency_id: int, start, end) -> QuerySet:
    """Mẫu 06: the agency's dossiers received (or submitted, if never received) in a period,
    in the order of that date (the register's own order; the index gives the page directly).
    Plain rows (dicts of REGISTER_FIELDS and procedure_name): a page shows up to a hundred.

    "Received in the period, or never received and submitted in it" is written as one range on
    COALESCE(received_at, submitted_at), the expression of `dossier_register_day_idx`: the same
    rows, found by one index range instead of a walk through the agency's whole history."""
    import datetime as dt

    from django.db.models.functions import Coalesce
    from django.utils import timezone

    since = timezone.make_aware(dt.datetime.combine(start, dt.time.min))
    until = timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min))
    return (
        Dossier.objects.filter(agency_id=agency_id)
        .alias(register_day=Coalesce("received_at", "submitted_at"))
        .filter(register_day__gte=since, register_day__lt=until)
        # Only what a register line shows: the procedure's name rather than its whole version
        # (form schema, search text, legal texts) for each of up to a hundred lines.
        .annotate(procedure_name=F("version__name"))
        .order_by("register_day", "received_at", "submitted_at", "pk")
        .values(*REGISTER_FIELDS, "procedure_name")
    )

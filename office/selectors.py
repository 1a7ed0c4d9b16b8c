"""Reads of the back-office, with its visibility rule in one place: an officer sees the dossiers
of their own agency (never a draft), a service centre's officer those the centre received for
the agencies it serves (liên thông: a dossier a centre received is seen by exactly the centre
and the resolving agency); anyone else sees nothing (the pages and the API answer 404 for
"missing" and "not yours" alike, and do not tell who is an officer)."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, NullIf
from django.utils import timezone

from portal.models import StaffRole, User
from portal.workdays import UNIT_WORKING_DAYS, WorkCalendar
from signing import selectors as signing_selectors
from signing.models import NumberEntry
from submissions.lifecycle import CLOCK_STATES
from submissions.models import (
    DocumentKind,
    Dossier,
    DossierFile,
    IntakeChannel,
    IntakeComponent,
    ResultDelivery,
    State,
)

OFFICE_TABS = ("desk", "assign", "mine", "approval", "results", "transfers", "all")


def is_officer(user) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_officer)


def is_desk_of(user, agency_id: int) -> bool:
    """An officer of this agency at its one-stop desk."""
    return is_officer(user) and user.agency_id == agency_id and user.has_role(StaffRole.Role.DESK)


def _period(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The period from the start of `start` to the end of `end`, as [since, until)."""
    since = timezone.make_aware(dt.datetime.combine(start, dt.time.min))
    until = timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min))
    return since, until


def at_centre(user) -> bool:
    """The officer works at a Public Administration Service Centre."""
    return user.agency.is_service_centre


def _visible(user) -> QuerySet[Dossier]:
    """The dossiers the officer's agency sees: a centre's are those it received (it resolves
    none), an agency's those it resolves, whoever received them. One column each, so each
    queue is one index range."""
    if at_centre(user):
        return Dossier.objects.filter(receiving_agency_id=user.agency_id)
    return Dossier.objects.filter(agency_id=user.agency_id)


def procedures_of(user, prefix: str = "") -> Q:
    """The procedures the officer's desk takes dossiers for (`prefix`: the path to the
    procedure, e.g. "procedure__" from a version): a centre's, those of the agencies it serves
    (an agency's own desk keeps taking in its own)."""
    if at_centre(user):
        return Q(**{f"{prefix}agency__service_centre_id": user.agency_id})
    return Q(**{f"{prefix}agency_id": user.agency_id})


def outgoing_register_for(
    *,
    user,
    year: int | None = None,
    series: str = "",
    start: dt.date | None = None,
    end: dt.date | None = None,
    query: str = "",
) -> QuerySet[NumberEntry]:
    """The register of outgoing documents (sổ đăng ký văn bản đi) of the officer's own agency, a
    service centre's included (its slips); nothing for anyone else: no agency reads another's."""
    if not is_officer(user):
        return NumberEntry.objects.none()
    since = _period(start, start)[0] if start else None
    until = _period(end, end)[1] if end else None
    return signing_selectors.number_entry_list(
        agency_id=user.agency_id, year=year, series=series, since=since, until=until, query=query
    )


def office_dossier_get_for(*, user, public_id) -> Dossier | None:
    """A dossier of the officer's own agency (not a draft); None for anyone else."""
    if not is_officer(user):
        return None
    return (
        _visible(user)
        .filter(public_id=public_id)
        .exclude(state=State.DRAFT)
        .select_related("version", "version__procedure", "agency", "receiving_agency", "assignee")
        .first()
    )


def office_default_tab(user) -> str:
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
    channel: str = "",
) -> QuerySet[Dossier]:
    """The officer's queue, oldest first. Tabs: desk (submitted), assign (accepted, waiting for a
    specialist), mine (assigned to me and in my hands), approval (proposals), results (to hand
    back), transfers (liên thông: at a centre, accepted dossiers to hand to their agency; at an
    agency, signed results to hand back to the centre that returns them), all. Search: a
    dossier code (or its start), a 12-digit citizen ID, else the name."""
    if not is_officer(user):
        return Dossier.objects.none()
    queryset = _visible(user).exclude(state=State.DRAFT)
    centre = at_centre(user)
    # What the agency's own desk receives and returns (a centre's desk: everything it sees).
    own_desk = Q() if centre else Q(receiving_agency__isnull=True)
    if tab == "desk":
        queryset = queryset.filter(own_desk, state=State.SUBMITTED)
    elif tab == "assign":
        queryset = queryset.filter(
            Q(receiving_agency__isnull=True) | Q(transferred_at__isnull=False),
            state=State.RECEIVED,
        )
    elif tab == "mine":
        queryset = queryset.filter(assignee=user, state=State.PROCESSING)
    elif tab == "approval":
        queryset = queryset.filter(state=State.PENDING_APPROVAL)
    elif tab == "results":
        if centre:
            own_desk = Q(result_transferred_at__isnull=False)
        queryset = queryset.filter(own_desk, state=State.RESOLVED)
    elif tab == "transfers":
        if centre:
            queryset = queryset.filter(state=State.RECEIVED, transferred_at__isnull=True)
        else:
            queryset = queryset.filter(
                state=State.RESOLVED,
                receiving_agency__isnull=False,
                result_transferred_at__isnull=True,
            ).exclude(result_delivery=ResultDelivery.ONLINE)
    if procedure_id:
        queryset = queryset.filter(version__procedure_id=procedure_id)
    if state:
        queryset = queryset.filter(state=state)
    if channel:
        queryset = queryset.filter(channel=channel)
    if overdue:
        queryset = queryset.filter(overdue=True)
    if due_soon:
        now = timezone.now()
        queryset = queryset.filter(
            state__in=CLOCK_STATES,
            paused_at__isnull=True,
            # Due by the end of one working day, counted as the agency counts its deadlines.
            due_at__lte=WorkCalendar(user.agency).due_at(now, 1, UNIT_WORKING_DAYS),
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
    return queryset.select_related("version", "assignee", "agency", "receiving_agency").order_by(
        "submitted_at", "pk"
    )


@dataclass(frozen=True)
class ChannelShare:
    """Dossiers received in a period, and how many of them online."""

    received: int
    online: int

    @property
    def online_rate(self) -> float | None:
        """The online-filing rate (tỷ lệ hồ sơ trực tuyến), 0–1; None with nothing received."""
        return self.online / self.received if self.received else None


def online_filing_share(*, agency_id: int, start: dt.date, end: dt.date) -> ChannelShare:
    """Of the dossiers the agency received (accepted) in a period, how many came online: the
    online-filing rate the Decision 766/QĐ-TTg indicators report, counted from each dossier's
    recorded channel rather than assumed."""
    since, until = _period(start, end)
    counts = Dossier.objects.filter(
        agency_id=agency_id, received_at__gte=since, received_at__lt=until
    ).aggregate(
        received=Count("pk"),
        online=Count("pk", filter=Q(channel=IntakeChannel.ONLINE)),
    )
    return ChannelShare(received=counts["received"], online=counts["online"])


@dataclass(frozen=True)
class DigitisationShare:
    """Paper dossiers received in a period, and how many of them are digitised."""

    paper: int
    digitised: int

    @property
    def rate(self) -> float | None:
        """The digitisation rate (tỷ lệ số hóa hồ sơ, Decree 45/2020), 0–1; None without paper."""
        return self.digitised / self.paper if self.paper else None


def digitisation_share(*, agency_id: int, start: dt.date, end: dt.date) -> DigitisationShare:
    """Of the paper dossiers (in person, by post) the agency received in a period, how many
    have a scan of every component received (whether a scan was also certified as an
    electronic copy is on each IntakeComponent: certified_at)."""
    since, until = _period(start, end)
    unscanned = IntakeComponent.objects.filter(dossier=OuterRef("pk")).exclude(
        requirement__in=DossierFile.objects.filter(
            dossier=OuterRef("dossier"), removed_at__isnull=True
        ).values("requirement")
    )
    counts = (
        Dossier.objects.filter(agency_id=agency_id, received_at__gte=since, received_at__lt=until)
        .exclude(channel=IntakeChannel.ONLINE)
        .aggregate(
            paper=Count("pk"),
            digitised=Count("pk", filter=~Exists(unscanned)),
        )
    )
    return DigitisationShare(paper=counts["paper"], digitised=counts["digitised"])


def office_specialists(*, agency_id: int) -> QuerySet[User]:
    return User.objects.filter(
        agency_id=agency_id, is_active=True, roles__role=StaffRole.Role.SPECIALIST
    ).order_by("full_name")


REGISTER_FIELDS = (
    "public_id", "code", "state", "channel", "applicant_name", "applicant_phone", "submitted_at",
    "received_at", "due_at", "resolved_at", "returned_at", "post_service", "post_tracking",
    "filer_role", "subject_name", "org_name", "org_tax_code", "transferred_at",
    "result_transferred_at", "applicant_address",
)  # fmt: skip


def register_rows(*, agency, start: dt.date, end: dt.date) -> QuerySet:
    """Mẫu 06: the agency's dossiers received (or submitted, if never received) in a period,
    in the order of that date (the register's own order; the index gives the page directly).
    Plain rows (dicts of REGISTER_FIELDS and procedure_name): a page shows up to a hundred.

    "Received in the period, or never received and submitted in it" is written as one range on
    COALESCE(received_at, submitted_at), the expression of `dossier_register_day_idx`: the same
    rows, found by one index range instead of a walk through the agency's whole history.

    A service centre's register holds the dossiers it received for the agencies it serves; an
    agency's, those it resolves, wherever received; each line that went between the two names
    the other body and the hand-offs' dates."""
    since, until = _period(start, end)
    if agency.is_service_centre:
        queryset = Dossier.objects.filter(receiving_agency_id=agency.pk)
    else:
        # What a centre received counts in the agency's register once handed over (a dossier
        # the centre refused, or has not accepted yet, is the centre's alone).
        queryset = Dossier.objects.filter(agency_id=agency.pk).exclude(
            receiving_agency__isnull=False, transferred_at__isnull=True
        )
    return (
        queryset.alias(register_day=Coalesce("received_at", "submitted_at"))
        .filter(register_day__gte=since, register_day__lt=until)
        # Only what a register line shows: the procedure's name rather than its whole version
        # (form schema, search text, legal texts) for each of up to a hundred lines.
        .annotate(
            procedure_name=F("version__name"),
            lead_agency=Coalesce(NullIf("agency__short_name", Value("")), "agency__name"),
            other_body=F("agency__name" if agency.is_service_centre else "receiving_agency__name"),
            # The sets received on paper (the most of any component); online: one.
            sets=Subquery(
                IntakeComponent.objects.filter(dossier=OuterRef("pk"))
                .order_by("-sets")
                .values("sets")[:1]
            ),
        )
        .order_by("register_day", "received_at", "submitted_at", "pk")
        .values(*REGISTER_FIELDS, "procedure_name", "lead_agency", "other_body", "sets")
    )


def result_blanks(dossier) -> list[tuple[str, str]]:
    """The blanks a specialist fills in when proposing: those of the version's result
    templates (to grant and to deny), each once."""
    seen, blanks = set(), []
    for template in dossier.version.result_templates.order_by("kind", "pk"):
        for name, label in template.blanks():
            if name not in seen:
                seen.add(name)
                blanks.append((name, label))
    return blanks


def result_drafts(dossier) -> list:
    """The result's drafts, newest first, each with its rendered PDF (staff only)."""
    from django.contrib.contenttypes.models import ContentType

    from signing.models import Document

    documents = {
        d.revision: d
        for d in Document.objects.filter(
            owner_type=ContentType.objects.get_for_model(Dossier),
            owner_id=dossier.pk,
            kind=DocumentKind.DRAFT,
        )
    }
    drafts = list(dossier.drafts.select_related("created_by").order_by("-number"))
    for draft in drafts:
        draft.document = documents.get(draft.number)
    return drafts


def result_draft_document(dossier, number: int):
    """The rendered PDF's document of the dossier's draft `number` (None: no such draft, or not
    rendered yet). The caller has checked that the user sees the dossier."""
    draft = next((d for d in result_drafts(dossier) if d.number == number), None)
    if draft is None or draft.document is None or not draft.document.pdf:
        return None
    return draft.document

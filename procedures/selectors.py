"""Reads of the catalogue. The public sees published versions only."""

import re
from dataclasses import dataclass

from django.db import connection
from django.db.models import Prefetch, Q, QuerySet

from portal.models import Agency
from procedures.models import (
    LEVEL_TO_SERVICE,
    Channel,
    Field,
    ProcedureVersion,
    RequiredDocument,
)
from procedures.search import terms

# A one-letter typo in one word still scores above this with pg_trgm's word_similarity.
TYPO_SIMILARITY = 0.5
SERVICE_CODE_RE = re.compile(
    r"(?P<code>.+)\.(?P<agency>[0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-Z][0-9]{2})"
)


@dataclass(frozen=True)
class CatalogueFilters:
    query: str = ""
    field: str = ""  # Field.code
    agency: str = ""  # Agency.code
    implementing_level: str = ""
    service_level: int | None = None  # the legacy level (older API clients)
    online_service: str = ""  # ProcedureVersion.OnlineService (Decree 42/2022)
    applicant: str = ""  # "individual" | "organization"


def published_versions() -> QuerySet[ProcedureVersion]:
    return ProcedureVersion.objects.filter(status=ProcedureVersion.Status.PUBLISHED).select_related(
        "procedure__agency", "field"
    )


def _search(queryset: QuerySet, query: str) -> QuerySet:
    """Every word of the query, folded, in the folded code and name. On PostgreSQL, when nothing
    matches exactly, the closest names by trigram word similarity (one-letter typos)."""
    words = terms(query)
    order = ("procedure__code", "procedure__agency__code")
    if not words:
        return queryset.order_by(*order)
    every_word = Q()
    for word in words:
        every_word &= Q(search_text__contains=word)
    exact = queryset.filter(every_word).order_by(*order)
    if connection.vendor != "postgresql" or exact.exists():
        return exact
    from django.contrib.postgres.search import TrigramWordSimilarity

    return (
        queryset.annotate(similarity=TrigramWordSimilarity(" ".join(words), "search_text"))
        .filter(similarity__gte=TYPO_SIMILARITY)
        .order_by("-similarity", *order)
    )


def procedure_list_for(*, filters: CatalogueFilters) -> QuerySet[ProcedureVersion]:
    """Published procedures matching a search and filters; channels are prefetched so a page of
    any size costs the same number of queries."""
    queryset = published_versions()
    if filters.field:
        queryset = queryset.filter(field__code=filters.field)
    if filters.agency:
        queryset = queryset.filter(procedure__agency__code=filters.agency)
    if filters.implementing_level:
        queryset = queryset.filter(implementing_level=filters.implementing_level)
    if filters.service_level:
        queryset = queryset.filter(service_level=filters.service_level)
    if filters.online_service:
        levels = [
            level
            for level, service in LEVEL_TO_SERVICE.items()
            if service == filters.online_service
        ]
        queryset = queryset.filter(service_level__in=levels)
    if filters.applicant:
        queryset = queryset.filter(
            applicant_type__in=[filters.applicant, ProcedureVersion.ApplicantType.BOTH]
        )
    queryset = queryset.prefetch_related(
        Prefetch("channels", queryset=Channel.objects.order_by("order", "pk"))
    )
    return _search(queryset, filters.query)


def _with_details(queryset: QuerySet) -> QuerySet:
    return queryset.prefetch_related(
        Prefetch("channels", queryset=Channel.objects.order_by("order", "pk")),
        Prefetch("documents", queryset=RequiredDocument.objects.order_by("order", "pk")),
    )


def procedure_get_public(*, code: str) -> ProcedureVersion | None:
    """The published version for a service code (`2.001914.000.00.12.H26`), or for a plain
    procedure code when exactly one agency publishes it; None when unknown or ambiguous."""
    code = (code or "").strip()[:120]
    match = SERVICE_CODE_RE.fullmatch(code)
    queryset = _with_details(published_versions())
    if match:
        return queryset.filter(
            procedure__code=match["code"], procedure__agency__code=match["agency"]
        ).first()
    found = list(queryset.filter(procedure__code=code)[:2])
    return found[0] if len(found) == 1 else None


def version_get_for_preview(*, user, pk: int) -> ProcedureVersion | None:
    """Any version the user may manage (for the admin's preview), with its details."""
    queryset = _with_details(ProcedureVersion.objects.select_related("procedure__agency", "field"))
    if not user.is_superuser:
        if not user.has_role("agency_admin"):
            return None
        queryset = queryset.filter(procedure__agency_id=user.agency_id)
    return queryset.filter(pk=pk).first()


def version_get_filed_under(*, pk: int) -> ProcedureVersion | None:
    """A version by id whatever its status: dossiers stay tied to the version they were filed
    under, so archived versions remain readable."""
    return (
        _with_details(ProcedureVersion.objects.select_related("procedure__agency", "field"))
        .filter(pk=pk)
        .first()
    )


def filter_choices() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(field code, name) and (agency code, name) pairs that have published procedures; cached
    until the catalogue changes."""
    from django.core.cache import cache

    from portal.caching import generation

    def compute():
        return (
            [(f.code, f.name) for f in fields_in_use()],
            [(a.code, a.name) for a in agencies_publishing()],
        )

    return cache.get_or_set(f"catalogue-choices:{generation('catalogue')}", compute, 3600)


def fields_in_use() -> QuerySet[Field]:
    return Field.objects.filter(versions__status=ProcedureVersion.Status.PUBLISHED).distinct()


def agencies_publishing() -> QuerySet[Agency]:
    return Agency.objects.filter(
        is_active=True, procedures__versions__status=ProcedureVersion.Status.PUBLISHED
    ).distinct()

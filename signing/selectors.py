from django.db.models import Q, QuerySet

from signing.models import Document, NumberEntry


def document_get_public(*, code: str) -> Document | None:
    """A document by its verification code: what anyone holding the code (or the QR) may see."""
    code = (code or "").strip().upper()[:32]
    if not code.isalnum():
        return None
    # A draft (dự thảo, a preview) is never public: only signed documents and their stages.
    return (
        Document.objects.select_related("agency")
        .filter(verification_code=code, draft=False)
        .first()
    )


def personal_certificate_for(*, user):
    """The staff member's personal certificate in force (None: they have none)."""
    from signing import certificates

    return certificates.personal_certificate_for(user)


def document_awaiting_signature(*, owner, user) -> Document | None:
    """The owner's document that waits for this leader's personal signature, if any."""
    from django.contrib.contenttypes.models import ContentType

    return (
        Document.objects.select_related("personal_certificate")
        .filter(
            owner_type=ContentType.objects.get_for_model(owner),
            owner_id=owner.pk,
            status=Document.Status.AWAITING_SIGNATURE,
            personal_certificate__user=user,
        )
        .order_by("-revision")
        .first()
    )


def number_entry_list(
    *,
    agency_id: int,
    year: int | None = None,
    series: str = "",
    since=None,
    until=None,
    query: str = "",
) -> QuerySet[NumberEntry]:
    """The register of outgoing documents of one agency, newest first: whose register it is,
    and who may read it, is the caller's to decide (office.selectors.outgoing_register_for).
    `since`/`until`: issued in [since, until); `query`: part of the number, the summary or the
    reference (e.g. a dossier code)."""
    entries = NumberEntry.objects.filter(agency_id=agency_id)
    if year:
        entries = entries.filter(year=year)
    if series:
        entries = entries.filter(series=series)
    if since:
        entries = entries.filter(issued_at__gte=since)
    if until:
        entries = entries.filter(issued_at__lt=until)
    query = (query or "").strip()
    if query:
        entries = entries.filter(
            Q(number__icontains=query) | Q(summary__icontains=query) | Q(reference__icontains=query)
        )
    return entries.select_related("document").order_by("-issued_at", "-pk")

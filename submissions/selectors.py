"""Reads of dossiers, with the visibility rule in one place: an applicant sees their own
dossiers; anyone else gets None (the views answer 404 for "missing" and "not yours" alike)."""

import hmac

from django.db.models import Prefetch, QuerySet

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


def dossier_timeline(dossier: Dossier) -> list[DossierEvent]:
    return list(dossier.events.order_by("created_at", "pk"))


def dossier_documents(dossier: Dossier) -> list:
    """The signed slips and results that belong to the dossier (the workflow issues them)."""
    from django.contrib.contenttypes.models import ContentType

    from signing.models import Document

    return list(
        Document.objects.filter(
            owner_type=ContentType.objects.get_for_model(Dossier), owner_id=dossier.pk
        ).order_by("created_at")
    )


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

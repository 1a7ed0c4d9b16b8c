from signing.models import Document


def document_get_public(*, code: str) -> Document | None:
    """A document by its verification code: what anyone holding the code (or the QR) may see."""
    code = (code or "").strip().upper()[:32]
    if not code.isalnum():
        return None
    return Document.objects.select_related("agency").filter(verification_code=code).first()


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

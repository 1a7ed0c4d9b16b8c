from signing.models import Document


def document_get_public(*, code: str) -> Document | None:
    """A document by its verification code: what anyone holding the code (or the QR) may see."""
    code = (code or "").strip().upper()[:32]
    if not code.isalnum():
        return None
    return Document.objects.select_related("agency").filter(verification_code=code).first()

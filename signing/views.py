from django.conf import settings
from django.core.cache import cache
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from portal import ratelimit
from signing import selectors, verify
from signing.forms import VerifyForm
from signing.models import Document


def verify_start(request):
    """Enter a verification code, or upload a PDF to check it."""
    form = VerifyForm(request.POST or None, request.FILES or None)
    verdict, limited = None, False
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data.get("file")
        limited = bool(upload) and not ratelimit.take(
            f"verify-upload:{ratelimit.client_ip(request)}",
            limit=settings.VERIFY_UPLOADS_PER_WINDOW,
            window_seconds=600,
        )
        if limited:
            form.add_error(
                "file",
                _("Too many files checked from this address: try again in ten minutes."),
            )
        elif upload:
            verdict = verify.verify_pdf(upload.read())
        else:
            return redirect("signing:verify", code=form.cleaned_data["code"].strip().upper())
    status = 429 if limited else 200 if request.method == "GET" or form.is_valid() else 400
    return render(request, "signing/verify.html", {"form": form, "verdict": verdict}, status=status)


# How long a signed document's signature report is kept (its PDF never changes; the trust roots
# and, later, revocation may): anyone may open the page, and validating an 88 MiB register
# costs seconds.
SIGNATURES_CACHE_SECONDS = 3600


def _verdict(document) -> dict:
    """The stored file's verdict today (its code and message, each signature's signer, time and
    validity), validated once an hour at most."""
    key = f"verify:verdict:{document.pk}:{document.sha256}"
    verdict = cache.get(key)
    if verdict is None:
        with document.pdf.open("rb") as handle:
            found = verify.verify_pdf(handle.read())
        verdict = {"code": found.code, "message": found.message, "signatures": found.signatures}
        if found.code != verify.UNAVAILABLE:  # a responder away: checked again next time
            cache.set(key, verdict, SIGNATURES_CACHE_SECONDS)
    return verdict


@require_GET
def verify_code(request, code: str):
    document = selectors.document_get_public(code=code)
    if document is None:
        return render(request, "signing/verify_unknown.html", {"code": code[:40]}, status=404)
    verdict = None
    if document.status == Document.Status.SIGNED and document.pdf:
        verdict = _verdict(document)
    return render(
        request,
        "signing/verify_document.html",
        {
            "document": document,
            "verdict": verdict,
            "signatures": verdict["signatures"] if verdict else [],
        },
    )


@require_GET
def download(request, code: str):
    document = selectors.document_get_public(code=code)
    if document is None or document.status != Document.Status.SIGNED:
        raise Http404
    return FileResponse(
        document.pdf.open("rb"),
        as_attachment=True,
        filename=f"{document.kind}-{document.verification_code}.pdf",
        content_type="application/pdf",
    )


@require_GET
def trust_roots(request):
    """The root certificates the portal trusts, for anyone who wants to check a signature."""
    from asn1crypto import pem

    body = b"".join(pem.armor("CERTIFICATE", root.dump()) for root in verify.trust_roots())
    response = HttpResponse(body, content_type="application/x-pem-file")
    response["Content-Disposition"] = 'attachment; filename="dvc-portal-roots.pem"'
    return response

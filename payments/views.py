"""The applicant's payment pages and the gateway's endpoints (browser return, IPN)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.views.decorators.http import require_GET, require_POST

from payments import services
from portal import ratelimit
from submissions import selectors


@login_required
@require_POST
def start(request, public_id):
    dossier = selectors.dossier_get_for(user=request.user, public_id=public_id)
    if dossier is None:
        raise Http404
    try:
        _payment, url = services.payment_start(
            dossier=dossier,
            actor=request.user,
            return_url=request.build_absolute_uri(reverse("payments:return")),
            client_ip=ratelimit.client_ip(request),
            locale=get_language() or "vi",
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        return redirect("submissions:detail", dossier.public_id)
    return redirect(url)


@require_GET
def gateway_return(request):
    """Where the gateway sends the browser back. Shows the payment's state as we know it."""
    payment, valid = services.handle_return(request.GET.dict())
    if payment is None or not valid:
        return render(request, "payments/return.html", {"invalid": True}, status=400)
    owner = request.user.is_authenticated and payment.dossier.applicant_id == request.user.pk
    return render(
        request,
        "payments/return.html",
        {"payment": payment, "dossier": payment.dossier if owner else None},
    )

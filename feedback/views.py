"""The public and the citizen's pages: published answers (/phan-anh/), sending feedback, tracking
it by code, rating a dossier and rating an answer."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from feedback import selectors, services
from feedback.forms import FeedbackForm, RateAnswerForm, RatingForm, TrackForm
from feedback.models import Feedback, FeedbackAbout, FeedbackState
from portal import errors, ratelimit
from procedures import selectors as procedure_selectors
from procedures.models import Procedure
from submissions import selectors as dossier_selectors

PAGE_SIZE = 20
TRACKED = "feedback_tracked"  # session: ids of the feedback proved by code and email or phone


@require_GET
def public_list(request):
    query = request.GET.get("q", "").strip()[:100]
    page = Paginator(selectors.feedback_public_list(query=query), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    params = urlencode({"q": query}) if query else ""
    return render(
        request, "feedback/public_list.html", {"page": page, "query": query, "params": params}
    )


@require_GET
def public_detail(request, code: str):
    feedback = selectors.feedback_public_get(code=code)
    if feedback is None:
        raise Http404
    return render(request, "feedback/public_detail.html", {"feedback": feedback})


def _procedure_choices() -> list[tuple[int, str]]:
    versions = procedure_selectors.published_versions().order_by("name", "procedure__code")
    return [(v.procedure_id, f"{v.name} ({v.procedure.code})") for v in versions]


@require_http_methods(["GET", "POST"])
def send(request):
    """Gửi phản ánh, kiến nghị: by anyone; about one's own dossier when ?dossier= names it (404
    for a dossier not theirs). Sendings are limited per client address."""
    dossier = None
    if request.GET.get("dossier"):
        try:
            dossier = dossier_selectors.dossier_get_for(
                user=request.user, public_id=request.GET["dossier"]
            )
        except ValidationError:  # not a UUID
            dossier = None
        if dossier is None or not dossier.code:
            raise Http404
    initial = {}
    if request.GET.get("procedure", "").isdigit():
        initial = {"about": FeedbackAbout.PROCEDURE, "procedure": int(request.GET["procedure"])}
    form = FeedbackForm(
        request.POST or None,
        request.FILES or None,
        procedures=[] if dossier else _procedure_choices(),
        dossier=dossier,
        user=request.user,
        initial=initial,
    )
    context = {"form": form, "dossier": dossier}
    if request.method != "POST":
        return render(request, "feedback/send.html", context)
    if not ratelimit.take(
        f"feedback:{ratelimit.client_ip(request)}",
        limit=settings.FEEDBACK_SENDS_PER_HOUR,
        window_seconds=3600,
    ):
        form.is_valid()
        form.add_error(None, _("Too much feedback sent from this address: try again in an hour."))
        return render(request, "feedback/send.html", context, status=429)
    if not form.is_valid():
        return render(request, "feedback/send.html", context, status=400)
    data = form.cleaned_data
    procedure = None
    if data.get("procedure"):
        procedure = Procedure.objects.filter(pk=data["procedure"]).select_related("agency").first()
    try:
        feedback = services.feedback_send(
            about=FeedbackAbout.DOSSIER if dossier else data["about"],
            actor=request.user,
            agency=data.get("agency"),
            procedure=procedure,
            dossier=dossier,
            sender_name=data["sender_name"],
            sender_email=data["sender_email"],
            sender_phone=data["sender_phone"],
            title=data["title"],
            body=data["body"],
            attachment=data.get("attachment"),
        )
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        errors.add_to_form(form, exc)
        return render(request, "feedback/send.html", context, status=400)
    _remember(request, feedback)
    return redirect("feedback:status", feedback.code)


def _remember(request, feedback: Feedback) -> None:
    tracked = [i for i in request.session.get(TRACKED, []) if i != feedback.pk][-19:]
    request.session[TRACKED] = [*tracked, feedback.pk]


def _status_for(request, code: str) -> Feedback | None:
    """The sender's own feedback: their account's, or one proved in this session."""
    feedback = selectors.feedback_get_for_sender(user=request.user, code=code)
    if feedback is None:
        feedback = (
            Feedback.objects.filter(code=code, pk__in=request.session.get(TRACKED, []))
            .select_related("agency", "procedure")
            .first()
        )
    return feedback


@require_http_methods(["GET", "POST"])
def track(request):
    """Tra cứu phản ánh: code + the email or phone given. Failures are limited per client
    address and per code, as the tracking of dossiers."""
    form = TrackForm(request.POST or None)
    not_found = limited = False
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"]
        keys = (f"ftrack-ip:{ratelimit.client_ip(request)}", f"ftrack-code:{code}")
        window = settings.TRACKING_WINDOW_MINUTES * 60
        if not ratelimit.take(*keys, limit=settings.TRACKING_MAX_FAILURES, window_seconds=window):
            limited = True
        else:
            feedback = selectors.feedback_track(code=code, secret=form.cleaned_data["secret"])
            if feedback is not None:
                ratelimit.give_back(*keys)
                _remember(request, feedback)
                return redirect("feedback:status", feedback.code)
            not_found = True
    context = {"form": form, "not_found": not_found, "limited": limited}
    status = 429 if limited else 404 if not_found else 200
    return render(request, "feedback/track.html", context, status=status)


@login_required
@require_GET
def mine(request):
    page = Paginator(selectors.feedback_list_for_sender(user=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "feedback/mine.html", {"page": page})


def _render_status(request, feedback, *, form=None, status=200):
    may_rate = feedback.state == FeedbackState.ANSWERED and feedback.sender_satisfied is None
    context = {
        "feedback": feedback,
        "rate_form": (form or RateAnswerForm()) if may_rate else None,
    }
    return render(request, "feedback/status.html", context, status=status)


@require_GET
def status(request, code: str):
    feedback = _status_for(request, code)
    if feedback is None:
        raise Http404
    return _render_status(request, feedback)


@require_POST
def rate_answer(request, code: str):
    feedback = _status_for(request, code)
    if feedback is None:
        raise Http404
    form = RateAnswerForm(request.POST)
    if not form.is_valid():
        return _render_status(request, feedback, form=form, status=400)
    try:
        services.feedback_rate_answer(
            feedback=feedback,
            actor=request.user,
            satisfied=form.cleaned_data["satisfied"],
            tracked=feedback.pk in request.session.get(TRACKED, []),
        )
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        errors.add_to_form(form, exc)
        return _render_status(request, feedback, form=form, status=400)
    messages.success(request, _("Thank you: your rating of the answer is recorded."))
    return redirect("feedback:status", feedback.code)


@login_required
@require_http_methods(["GET", "POST"])
def rate_dossier(request, public_id):
    """The applicant's rating of their dossier (the box on the dossier page posts here; a
    refusal is shown here with the form as sent)."""
    dossier = dossier_selectors.dossier_get_for(user=request.user, public_id=public_id)
    if dossier is None:
        raise Http404
    rating = selectors.rating_for_dossier(dossier=dossier)
    form = RatingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.rating_give(
                dossier=dossier,
                actor=request.user,
                level=form.cleaned_data["level"],
                comment=form.cleaned_data["comment"],
            )
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as exc:
            errors.add_to_form(form, exc)
        else:
            messages.success(request, _("Thank you: your rating is recorded."))
            return redirect("submissions:detail", dossier.public_id)
    context = {
        "dossier": dossier,
        "form": form,
        "rating": rating,
        "rateable": services.is_rateable(dossier),
    }
    return render(request, "feedback/rate.html", context, status=400 if form.errors else 200)

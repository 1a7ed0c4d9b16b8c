"""The back-office pages of feedback and ratings (/office/feedback/): the agency's queue of
feedback to answer, each feedback's page (answer, refuse, publish), the agency's ratings (read
and moderated by its leaders and administrators) and the desk's recording of a paper rating.
Only officers of the agency see its feedback; everyone else gets 404."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from feedback import selectors, services
from feedback.forms import (
    AnswerForm,
    HideForm,
    OfficeFeedbackFilterForm,
    PaperRatingForm,
    RatingFilterForm,
    RefuseForm,
)
from feedback.models import FeedbackState
from portal import errors
from portal.permissions import officer_required
from portal.workdays import WorkCalendar
from procedures.models import Procedure
from submissions.models import Dossier, State

PAGE_SIZE = 25
DUE_SOON_WORKING_DAYS = 2


def _feedback(request, code: str):
    feedback = selectors.office_feedback_get_for(user=request.user, code=code)
    if feedback is None:
        raise Http404
    return feedback


@officer_required
@require_GET
def queue(request):
    state = request.GET.get("state") or "open"
    if state not in selectors.OFFICE_FEEDBACK_STATES:
        state = "open"
    form = OfficeFeedbackFilterForm(request.GET or None)
    query = form.cleaned_data.get("q", "") if form.is_valid() else ""
    feedback = selectors.office_feedback_list_for(user=request.user, state=state, query=query)
    page = Paginator(feedback, PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    soon = WorkCalendar(request.user.agency).add_working_days(now, DUE_SOON_WORKING_DAYS)
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "feedback/office/queue.html",
        {
            "page": page,
            "form": form,
            "state": state,
            "states": [
                ("open", _("To answer")),
                (FeedbackState.ANSWERED, _("Answered")),
                (FeedbackState.REFUSED, _("Not taken up")),
                ("all", _("All")),
            ],
            "now": now,
            "soon": soon,
            "params": params.urlencode(),
            "may_see_ratings": selectors.may_see_ratings(request.user),
        },
    )


def _render_detail(request, feedback, *, answer_form=None, refuse_form=None, status=200):
    is_open = feedback.state == FeedbackState.RECEIVED
    context = {
        "feedback": feedback,
        "answer_form": (answer_form or AnswerForm()) if is_open else None,
        "refuse_form": (refuse_form or RefuseForm()) if is_open else None,
        "may_publish": feedback.state == FeedbackState.ANSWERED
        and feedback.published_at is None
        and services.may_moderate(request.user, feedback.agency_id),
        "now": timezone.now(),
    }
    return render(request, "feedback/office/detail.html", context, status=status)


@officer_required
@require_GET
def detail(request, code: str):
    return _render_detail(request, _feedback(request, code))


def _close(request, code: str, *, form_class, run, form_key: str, done: str):
    feedback = _feedback(request, code)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            run(feedback=feedback, actor=request.user, data=form.cleaned_data)
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as exc:
            if errors.is_conflict(exc):
                messages.error(request, " ".join(exc.messages))
                return redirect("feedback_office:detail", feedback.code)
            errors.add_to_form(form, exc)
        else:
            messages.success(request, done)
            return redirect("feedback_office:detail", feedback.code)
    return _render_detail(request, feedback, status=400, **{form_key: form})


@officer_required
@require_POST
def answer(request, code: str):
    return _close(
        request,
        code,
        form_class=AnswerForm,
        run=lambda feedback, actor, data: services.feedback_answer(
            feedback=feedback, actor=actor, answer=data["answer"]
        ),
        form_key="answer_form",
        done=_("The answer is sent to the sender."),
    )


@officer_required
@require_POST
def refuse(request, code: str):
    return _close(
        request,
        code,
        form_class=RefuseForm,
        run=lambda feedback, actor, data: services.feedback_refuse(
            feedback=feedback, actor=actor, reason=data["reason"]
        ),
        form_key="refuse_form",
        done=_("The sender is told why the feedback is not taken up."),
    )


@officer_required
@require_POST
def publish(request, code: str):
    feedback = _feedback(request, code)
    try:
        services.feedback_publish(feedback=feedback, actor=request.user)
    except PermissionDenied:
        messages.error(request, _("Only a leader or an administrator of the agency publishes."))
        return redirect("feedback_office:detail", feedback.code)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("feedback_office:detail", feedback.code)
    messages.success(request, _("The answer is published, without the sender's personal data."))
    return redirect("feedback_office:detail", feedback.code)


@officer_required
@require_GET
def attachment(request, code: str):
    feedback = _feedback(request, code)
    if not feedback.attachment:
        raise Http404
    return FileResponse(
        feedback.attachment.open("rb"),
        content_type=feedback.attachment_type,
        as_attachment=request.GET.get("download") == "1",
        filename=feedback.attachment_name,
    )


# --- ratings ------------------------------------------------------------------------------------


@officer_required
@require_GET
def ratings(request):
    if not selectors.may_see_ratings(request.user):
        raise Http404
    procedures = Procedure.objects.filter(agency_id=request.user.agency_id).order_by("code")
    form = RatingFilterForm(request.GET or None, procedures=[(p.pk, p.code) for p in procedures])
    filters = form.cleaned_data if form.is_valid() else {}
    rows = selectors.office_rating_list_for(
        user=request.user,
        level=filters.get("level") or "",
        procedure_id=filters.get("procedure"),
        with_comment=bool(filters.get("with_comment")),
        hidden=bool(filters.get("hidden")),
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "feedback/office/ratings.html",
        {"page": page, "form": form, "params": params.urlencode()},
    )


@officer_required
@require_POST
def hide(request, rating_id: int):
    rating = selectors.office_rating_get_for(user=request.user, rating_id=rating_id)
    if rating is None:
        raise Http404
    form = HideForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the comment is hidden."))
        return redirect("feedback_office:ratings")
    try:
        services.rating_hide(rating=rating, actor=request.user, reason=form.cleaned_data["reason"])
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("feedback_office:ratings")
    messages.success(request, _("The comment is hidden; the rating still counts."))
    return redirect("feedback_office:ratings")


def _office_dossier(request, public_id) -> Dossier:
    """A dossier the officer's agency sees: it resolves it, or its centre received it."""
    agency_id = request.user.agency_id
    dossier = (
        Dossier.objects.filter(public_id=public_id)
        .exclude(state=State.DRAFT)
        .select_related("version", "agency", "receiving_agency")
        .first()
    )
    if dossier is None or agency_id not in (dossier.agency_id, dossier.receiving_agency_id):
        raise Http404
    return dossier


@officer_required
@require_http_methods(["GET", "POST"])
def paper_rating(request, public_id):
    """The desk records the paper evaluation form of a dossier."""
    dossier = _office_dossier(request, public_id)
    if not services.may_record_paper(request.user, dossier):
        raise Http404
    form = PaperRatingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.rating_record_paper(
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
            messages.success(request, _("The paper rating is recorded."))
            return redirect("office:dossier", dossier.public_id)
    context = {
        "dossier": dossier,
        "form": form,
        "rating": selectors.rating_for_dossier(dossier=dossier),
        "rateable": services.is_rateable(dossier),
    }
    return render(
        request, "feedback/office/paper_rating.html", context, status=400 if form.errors else 200
    )

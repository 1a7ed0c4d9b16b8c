"""The citizen's pages: start a dossier, answer, attach, review, submit, follow, supplement,
withdraw; and public tracking. Each view parses its input, calls one service or selector and
renders; "missing" and "not yours" are both 404 (submissions.selectors)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portal import ratelimit
from procedures import selectors as procedure_selectors
from procedures import windows
from submissions import downloads, selectors, services
from submissions.forms import AnswersForm, DeliveryForm, TrackForm, UploadForm, WithdrawForm
from submissions.models import DocumentKind, State


def _own(request, public_id):
    dossier = selectors.dossier_get_for(user=request.user, public_id=public_id)
    if dossier is None:
        raise Http404
    return dossier


def _editable(request, public_id):
    dossier = _own(request, public_id)
    if not dossier.is_editable:
        messages.error(
            request,
            _("This dossier can no longer be changed (it is now: %(state)s).")
            % {"state": dossier.get_state_display()},
        )
        return dossier, redirect("submissions:detail", dossier.public_id)
    return dossier, None


@login_required
@require_GET
def my_dossiers(request):
    page = Paginator(selectors.dossier_list_for(user=request.user), 20).get_page(
        request.GET.get("page")
    )
    return render(request, "submissions/list.html", {"page": page})


@login_required
@require_http_methods(["GET", "POST"])
def start(request, code: str):
    """What the procedure asks for, the applicant's drafts of it, and "Start a new dossier"."""
    version = procedure_selectors.procedure_get_public(code=code)
    if version is None or not version.offers_online_filing:
        raise Http404
    if request.method == "POST":
        try:
            dossier = services.dossier_start(version=version, applicant=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("submissions:start", code)
        return redirect("submissions:edit", dossier.public_id)
    drafts = selectors.dossier_list_for(user=request.user).filter(
        state=State.DRAFT, version__procedure=version.procedure
    )
    closed = windows.window_refusal(version.procedure)
    return render(
        request,
        "submissions/start.html",
        {"version": version, "drafts": drafts, "closed": closed.messages[0] if closed else ""},
    )


@login_required
@require_http_methods(["GET", "POST"])
def edit(request, public_id):
    """Step 1: the applicant's details and the procedure's questions."""
    dossier, leave = _editable(request, public_id)
    if leave:
        return leave
    schema = dossier.version.form_schema
    if request.method == "POST":
        final = "continue" in request.POST
        form = AnswersForm(
            request.POST,
            schema=schema,
            final=final,
            applicant_type=dossier.version.applicant_type,
        )
        if form.is_valid():
            applicant, answers = form.values()
            try:
                services.dossier_update(
                    dossier=dossier, actor=request.user, applicant=applicant, answers=answers
                )
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
                return redirect("submissions:detail", dossier.public_id)
            if final:
                return redirect("submissions:documents", dossier.public_id)
            messages.success(request, _("Draft saved. You can come back to it at any time."))
            return redirect("submissions:edit", dossier.public_id)
        messages.error(request, _("Some answers need correcting: see the marked fields."))
    else:
        form = AnswersForm(initial=AnswersForm.initial_for(dossier), schema=schema)
    return render(request, "submissions/edit.html", {"dossier": dossier, "form": form, "step": 1})


@login_required
@require_http_methods(["GET", "POST"])
def documents(request, public_id):
    """Step 2: files for each document of the procedure; several per document."""
    dossier, leave = _editable(request, public_id)
    if leave:
        return leave
    errors: dict[int, list[str]] = {}
    status = 200
    if request.method == "POST":
        try:
            requirement_id = int(request.POST.get("requirement", ""))
        except ValueError:
            requirement_id = None
        try:
            stored = services.dossier_add_files(
                dossier=dossier,
                actor=request.user,
                requirement_id=requirement_id,
                files=request.FILES.getlist("files"),
            )
        except ValidationError as exc:
            if "document" in getattr(exc, "error_dict", {}):
                # Not a document of this dossier: there is no slot to show it under.
                messages.error(request, " ".join(exc.messages))
            else:
                errors[requirement_id] = exc.messages
                messages.error(request, _("Nothing was added: see the message under the document."))
            status = 400
        else:
            messages.success(
                request,
                _("Added: %(names)s.") % {"names": ", ".join(f.name for f in stored)},
            )
            return redirect(f"{request.path}#requirement-{requirement_id}")
    current, _removed = selectors.dossier_files(dossier)
    slots = [
        {
            "requirement": requirement,
            "files": [f for f in current if f.requirement_id == requirement.pk],
            "errors": errors.get(requirement.pk, []),
        }
        for requirement in dossier.version.documents.all()
        if requirement.applies_to(dossier.channel)
    ]
    context = {
        "dossier": dossier,
        "slots": slots,
        "upload_form": UploadForm(),
        "max_file_mb": settings.UPLOAD_MAX_FILE_MB,
        "max_dossier_mb": settings.UPLOAD_MAX_DOSSIER_MB,
        "used_mb": sum(f.size for f in current) / (1024 * 1024),
        "step": 2,
    }
    return render(request, "submissions/documents.html", context, status=status)


@login_required
@require_POST
def remove_file(request, public_id, file_id: int):
    dossier, leave = _editable(request, public_id)
    if leave:
        return leave
    try:
        services.dossier_remove_file(dossier=dossier, actor=request.user, file_id=file_id)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The file was removed."))
    return redirect("submissions:documents", dossier.public_id)


@login_required
@require_GET
def download_file(request, public_id, file_id: int):
    """A file of one's own dossier. Shown in the browser (PDF, images) but sandboxed, so that
    nothing in an uploaded file runs as the portal."""
    record = selectors.dossier_file_get_for(user=request.user, public_id=public_id, file_id=file_id)
    if record is None:
        raise Http404
    return downloads.file_response(record, attachment="download" in request.GET)


@login_required
@require_GET
def review(request, public_id):
    """Step 3: everything at once, with what is still missing, and the submit button."""
    dossier = _own(request, public_id)
    if not dossier.is_editable:
        return redirect("submissions:detail", dossier.public_id)
    return _render_review(request, dossier, problems=services.dossier_missing(dossier))


def _render_review(request, dossier, *, problems, status=200):
    form = AnswersForm(initial=AnswersForm.initial_for(dossier), schema=dossier.version.form_schema)
    current, _removed = selectors.dossier_files(dossier)
    context = {
        "dossier": dossier,
        "form": form,
        "answers": selectors.dossier_answer_rows(dossier),
        "slots": [
            (requirement, [f for f in current if f.requirement_id == requirement.pk])
            for requirement in dossier.version.documents.all()
            if requirement.applies_to(dossier.channel)
        ],
        "problems": problems,
        "supplement": dossier.supplements.first()
        if dossier.state == State.SUPPLEMENT_REQUIRED
        else None,
        "step": 3,
    }
    return render(request, "submissions/review.html", context, status=status)


@login_required
@require_POST
def submit(request, public_id):
    dossier = _own(request, public_id)
    resubmitting = dossier.state == State.SUPPLEMENT_REQUIRED
    try:
        if resubmitting:
            dossier = services.dossier_resubmit(
                dossier=dossier, actor=request.user, note=request.POST.get("note", "")
            )
        else:
            dossier = services.dossier_submit(dossier=dossier, actor=request.user)
    except ValidationError as exc:
        # A list of problems carries no .code: check for it before reading it.
        if not hasattr(exc, "code") or exc.code == "incomplete":
            return _render_review(request, dossier, problems=exc.messages, status=400)
        messages.error(request, " ".join(exc.messages))
        if exc.code == "unconfirmed":  # the email address or phone first: then back here
            user = request.user
            if user.email_confirmed_at is None and not user.eid_subject:
                return redirect("profile")  # where the link is sent again
            review = reverse("submissions:review", args=[dossier.public_id])
            return redirect(f"{reverse('phone_confirm')}?{urlencode({'next': review})}")
        return redirect("submissions:detail", dossier.public_id)
    if resubmitting:
        messages.success(request, _("Your supplement was sent to the agency."))
        return redirect("submissions:detail", dossier.public_id)
    return redirect(reverse("submissions:detail", args=[dossier.public_id]) + "?submitted=1")


@login_required
@require_GET
def detail(request, public_id):
    dossier = _own(request, public_id)
    current, removed = selectors.dossier_files(dossier)
    context = {
        "dossier": dossier,
        "answers": selectors.dossier_answer_rows(dossier),
        "current_files": current,
        "removed_files": removed,
        "timeline": selectors.dossier_timeline(dossier),
        "documents": selectors.dossier_documents(dossier),
        "supplement": dossier.supplements.first()
        if dossier.state == State.SUPPLEMENT_REQUIRED
        else None,
        "just_submitted": request.GET.get("submitted") == "1" and dossier.code,
        "delivery_form": DeliveryForm(dossier=dossier)
        if dossier.state in services.DELIVERY_CHANGEABLE
        else None,
    }
    return render(request, "submissions/detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def withdraw(request, public_id):
    dossier = _own(request, public_id)
    form = WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.dossier_withdraw(
                dossier=dossier, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The dossier was withdrawn."))
        return redirect("submissions:detail", dossier.public_id)
    if not dossier.can_withdraw:
        messages.error(
            request,
            _("This dossier can no longer be withdrawn (it is now: %(state)s).")
            % {"state": dossier.get_state_display()},
        )
        return redirect("submissions:detail", dossier.public_id)
    return render(request, "submissions/withdraw.html", {"dossier": dossier, "form": form})


@login_required
@require_POST
def delivery(request, public_id):
    """The applicant changes how the result comes back, until it is being signed."""
    dossier = _own(request, public_id)
    form = DeliveryForm(request.POST, dossier=dossier)
    if not form.is_valid():
        messages.error(request, " ".join(m for ms in form.errors.values() for m in ms))
        return redirect("submissions:detail", dossier.public_id)
    try:
        services.dossier_set_delivery(
            dossier=dossier,
            actor=request.user,
            delivery=form.cleaned_data["result_delivery"],
            address=form.cleaned_data["delivery_address"],
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("How you receive the result was saved."))
    return redirect("submissions:detail", dossier.public_id)


@login_required
@require_POST
def delete_draft(request, public_id):
    dossier = _own(request, public_id)
    try:
        services.dossier_delete_draft(dossier=dossier, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("submissions:detail", dossier.public_id)
    messages.success(request, _("The draft was deleted."))
    return redirect("submissions:list")


@require_http_methods(["GET", "POST"])
def track(request):
    """Tra cứu hồ sơ: code + the applicant's citizen ID or phone. Failed attempts are counted
    per client address and per code; past the limit, every attempt is refused for a while."""
    form = TrackForm(request.POST or None)
    dossier, not_found, limited = None, False, False
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"]
        keys = (f"track-ip:{ratelimit.client_ip(request)}", f"track-code:{code}")
        window = settings.TRACKING_WINDOW_MINUTES * 60
        # Counted before the lookup (so that parallel guesses cannot all slip through), and
        # given back when the lookup succeeds: only failures use up the allowance.
        if not ratelimit.take(*keys, limit=settings.TRACKING_MAX_FAILURES, window_seconds=window):
            limited = True
        else:
            dossier = selectors.dossier_track(code=code, secret=form.cleaned_data["secret"])
            if dossier is None:
                not_found = True
            else:
                ratelimit.give_back(*keys)
    context = {
        "form": form,
        "dossier": dossier,
        "not_found": not_found,
        "limited": limited,
        "window_minutes": settings.TRACKING_WINDOW_MINUTES,
    }
    status = 429 if limited else 404 if not_found else 200
    return render(request, "submissions/track.html", context, status=status)


@login_required
@require_GET
def result(request, public_id, document_id: int):
    """The applicant's download of a signed slip or result of their dossier.

    A GET that changes state, on purpose: at level 4 the applicant's receipt of the electronic
    result is its return (trả kết quả trực tuyến), so the first download of the signed result
    hands it back (resolved → returned). It is idempotent (later downloads change nothing), only
    the dossier's own applicant reaches it (404 for anyone else), and it only moves the dossier
    to where the applicant's own click would."""
    from signing.models import Document

    dossier = _own(request, public_id)
    document = next(
        (
            d
            for d in selectors.dossier_documents(dossier)
            if d.pk == document_id and d.status == Document.Status.SIGNED
        ),
        None,
    )
    if document is None:
        raise Http404
    if document.kind == DocumentKind.RESULT and dossier.state in (State.SIGNING, State.RESOLVED):
        if dossier.state == State.SIGNING:
            # Signed, but the worker's resolve task has not run yet: resolve it now (idempotent),
            # or this download would not count as the hand-back.
            dossier = services.dossier_resolve(dossier_id=dossier.pk, document_id=document.pk)
        services.dossier_collect_online(dossier=dossier, actor=request.user)
    return FileResponse(
        document.pdf.open("rb"),
        as_attachment=True,
        filename=f"{document.kind}-{document.verification_code}.pdf",
        content_type="application/pdf",
    )

"""The back-office pages (/office/): queues, the dossier page with the actions the officer's
role allows, the control sheet (Mẫu 05) and the register (Mẫu 06). Only officers of the
dossier's agency see a dossier; everyone else gets 404."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from office import forms as office_forms
from office import intake as intake_
from office import outgoing, selectors, slips
from office import register as register_
from office.actions import ACTIONS, ROLE_REFUSED, available_actions, may_attempt
from portal import errors
from portal.models import StaffRole
from portal.permissions import officer_required
from procedures.models import Procedure, ProcedureVersion
from signing import selectors as signing_selectors
from signing import services as signing_services
from submissions import downloads
from submissions import selectors as dossier_selectors
from submissions.models import DocumentKind, Dossier

PAGE_SIZE = 25


def _dossier(request, public_id) -> Dossier:
    dossier = selectors.office_dossier_get_for(user=request.user, public_id=public_id)
    if dossier is None:
        raise Http404
    return dossier


@officer_required
@require_GET
def queue(request):
    tab = request.GET.get("tab") or selectors.office_default_tab(request.user)
    if tab not in selectors.OFFICE_TABS:
        tab = "all"
    procedures = Procedure.objects.filter(selectors.procedures_of(request.user)).order_by("code")
    form = office_forms.QueueForm(
        request.GET or None,
        procedures=[(p.pk, p.code) for p in procedures],
    )
    filters = form.cleaned_data if form.is_valid() else {}
    dossiers = selectors.office_dossier_list_for(
        user=request.user,
        tab=tab,
        procedure_id=filters.get("procedure"),
        state=filters.get("state") or "",
        overdue=bool(filters.get("overdue")),
        due_soon=bool(filters.get("due_soon")),
        query=filters.get("q") or "",
        channel=filters.get("channel") or "",
    )
    page = Paginator(dossiers, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "office/queue.html",
        {
            "page": page,
            "form": form,
            "tab": tab,
            "tabs": _tabs(request.user),
            "query": query.urlencode(),
            "now": timezone.now(),
            "can_take_in": request.user.has_role(StaffRole.Role.DESK),
            "at_centre": selectors.at_centre(request.user),
        },
    )


def _tabs(user) -> list[tuple[str, str]]:
    role = StaffRole.Role
    tabs = []
    if selectors.at_centre(user):  # a centre receives, hands over and returns; nothing else
        return [
            ("desk", _("To accept")),
            ("transfers", _("To hand to the agency")),
            ("results", _("Results to hand back")),
            ("all", _("All dossiers")),
        ]
    if user.has_role(role.DESK):
        tabs += [("desk", _("To accept")), ("results", _("Results to hand back"))]
    if user.has_role(role.DESK, role.LEADER):
        tabs.append(("assign", _("To assign")))
        if user.agency.service_centre_id:
            tabs.append(("transfers", _("Results to send to the centre")))
    if user.has_role(role.SPECIALIST):
        tabs.append(("mine", _("Assigned to me")))
    if user.has_role(role.LEADER):
        tabs.append(("approval", _("To approve")))
    tabs.append(("all", _("All dossiers")))
    return tabs


def _render_dossier(request, dossier, *, bound=None, status=200):
    """The dossier page; `bound`: (action name, the form sent) to show again with its errors."""
    action_forms = [
        (name, ACTIONS[name].label, ACTIONS[name].form_for(dossier))
        for name in available_actions(dossier, request.user)
    ]
    if bound is not None:
        action_forms = [
            (name, label, bound[1] if name == bound[0] else form)
            for name, label, form in action_forms
        ]
        if bound[0] not in {name for name, _label, _form in action_forms}:
            action_forms.append((bound[0], ACTIONS[bound[0]].label, bound[1]))
    current, removed = dossier_selectors.dossier_files(dossier)
    context = {
        "dossier": dossier,
        "answers": dossier_selectors.dossier_answer_rows(dossier),
        "current_files": current,
        "removed_files": removed,
        "timeline": list(dossier.events.select_related("actor").order_by("created_at", "pk")),
        "documents": dossier_selectors.dossier_documents(dossier, staff=True),
        "drafts": selectors.result_drafts(dossier),
        "supplements": list(dossier.supplements.all()),
        "components": list(dossier.components.select_related("requirement").order_by("pk")),
        "can_certify": selectors.is_desk_of(request.user, dossier.front_agency_id),
        "action_forms": action_forms,
        "open_action": bound[0] if bound else "",
        "to_sign": signing_selectors.document_awaiting_signature(owner=dossier, user=request.user),
        "now": timezone.now(),
    }
    return render(request, "office/dossier.html", context, status=status)


@officer_required
@require_GET
def dossier_page(request, public_id):
    return _render_dossier(request, _dossier(request, public_id))


@officer_required
@require_POST
def act(request, public_id, action: str):
    dossier = _dossier(request, public_id)
    if action not in ACTIONS:
        raise Http404
    action = ACTIONS[action]
    if not may_attempt(action, dossier, request.user):
        messages.error(request, ROLE_REFUSED)
        return _render_dossier(request, dossier, status=403)
    form = action.form_for(dossier, request.POST)
    if not form.is_valid():
        messages.error(request, _("Check the marked fields."))
        return _render_dossier(request, dossier, bound=(action.name, form), status=400)
    try:
        action.run(dossier=dossier, actor=request.user, data=form.cleaned_data)
    except PermissionDenied:
        messages.error(request, ROLE_REFUSED)
        return _render_dossier(request, dossier, status=403)
    except ValidationError as exc:
        if errors.is_conflict(exc):
            messages.error(request, " ".join(exc.messages))
            return redirect("office:dossier", dossier.public_id)
        if hasattr(exc, "error_dict"):
            messages.error(request, _("Check the marked fields."))
        errors.add_to_form(form, exc)
        return _render_dossier(request, dossier, bound=(action.name, form), status=400)
    messages.success(request, _("Done: %(action)s.") % {"action": action.label})
    return redirect("office:dossier", dossier.public_id)


def _awaiting(request, dossier):
    document = signing_selectors.document_awaiting_signature(owner=dossier, user=request.user)
    if document is None:
        raise Http404
    return document


@officer_required
@require_http_methods(["GET", "POST"])
def sign(request, public_id):
    """The leader's personal signature: the exact PDF that will be signed, and the token's PIN
    (used in this request only, never stored or queued)."""
    dossier = _dossier(request, public_id)
    document = signing_selectors.document_awaiting_signature(owner=dossier, user=request.user)
    if document is None:
        if request.method == "POST":
            messages.error(request, _("This document is no longer waiting for your signature."))
        return redirect("office:dossier", dossier.public_id)
    form = office_forms.PinForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            signing_services.document_sign_personal(
                document=document, actor=request.user, pin=form.cleaned_data["pin"]
            )
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as exc:
            if errors.is_conflict(exc):
                messages.error(request, " ".join(exc.messages))
                return redirect("office:dossier", dossier.public_id)
            errors.add_to_form(form, exc)
        else:
            messages.success(
                request, _("Signed. The agency's signature is being added to the document.")
            )
            return redirect("office:dossier", dossier.public_id)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "office/sign.html",
        {"dossier": dossier, "document": document, "form": form},
        status=status,
    )


@officer_required
@require_GET
@xframe_options_sameorigin
def sign_pdf(request, public_id):
    """The prepared PDF, exactly the bytes the leader's signature will cover."""
    document = _awaiting(request, _dossier(request, public_id))
    return FileResponse(
        document.prepared_pdf.open("rb"),
        filename=f"{document.verification_code}.pdf",
        content_type="application/pdf",
    )


@officer_required
@require_GET
@xframe_options_sameorigin
def draft_pdf(request, public_id, number: int):
    """A draft of the result (dự thảo), to the staff who see the dossier."""
    dossier = _dossier(request, public_id)
    document = selectors.result_draft_document(dossier, number)
    if document is None:
        raise Http404
    return FileResponse(
        document.pdf.open("rb"),
        filename=f"du-thao-{number}-{dossier.code}.pdf",
        content_type="application/pdf",
    )


@officer_required
@require_GET
@xframe_options_sameorigin
def file_view(request, public_id, file_id: int):
    """A file of the dossier, viewable inside the dossier page."""
    dossier = _dossier(request, public_id)
    record = dossier.files.filter(pk=file_id).first()
    if record is None:
        raise Http404
    return downloads.file_response(record, attachment="download" in request.GET)


@officer_required
@require_POST
def control_sheet(request, public_id):
    """Mẫu 05 as a signed PDF, a fresh snapshot each time (rendered by the worker)."""
    dossier = _dossier(request, public_id)
    revision = dossier.events.count()
    slips.issue(
        dossier,
        DocumentKind.CONTROL_SHEET,
        actor=request.user,
        revision=revision,
        agency=request.user.agency,  # the centre's or the agency's, whoever prints it
    )
    messages.success(
        request, _("The control sheet is being prepared; it appears under the documents.")
    )
    return redirect("office:dossier", dossier.public_id)


@officer_required
@require_POST
def certify(request, public_id, component_id):
    """Certify a scanned component as an electronic copy of the original (office.intake)."""
    dossier = _dossier(request, public_id)
    try:
        document = intake_.component_certify(
            dossier=dossier, actor=request.user, component_id=component_id
        )
    except PermissionDenied:
        messages.error(request, str(ROLE_REFUSED))
        return redirect("office:dossier", dossier.public_id)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("office:dossier", dossier.public_id)
    messages.success(
        request,
        _("Certified; the signed certificate (code %(code)s) is being prepared.")
        % {"code": document.verification_code},
    )
    return redirect("office:dossier", dossier.public_id)


@officer_required
@require_http_methods(["GET", "POST"])
def register(request):
    """Mẫu 06 of the officer's agency for a period: the page, or the XLSX at once (GET
    `format=xlsx`); POST asks the worker for the signed PDF (a new document each time)."""
    form = office_forms.RegisterForm(
        request.POST if request.method == "POST" else request.GET or None
    )
    if not form.is_valid():
        bound = request.method == "POST" or bool(request.GET)
        return render(request, "office/register.html", {"form": form}, status=400 if bound else 200)
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    agency_id = request.user.agency_id
    rows = selectors.register_rows(agency=request.user.agency, start=start, end=end)
    if request.method == "POST":
        document = register_.pdf_request(
            agency=request.user.agency, actor=request.user, start=start, end=end
        )
        messages.success(request, _("The register is being prepared as a signed PDF."))
        return redirect(reverse("office:register") + f"?start={start}&end={end}&doc={document.pk}")
    if request.GET.get("format") == "xlsx":
        return register_.xlsx_response(rows, start, end)
    page = Paginator(rows, 100).get_page(request.GET.get("page"))
    # Cells formatted here once, as for the XLSX and the PDF: a page of 100 rows renders in a
    # few milliseconds instead of running a dozen template filters per row.
    prefix = reverse("office:queue") + "dossiers/"
    body = format_html_join(
        "\n",
        '<tr><td><a href="{}">{}</a></td>'
        + "<td>{}</td>" * (len(register_.HEADINGS) - 1)
        + "</tr>",
        ((f"{prefix}{d['public_id']}/", *register_.line(d)) for d in page.object_list),
    )
    return render(
        request,
        "office/register.html",
        {
            "form": form,
            "page": page,
            "body": body,
            "headings": [
                _("Dossier code"),
                _("Procedure"),
                pgettext("dossier", "Applicant"),
                _("Accepted on"),
                _("Result due"),
                _("Resolved"),
                _("Result returned"),
                _("Status"),
            ],
            "start": start,
            "end": end,
            "document": register_.document_for(
                agency_id=agency_id, document_id=request.GET.get("doc")
            ),
        },
    )


@officer_required
@require_GET
def outgoing_register(request):
    """Sổ đăng ký văn bản đi: the numbers the officer's agency gave its documents, newest first,
    searched and filtered; as XLSX (GET `format=xlsx`), every line that matches."""
    form = office_forms.OutgoingRegisterForm(request.GET or None)
    if request.GET and not form.is_valid():
        return render(request, "office/outgoing.html", {"form": form}, status=400)
    filters = form.cleaned_data if form.is_bound else {}
    entries = selectors.outgoing_register_for(
        user=request.user,
        year=filters.get("year"),
        series=filters.get("series") or "",
        start=filters.get("start"),
        end=filters.get("end"),
        query=filters.get("q") or "",
    )
    if request.GET.get("format") == "xlsx":
        filename = f"so-van-ban-di-{request.user.agency.code}.xlsx"
        return outgoing.xlsx_response(entries, filename=filename)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "office/outgoing.html",
        {
            "form": form,
            "page": Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page")),
            "query": query.urlencode(),
        },
    )


# --- desk intake ----------------------------------------------------------------------------------


def _intake_versions(user):
    return (
        ProcedureVersion.objects.filter(
            selectors.procedures_of(user, "procedure__"),
            status=ProcedureVersion.Status.PUBLISHED,
        )
        .select_related("procedure", "procedure__agency")
        .order_by("procedure__agency__name", "procedure__code")
    )


@officer_required
@require_http_methods(["GET", "POST"])
def intake(request):
    """Tiếp nhận hồ sơ giấy: a dossier brought in person or received by post (office.intake).
    Desk officers only (403 for the other roles)."""
    if not request.user.has_role(StaffRole.Role.DESK):
        raise PermissionDenied
    versions = _intake_versions(request.user)
    chosen = request.POST.get("procedure") or request.GET.get("procedure")
    chosen = chosen or ""
    version = versions.filter(pk=chosen).first() if chosen.isascii() and chosen.isdigit() else None
    if version is None:
        return render(request, "office/intake_choose.html", {"versions": versions})
    # The documents asked for at the desk or by post (not those for online filers only).
    documents = [d for d in version.documents.all() if d.channels != ["online"]]
    form = office_forms.IntakeForm(request.POST or None, documents=documents)
    if request.method == "POST" and form.is_valid():
        try:
            dossier, created = intake_.dossier_intake(
                actor=request.user,
                version=version,
                channel=form.cleaned_data["channel"],
                applicant=form.applicant(),
                components=form.components(request.FILES),
                intake_key=form.cleaned_data["intake_key"],
                result_delivery=form.cleaned_data["result_delivery"],
                delivery_address=form.cleaned_data["delivery_address"],
            )
        except ValidationError as exc:
            # A refused scan is shown at its component (below), once; the summary points there.
            by_name = getattr(exc, "error_dict", None)
            scans = {k: v for k, v in (by_name or {}).items() if k.startswith("files_")}
            if scans:
                form.add_error(None, _("A scan was refused: see the marked components."))
                exc = ValidationError({k: v for k, v in by_name.items() if k not in scans})
            if not scans or exc.error_dict:
                errors.add_to_form(form, exc)
            form.component_errors = {k: ValidationError(v).messages for k, v in scans.items()}
        else:
            if created:
                messages.success(
                    request,
                    _("Dossier %(code)s taken in and accepted; its receipt (Mẫu 01) is being "
                      "issued.") % {"code": dossier.code},
                )  # fmt: skip
            return redirect("office:dossier", public_id=dossier.public_id)
    return render(
        request,
        "office/intake.html",
        {"version": version, "form": form, "rows": form.component_rows(documents)},
    )

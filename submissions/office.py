"""The back-office pages (/office/): queues, the dossier page with the actions the officer's
role allows, the control sheet (Mẫu 05) and the register (Mẫu 06). Only officers of the
dossier's agency see a dossier; everyone else gets 404."""

import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_POST

from portal.models import StaffRole
from procedures.models import Procedure
from submissions import downloads, office_forms, selectors, slips, workflow
from submissions.models import Dossier, State
from submissions.services import CLOCK_STATES

PAGE_SIZE = 25


def _officer(view):
    """Login required; anyone who is not an officer gets 404, as for a dossier not theirs."""

    @login_required
    def wrapped(request, *args, **kwargs):
        if not selectors.is_officer(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _dossier(request, public_id) -> Dossier:
    dossier = selectors.office_dossier_get_for(user=request.user, public_id=public_id)
    if dossier is None:
        raise Http404
    return dossier


@_officer
@require_GET
def queue(request):
    tab = request.GET.get("tab") or selectors.office_default_tab(request.user)
    if tab not in selectors.OFFICE_TABS:
        tab = "all"
    procedures = Procedure.objects.filter(agency_id=request.user.agency_id).order_by("code")
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
        },
    )


def _tabs(user) -> list[tuple[str, str]]:
    role = StaffRole.Role
    tabs = []
    if user.has_role(role.DESK):
        tabs += [("desk", _("To accept")), ("results", _("Results to hand back"))]
    if user.has_role(role.DESK, role.LEADER):
        tabs.append(("assign", _("To assign")))
    if user.has_role(role.SPECIALIST):
        tabs.append(("mine", _("Assigned to me")))
    if user.has_role(role.LEADER):
        tabs.append(("approval", _("To approve")))
    tabs.append(("all", _("All dossiers")))
    return tabs


# action name → (form class, workflow call taking the form's cleaned data)
ACTIONS = {
    "accept": (office_forms.ActionForm, lambda d, u, c: workflow.dossier_accept(
        dossier=d, actor=u, expected_state=c["expected_state"])),
    "request_supplement": (office_forms.SupplementForm, lambda d, u, c: (
        workflow.dossier_request_supplement(dossier=d, actor=u, reason=c["reason"],
                                            items=c["items"],
                                            expected_state=c["expected_state"]))),
    "refuse": (office_forms.RefuseForm, lambda d, u, c: workflow.dossier_refuse(
        dossier=d, actor=u, reasons=c["reasons"], expected_state=c["expected_state"])),
    "assign": (office_forms.AssignForm, lambda d, u, c: workflow.dossier_assign(
        dossier=d, actor=u, specialist=c["specialist"], expected_state=c["expected_state"])),
    "propose": (office_forms.ProposeForm, lambda d, u, c: workflow.dossier_propose(
        dossier=d, actor=u, decision=c["decision"], reasons=c["reasons"],
        result_content=c["result_content"], expected_state=c["expected_state"])),
    "send_back": (office_forms.NoteForm, lambda d, u, c: workflow.dossier_send_back(
        dossier=d, actor=u, note=c["note"], expected_state=c["expected_state"])),
    "approve": (office_forms.ActionForm, lambda d, u, c: workflow.dossier_approve(
        dossier=d, actor=u, expected_state=c["expected_state"])),
    "request_payment": (office_forms.ActionForm, lambda d, u, c: (
        workflow.dossier_request_payment(dossier=d, actor=u,
                                         expected_state=c["expected_state"]))),
    "hand_back": (office_forms.HandBackForm, lambda d, u, c: workflow.dossier_hand_back(
        dossier=d, actor=u, received_by=c["received_by"], expected_state=c["expected_state"])),
    "stop": (office_forms.StopForm, lambda d, u, c: workflow.dossier_stop(
        dossier=d, actor=u, reason=c["reason"], expected_state=c["expected_state"])),
    "reschedule": (office_forms.RescheduleForm, lambda d, u, c: workflow.dossier_reschedule(
        dossier=d, actor=u, reason=c["reason"], new_due=c["new_due"],
        expected_state=c["expected_state"])),
}  # fmt: skip
# FSM transitions that are offered under another action's name.
_TRANSITION_ACTIONS = {"request_intake_supplement": "request_supplement"}


def _fee_on_delivery(dossier: Dossier) -> bool:
    from payments import services as payments

    return (
        dossier.version.fee_timing == "on_delivery"
        and payments.fee_due(dossier) > 0
        and payments.online_payment_enabled()
        and payments.paid(dossier) is None
    )


def available_actions(dossier: Dossier, user) -> list[str]:
    """The actions this officer may take on the dossier now (the FSM's view of it)."""
    names = []
    for transition in dossier.get_available_user_state_transitions(user):
        name = _TRANSITION_ACTIONS.get(transition.name, transition.name)
        if name == "request_payment" and not _fee_on_delivery(dossier):
            continue
        if name in ACTIONS and name not in names:
            names.append(name)
    if (
        user.has_role(StaffRole.Role.LEADER)
        and dossier.state in CLOCK_STATES
        and not dossier.rescheduled
        and dossier.due_at is not None
        and timezone.now() < dossier.due_at
    ):
        names.append("reschedule")
    return names


def _form(name: str, dossier: Dossier, data=None):
    form_class, _call = ACTIONS[name]
    kwargs = {"initial": {"expected_state": dossier.state}}
    if form_class is office_forms.AssignForm:
        kwargs["specialists"] = selectors.office_specialists(agency_id=dossier.agency_id)
    return form_class(data, prefix=name, **kwargs)


def _render_dossier(request, dossier, *, bound=None, status=200):
    forms = {name: _form(name, dossier) for name in available_actions(dossier, request.user)}
    if bound is not None:
        forms[bound[0]] = bound[1]
    current, removed = selectors.dossier_files(dossier)
    context = {
        "dossier": dossier,
        "answers": selectors.dossier_answer_rows(dossier),
        "current_files": current,
        "removed_files": removed,
        "timeline": list(dossier.events.select_related("actor").order_by("created_at", "pk")),
        "documents": selectors.dossier_documents(dossier, staff=True),
        "supplements": list(dossier.supplements.all()),
        "action_forms": forms,
        "open_action": bound[0] if bound else "",
        "now": timezone.now(),
    }
    return render(request, "office/dossier.html", context, status=status)


@_officer
@require_GET
def dossier_page(request, public_id):
    return _render_dossier(request, _dossier(request, public_id))


@_officer
@require_POST
def act(request, public_id, action: str):
    dossier = _dossier(request, public_id)
    if action not in ACTIONS:
        raise Http404
    form = _form(action, dossier, request.POST)
    if not form.is_valid():
        messages.error(request, _("Check the marked fields."))
        return _render_dossier(request, dossier, bound=(action, form), status=400)
    _form_class, call = ACTIONS[action]
    try:
        call(dossier, request.user, form.cleaned_data)
    except PermissionDenied:
        messages.error(request, _("Your role does not allow this action on this dossier."))
        return _render_dossier(request, dossier, status=403)
    except ValidationError as exc:
        if getattr(exc, "code", None) == "stale":
            messages.error(request, " ".join(exc.messages))
            return redirect("office:dossier", dossier.public_id)
        for message in exc.messages:
            form.add_error(None, message)
        return _render_dossier(request, dossier, bound=(action, form), status=400)
    messages.success(request, _("Done: %(action)s.") % {"action": ACTION_LABELS[action]})
    return redirect("office:dossier", dossier.public_id)


ACTION_LABELS = {
    "accept": gettext_lazy("Accept"),
    "request_supplement": gettext_lazy("Request supplement"),
    "refuse": gettext_lazy("Refuse"),
    "assign": gettext_lazy("Forward to a specialist"),
    "propose": gettext_lazy("Send for approval"),
    "send_back": gettext_lazy("Send back to the specialist"),
    "approve": gettext_lazy("Approve and sign"),
    "request_payment": gettext_lazy("Ask for the fee"),
    "hand_back": gettext_lazy("Return the result"),
    "stop": gettext_lazy("Stop processing"),
    "reschedule": gettext_lazy("Apologise and give a new date"),
}


@_officer
@require_GET
@xframe_options_sameorigin
def file_view(request, public_id, file_id: int):
    """A file of the dossier, viewable inside the dossier page."""
    dossier = _dossier(request, public_id)
    record = dossier.files.filter(pk=file_id).first()
    if record is None:
        raise Http404
    return downloads.file_response(record, attachment="download" in request.GET)


@_officer
@require_POST
def control_sheet(request, public_id):
    """Mẫu 05 as a signed PDF, a fresh snapshot each time (rendered by the worker)."""
    dossier = _dossier(request, public_id)
    revision = dossier.events.count()
    slips.issue(dossier, "control_sheet", actor=request.user, revision=revision)
    messages.success(
        request, _("The control sheet is being prepared; it appears under the documents.")
    )
    return redirect("office:dossier", dossier.public_id)


@_officer
@require_GET
def register(request):
    """Mẫu 06 of the officer's agency for a period: XLSX at once, PDF through the worker."""
    form = office_forms.RegisterForm(request.GET or None)
    if not form.is_valid():
        return render(
            request, "office/register.html", {"form": form}, status=400 if request.GET else 200
        )
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    rows = selectors.register_rows(agency_id=request.user.agency_id, start=start, end=end)
    if request.GET.get("format") == "xlsx":
        return _register_xlsx(rows, start, end)
    if request.GET.get("format") == "pdf":
        document = _register_pdf(request, rows, start, end)
        messages.success(request, _("The register is being prepared as a signed PDF."))
        return redirect(reverse("office:register") + f"?start={start}&end={end}&doc={document.pk}")
    page = Paginator(rows, 100).get_page(request.GET.get("page"))
    # Cells formatted here once, as for the XLSX and the PDF: a page of 100 rows renders in a
    # few milliseconds instead of running a dozen template filters per row.
    prefix = reverse("office:queue") + "dossiers/"
    body = format_html_join(
        "\n",
        '<tr><td><a href="{}">{}</a></td>' + "<td>{}</td>" * (len(REGISTER_HEADINGS) - 1) + "</tr>",
        ((f"{prefix}{d['public_id']}/", *_register_row(d)) for d in page.object_list),
    )
    from signing.models import Document

    document = Document.objects.filter(
        pk=request.GET.get("doc") or 0, agency_id=request.user.agency_id, kind="register"
    ).first()
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
            "document": document,
        },
    )


REGISTER_HEADINGS = [
    "Mã hồ sơ",
    "Thủ tục hành chính",
    "Người nộp, liên hệ",
    "Ngày tiếp nhận",
    "Hẹn trả",
    "Ngày có kết quả",
    "Ngày trả",
    "Trạng thái",
]


def _register_row(row: dict) -> list[str]:
    """One line of the register from a row of selectors.register_rows."""
    zone = timezone.get_current_timezone()

    def day(value):
        return value.astimezone(zone).strftime("%d/%m/%Y %H:%M") if value else ""

    return [
        row["code"] or "",
        row["procedure_name"],
        f"{row['applicant_name']}, {row['applicant_phone']}",
        day(row["received_at"] or row["submitted_at"]),
        day(row["due_at"]),
        day(row["resolved_at"]),
        day(row["returned_at"]),
        str(State(row["state"]).label),
    ]


def _register_xlsx(rows, start, end):
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("So theo doi")
    sheet.append([f"SỔ THEO DÕI HỒ SƠ (Mẫu số 06) từ {start:%d/%m/%Y} đến {end:%d/%m/%Y}"])
    sheet.append(REGISTER_HEADINGS)
    for dossier in rows.iterator(chunk_size=2000):
        sheet.append(_register_row(dossier))
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return FileResponse(
        buffer,
        as_attachment=True,
        filename=f"so-theo-doi-ho-so-{start}-{end}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def _register_pdf(request, rows, start, end):
    from signing import services as signing
    from signing.models import Document

    agency = request.user.agency
    revision = Document.objects.filter(agency=agency, kind="register").count() + 1
    return signing.document_request(
        kind="register",
        title=f"SỔ THEO DÕI HỒ SƠ từ {start:%d/%m/%Y} đến {end:%d/%m/%Y}",
        template="documents/form.html",
        context={
            "form_number": "Mẫu số 06",
            "headings": REGISTER_HEADINGS,
            "rows": [_register_row(d) for d in rows[:5000]],
        },
        agency=agency,
        revision=revision,
        paper="A4",
        actor=request.user,
    )

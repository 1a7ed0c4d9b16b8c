"""The agency administrators' side of the catalogue: edit drafts, preview, publish, import and
export. Each administrator sees and changes only the agency's own procedures."""

import itertools
import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portal.models import Agency
from procedures import exchange, services
from procedures.models import (
    SERVICE_TO_LEVEL,
    Channel,
    Field,
    FilingWindow,
    Procedure,
    ProcedureVersion,
    RequiredDocument,
    ResultTemplate,
)


def _agency_scope(request, queryset, path_to_agency: str):
    if request.user.is_superuser:
        return queryset
    if request.user.agency_id is None:
        return queryset.none()
    return queryset.filter(**{path_to_agency: request.user.agency_id})


@admin.register(Field)
class FieldAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "order"]
    search_fields = ["name", "code"]
    prepopulated_fields = {"code": ["name"]}


class ProcedureVersionInline(admin.TabularInline):
    model = ProcedureVersion
    fields = ["number", "name", "status", "service_level", "effective_date", "edit_link"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    @admin.display(description=_("open"))
    def edit_link(self, obj):
        url = reverse("admin:procedures_procedureversion_change", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, gettext("Open"))

    def has_add_permission(self, request, obj=None):
        return False


class ProcedureForm(forms.ModelForm):
    class Meta:
        model = Procedure
        fields = ["code", "agency"]


class FilingWindowFormSet(forms.BaseInlineFormSet):
    """The procedure's windows checked together as edited (the model's own check compares one
    window with the stored others, which may be moving in the same save)."""

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        form.instance.checked_as_a_set = True
        return form

    def clean(self):
        super().clean()
        periods = sorted(
            (
                form.cleaned_data["opens_at"],
                form.cleaned_data["closes_at"],
                form.cleaned_data["name"],
            )
            for form in self.forms
            if form.cleaned_data
            and not form.cleaned_data.get("DELETE")
            and form.cleaned_data.get("opens_at")
            and form.cleaned_data.get("closes_at")
        )
        for (_opens, closes, name), (opens, _closes, other) in itertools.pairwise(periods):
            if opens < closes:
                raise forms.ValidationError(
                    _("The windows “%(first)s” and “%(second)s” overlap.")
                    % {"first": name, "second": other},
                    code="window_overlap",
                )


class FilingWindowInline(admin.TabularInline):
    """The periods in which the procedure takes dossiers (none: always)."""

    model = FilingWindow
    formset = FilingWindowFormSet
    extra = 0
    fields = ["name", "opens_at", "closes_at"]


@admin.register(Procedure)
class ProcedureAdmin(admin.ModelAdmin):
    form = ProcedureForm
    list_display = ["code", "current_name", "agency"]
    list_filter = ["agency"]
    search_fields = ["code", "versions__name"]
    inlines = [FilingWindowInline, ProcedureVersionInline]
    list_select_related = ["agency"]

    def get_urls(self):
        urls = [
            path("import/", self.admin_site.admin_view(self.import_view), name="procedures_import"),
            path("export/", self.admin_site.admin_view(self.export_view), name="procedures_export"),
        ]
        return urls + super().get_urls()

    @admin.display(description=_("name"))
    def current_name(self, obj):
        version = obj.versions.order_by("-number").first()
        return version.name if version else "—"

    def get_queryset(self, request):
        return _agency_scope(request, super().get_queryset(request), "agency_id")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "agency" and not request.user.is_superuser:
            kwargs["queryset"] = Agency.objects.filter(pk=request.user.agency_id)
            kwargs["initial"] = request.user.agency_id
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if not request.user.is_superuser:
            obj.agency_id = request.user.agency_id
        super().save_model(request, obj, form, change)

    def _import_agency(self, request) -> Agency:
        if request.user.is_superuser and request.POST.get("agency"):
            return get_object_or_404(Agency, pk=request.POST["agency"])
        if request.user.is_superuser and request.GET.get("agency"):
            return get_object_or_404(Agency, pk=request.GET["agency"])
        if request.user.agency_id is None:
            raise PermissionDenied
        return request.user.agency

    def import_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ImportForm(request.POST or None, request.FILES or None, user=request.user)
        report = None
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            report = exchange.import_procedures(
                data=upload.read(),
                filename=upload.name,
                agency=self._import_agency(request),
                actor=request.user,
                dry_run=form.cleaned_data["dry_run"],
            )
            if report.applied:
                messages.success(
                    request,
                    gettext("Imported: %(c)s created, %(u)s updated, %(n)s unchanged.")
                    % {
                        "c": report.count("create"),
                        "u": report.count("update"),
                        "n": report.count("unchanged"),
                    },
                )
                return redirect("admin:procedures_procedure_changelist")
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Import a procedure list"),
            "form": form,
            "report": report,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/procedures/import.html", context)

    def export_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        agency = self._import_agency(request)
        kind = request.GET.get("format", "json")
        if kind == "xlsx":
            body, content_type = (
                exchange.export_xlsx(agency),
                ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            )
        elif kind == "csv":
            body, content_type = exchange.export_csv(agency), "text/csv; charset=utf-8"
        else:
            kind, body, content_type = "json", exchange.export_json(agency), "application/json"
        response = HttpResponse(body, content_type=content_type)
        filename = f"thu-tuc-{agency.code}.{kind}"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("File"), help_text=_("XLSX or CSV in the annex shape, or the portal's JSON")
    )
    agency = forms.ModelChoiceField(
        queryset=Agency.objects.none(), required=False, label=_("Agency")
    )
    dry_run = forms.BooleanField(
        label=_("Dry run: only show what would change"), required=False, initial=True
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if user.is_superuser:
            self.fields["agency"].queryset = Agency.objects.all()
            self.fields["agency"].required = True
        else:
            del self.fields["agency"]


class ChannelInline(admin.TabularInline):
    model = Channel
    extra = 0
    fields = ["kind", "time_amount", "time_unit", "fee_vnd", "fee_note", "note", "order"]


class ResultTemplateInline(admin.StackedInline):
    """The version's result templates (procedures/result_templates.py); previewed as PDF from
    their own admin page."""

    model = ResultTemplate
    extra = 0
    fields = [
        "kind", "title", "summary", "competent", "bases", "body", "recipients", "editable",
        "annex_title", "annex_body",
    ]  # fmt: skip
    show_change_link = True


class RequiredDocumentInline(admin.TabularInline):
    model = RequiredDocument
    extra = 0
    fields = [
        "case",
        "name",
        "originals",
        "copies",
        "required",
        "needs_template",
        "template",
        "order",
    ]


class FormSchemaWidget(forms.Textarea):
    def format_value(self, value):
        if isinstance(value, list | dict):
            return json.dumps(value, ensure_ascii=False, indent=2)
        return super().format_value(value)


class ProcedureVersionForm(forms.ModelForm):
    """The version as an administrator edits it: how it is offered online is chosen as Decree
    42/2022 says it (full, partial, information), stored as the legacy level."""

    online_service = forms.ChoiceField(
        label=_("Online public service (Decree 42/2022)"),
        choices=ProcedureVersion.OnlineService.choices,
        initial=ProcedureVersion.OnlineService.INFORMATION,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["online_service"] = self.instance.online_service
            if "online_service" in self.fields and not self.instance.is_editable:
                self.fields["online_service"].disabled = True  # published or archived

    def save(self, commit=True):
        chosen = self.cleaned_data.get("online_service")
        # The legacy level follows the category (an older information-only level 1 stays 1; a
        # new version is stored at the category's own level).
        if chosen and (self.instance.pk is None or self.instance.online_service != chosen):
            self.instance.service_level = SERVICE_TO_LEVEL[chosen]
        return super().save(commit)

    class Meta:
        model = ProcedureVersion
        fields = [
            "procedure",
            "number",
            "effective_date",
            "name",
            "field",
            *exchange.TEXT_FIELDS[1:],  # the record's text fields, as the exchange formats carry
            "time_from_window_close",
            "form_schema",
        ]
        widgets = {"form_schema": FormSchemaWidget(attrs={"rows": 16, "cols": 100})}


@admin.register(ProcedureVersion)
class ProcedureVersionAdmin(admin.ModelAdmin):
    form = ProcedureVersionForm
    list_display = ["__str__", "agency", "status", "online", "effective_date", "preview"]
    list_filter = ["status", "procedure__agency", "field"]
    search_fields = ["procedure__code", "name"]
    list_select_related = ["procedure__agency", "field"]
    inlines = [ChannelInline, RequiredDocumentInline, ResultTemplateInline]
    actions = ["publish_selected", "new_draft_selected"]
    readonly_fields = ["status", "published_at", "archived_at", "preview"]

    @admin.display(description=_("Online public service (Decree 42/2022)"))
    def online(self, obj):
        return obj.online_level_label

    @admin.display(description=_("agency"))
    def agency(self, obj):
        return obj.procedure.agency.code

    @admin.display(description=_("preview"))
    def preview(self, obj):
        if not obj.pk:
            return "—"
        url = reverse("procedures:preview", args=[obj.pk])
        return format_html('<a href="{}" target="_blank">{}</a>', url, gettext("Preview"))

    def get_queryset(self, request):
        return _agency_scope(request, super().get_queryset(request), "procedure__agency_id")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "procedure" and not request.user.is_superuser:
            kwargs["queryset"] = Procedure.objects.filter(agency_id=request.user.agency_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None):
        if obj is not None and not obj.is_editable:
            return False  # published and archived versions never change in place
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and not obj.is_editable:
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Publish the selected drafts"))
    def publish_selected(self, request, queryset):
        for version in queryset:
            try:
                services.procedure_version_publish(version=version, actor=request.user)
            except ValidationError as exc:
                self.message_user(
                    request,
                    gettext("%(version)s was not published: %(errors)s")
                    % {"version": version, "errors": " ".join(exc.messages)},
                    messages.ERROR,
                )
            except PermissionDenied:
                self.message_user(request, gettext("Not allowed."), messages.ERROR)
            else:
                self.message_user(
                    request, gettext("%(version)s is published.") % {"version": version}
                )

    @admin.action(description=_("Start a new draft from the selected versions"))
    def new_draft_selected(self, request, queryset):
        for version in queryset:
            draft = services.procedure_version_new_draft(version=version, actor=request.user)
            self.message_user(request, gettext("Draft: %(version)s") % {"version": draft})


PREVIEW_KIND = "template_preview"


def _previews(template):
    from django.contrib.contenttypes.models import ContentType

    from signing.models import Document

    return Document.objects.filter(
        owner_type=ContentType.objects.get_for_model(ResultTemplate),
        owner_id=template.pk,
        kind=PREVIEW_KIND,
    ).order_by("-revision")


@admin.register(ResultTemplate)
class ResultTemplateAdmin(admin.ModelAdmin):
    """A result template on its own page, with a PDF preview filled with sample data (the
    fixed fields' samples, the questions' and blanks' labels in brackets), rendered by the
    worker like every document, marked DỰ THẢO, never signed."""

    list_display = ["__str__", "version", "kind", "updated_at"]
    list_filter = ["kind", "version__procedure__agency"]
    search_fields = ["title", "version__name", "version__procedure__code"]
    fields = [
        "version",
        "kind",
        "title",
        "summary",
        "competent",
        "bases",
        "body",
        "recipients",
        "editable",
        "annex_title",
        "annex_body",
        "preview",
    ]
    readonly_fields = ["preview"]
    change_form_template = "admin/procedures/resulttemplate/change_form.html"

    def get_queryset(self, request):
        return _agency_scope(
            request,
            super().get_queryset(request).select_related("version__procedure__agency"),
            "version__procedure__agency_id",
        )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "version":
            kwargs["queryset"] = _agency_scope(
                request,
                ProcedureVersion.objects.filter(status=ProcedureVersion.Status.DRAFT),
                "procedure__agency_id",
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None):
        if obj is not None and not obj.version.is_editable:
            return False  # a published version's result reads as it was published
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and not obj.version.is_editable:
            return False
        return super().has_delete_permission(request, obj)

    @admin.display(description=_("preview"))
    def preview(self, obj):
        if not obj or not obj.pk:
            return "—"
        latest = _previews(obj).first()
        if latest is None:
            return gettext("No preview yet: use “Preview as PDF”.")
        if latest.status == "rendered":
            url = reverse("admin:procedures_resulttemplate_preview_pdf", args=[obj.pk])
            return format_html(
                '<a href="{}" target="_blank">{}</a>', url, gettext("Open the preview (PDF)")
            )
        if latest.status == "failed":
            return gettext("The preview failed: %(error)s") % {"error": latest.error}
        return gettext("The preview is being prepared: reload this page in a moment.")

    def get_urls(self):
        return [
            path(
                "<int:pk>/preview/",
                self.admin_site.admin_view(self.preview_view),
                name="procedures_resulttemplate_preview",
            ),
            path(
                "<int:pk>/preview.pdf",
                self.admin_site.admin_view(self.preview_pdf),
                name="procedures_resulttemplate_preview_pdf",
            ),
            *super().get_urls(),
        ]

    def _template(self, request, pk):
        return get_object_or_404(self.get_queryset(request), pk=pk)

    def preview_view(self, request, pk):
        """POST: ask the worker for a preview of the template as saved."""
        from django.db import transaction

        from signing import services as signing

        if request.method != "POST":
            return redirect("admin:procedures_resulttemplate_change", pk)
        template = self._template(request, pk)
        if not self.has_view_permission(request, template):
            raise PermissionDenied
        agency = template.version.procedure.agency
        content = result_templates_content(template)
        with transaction.atomic():
            revision = _previews(template).count() + 1
            signing.document_request(
                kind=PREVIEW_KIND,
                title=f"Xem trước: {content['heading']}"[:300],
                template=content.pop("template"),
                context=content,
                agency=agency,
                owner=template,
                revision=revision,
                actor=request.user,
                draft=True,
            )
        messages.success(request, gettext("The preview is being prepared."))
        return redirect("admin:procedures_resulttemplate_change", pk)

    def preview_pdf(self, request, pk):
        from django.http import FileResponse, Http404

        template = self._template(request, pk)
        if not self.has_view_permission(request, template):
            raise PermissionDenied
        latest = _previews(template).filter(status="rendered").first()
        if latest is None or not latest.pdf:
            raise Http404
        return FileResponse(
            latest.pdf.open("rb"), filename=f"xem-truoc-{pk}.pdf", content_type="application/pdf"
        )


def result_templates_content(template) -> dict:
    """A template filled with sample data, as the worker renders it."""
    from procedures import result_templates

    content = result_templates.content(template, result_templates.sample_values(template))
    content["heading"] = content.pop("title")
    content["form_number"] = "Bản xem trước"
    return content

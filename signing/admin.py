from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portal.models import Agency
from signing import certificates, lifecycle, services
from signing.forms import CertificateImportForm
from signing.models import Document, SigningCertificate


def _scope(request, queryset):
    if request.user.is_superuser:
        return queryset
    if request.user.agency_id is None:
        return queryset.none()
    return queryset.filter(agency_id=request.user.agency_id)


@admin.register(SigningCertificate)
class SigningCertificateAdmin(admin.ModelAdmin):
    """Certificates are added by importing a PKCS#12 file; the key is never displayed."""

    list_display = ["name", "agency", "serial", "not_before", "not_after", "expires", "is_active"]
    list_filter = ["agency", "is_active"]
    fields = ["name", "agency", "subject", "issuer", "serial", "sha256", "not_before", "not_after",
              "is_active", "created_at"]  # fmt: skip
    readonly_fields = ["agency", "subject", "issuer", "serial", "sha256", "not_before",
                       "not_after", "created_at"]  # fmt: skip

    def get_queryset(self, request):
        return _scope(request, super().get_queryset(request))

    def has_add_permission(self, request):
        return False  # see import_view

    def get_urls(self):
        view = self.admin_site.admin_view(self.import_view)
        return [path("import/", view, name="signing_certificate_import"), *super().get_urls()]

    @admin.display(description=_("Expires"))
    def expires(self, obj):
        days = (obj.not_after - timezone.now()).days
        if days < 0:
            return _("expired")
        if days <= settings.SIGNING_CERTIFICATE_WARN_DAYS:
            return _("in %(days)s days: import its successor") % {"days": days}
        return _("in %(days)s days") % {"days": days}

    def changelist_view(self, request, extra_context=None):
        # The agency's administrators see, each time they open the list, a certificate in force
        # that expires soon without a successor (they are also emailed once: signing.lifecycle).
        for certificate in lifecycle.expiring().filter(pk__in=self.get_queryset(request)):
            if not lifecycle.renewed(certificate):
                messages.warning(
                    request,
                    _(
                        "The signing certificate “%(name)s” of %(agency)s expires on %(date)s: "
                        "import its successor before then."
                    )
                    % {
                        "name": certificate.name,
                        "agency": certificate.agency.name,
                        "date": timezone.localtime(certificate.not_after).strftime("%d/%m/%Y"),
                    },
                )
        extra = {"import_url": reverse("admin:signing_certificate_import")}
        return super().changelist_view(request, {**(extra_context or {}), **extra})

    def import_view(self, request):
        if not self.has_change_permission(request):
            raise PermissionDenied
        form = CertificateImportForm(request.POST or None, request.FILES or None)
        agencies = Agency.objects.all() if request.user.is_superuser else None
        if request.method == "POST" and form.is_valid():
            agency = request.user.agency
            if request.user.is_superuser and request.POST.get("agency"):
                agency = Agency.objects.filter(pk=request.POST["agency"]).first()
            if agency is None:
                form.add_error(None, gettext("Choose the agency of the certificate."))
            else:
                try:
                    certificates.certificate_import(
                        agency=agency,
                        data=form.cleaned_data["file"].read(),
                        passphrase=form.cleaned_data["passphrase"],
                        name=form.cleaned_data["name"],
                    )
                except ValidationError as exc:
                    for message in exc.messages:
                        form.add_error(None, message)
                else:
                    messages.success(request, gettext("The certificate has been imported."))
                    return redirect("admin:signing_signingcertificate_changelist")
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Import a signing certificate"),
            "form": form,
            "agencies": agencies,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/signing/import_certificate.html", context)


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "agency", "status", "signed_at", "verify_link"]
    list_filter = ["status", "kind", "agency"]
    search_fields = ["verification_code", "title", "sha256"]
    actions = ["retry_selected"]
    list_select_related = ["agency"]
    exclude = ["context"]

    def get_queryset(self, request):
        return _scope(request, super().get_queryset(request))

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields if f.name != "context"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("verify"))
    def verify_link(self, obj):
        url = reverse("signing:verify", args=[obj.verification_code])
        return format_html('<a href="{}">{}</a>', url, obj.verification_code)

    @admin.action(description=_("Retry the selected failed documents"))
    def retry_selected(self, request, queryset):
        for document in queryset.filter(status=Document.Status.FAILED):
            services.document_retry(document=document)
        self.message_user(request, gettext("Failed documents were queued again."))

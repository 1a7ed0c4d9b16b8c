"""A read-only view of dossiers for administrators. Officers work dossiers in the back-office,
never by editing rows here: states change only through submissions.services."""

from django.contrib import admin

from submissions.models import Dossier, DossierEvent, DossierFile


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class EventInline(ReadOnlyInline):
    model = DossierEvent
    fields = ["created_at", "action", "from_state", "to_state", "actor", "note"]
    readonly_fields = fields


class FileInline(ReadOnlyInline):
    model = DossierFile
    fields = ["requirement", "name", "content_type", "size", "round", "uploaded_at", "removed_at"]
    readonly_fields = fields


@admin.register(Dossier)
class DossierAdmin(admin.ModelAdmin):
    list_display = ["__str__", "state", "agency", "applicant_name", "submitted_at", "updated_at"]
    list_filter = ["state", "agency"]
    search_fields = ["code", "applicant_name", "applicant_citizen_id", "applicant_phone"]
    list_select_related = ["agency"]
    date_hierarchy = "created_at"
    inlines = [FileInline, EventInline]
    readonly_fields = [f.name for f in Dossier._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return request.method in ("GET", "HEAD") and super().has_view_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(agency_id=request.user.agency_id)

"""Ratings and feedback for administrators, read only: they change through the services (the
back-office pages). An agency administrator sees their own agency's; superusers everyone's."""

from django.contrib import admin

from feedback.models import Feedback, Rating


class _OwnAgencyReadOnly(admin.ModelAdmin):
    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(agency_id=request.user.agency_id)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return request.method in ("GET", "HEAD") and super().has_view_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Rating)
class RatingAdmin(_OwnAgencyReadOnly):
    list_display = ["dossier", "level", "channel", "agency", "procedure", "created_at", "hidden_at"]
    list_filter = ["level", "channel", "agency"]
    search_fields = ["dossier__code", "comment"]
    list_select_related = ["dossier", "agency", "procedure"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in Rating._meta.fields]


@admin.register(Feedback)
class FeedbackAdmin(_OwnAgencyReadOnly):
    list_display = ["code", "about", "agency", "state", "received_at", "due_at", "answered_at"]
    list_filter = ["state", "about", "timeliness", "agency"]
    search_fields = ["code", "title", "sender_name", "sender_email", "sender_phone"]
    list_select_related = ["agency"]
    date_hierarchy = "received_at"
    readonly_fields = [f.name for f in Feedback._meta.fields]

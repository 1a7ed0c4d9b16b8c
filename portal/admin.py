from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.utils.translation import gettext_lazy as _

from portal.models import Agency, CalendarDay, StaffRole, User

admin.site.site_header = _("Education public services portal — administration")
admin.site.site_title = _("Portal administration")


def _own_agency_only(request) -> bool:
    """Agency administrators manage their own agency's staff; superusers manage everyone."""
    return not request.user.is_superuser


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "kind", "parent", "service_centre", "is_active"]
    list_filter = ["level", "kind", "is_active"]
    search_fields = ["code", "name", "short_name"]
    autocomplete_fields = ["parent", "service_centre"]


class StaffRoleFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        has_roles = any(
            form.cleaned_data and not form.cleaned_data.get("DELETE") for form in self.forms
        )
        if has_roles and self.instance.agency_id is None:
            raise forms.ValidationError(
                _("Only a user who belongs to an agency can hold a staff role."),
                code="role_without_agency",
            )


class StaffRoleInline(admin.TabularInline):
    model = StaffRole
    formset = StaffRoleFormSet
    extra = 1


class UserCreationAdminForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ["email", "full_name", "agency"]


class UserChangeAdminForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserChangeAdminForm
    add_form = UserCreationAdminForm
    inlines = [StaffRoleInline]
    ordering = ["email"]
    list_display = ["email", "full_name", "agency", "is_staff", "is_active"]
    list_filter = ["agency", "roles__role", "is_staff", "is_active"]
    search_fields = ["email", "full_name", "citizen_id", "phone"]
    list_select_related = ["agency"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (
            _("Personal details"),
            {"fields": ["full_name", "phone", "citizen_id", "date_of_birth", "gender", "address"]},
        ),
        (_("Work"), {"fields": ["agency", "language"]}),
        (
            _("Permissions"),
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": ["email", "full_name", "agency", "password1", "password2"],
            },
        )
    ]
    readonly_fields = ["last_login", "date_joined"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if _own_agency_only(request):
            if request.user.agency_id is None:  # staff of no agency manage nobody
                return queryset.none()
            queryset = queryset.filter(agency_id=request.user.agency_id, is_superuser=False)
        return queryset

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or not _own_agency_only(request):
            return fieldsets
        # An agency administrator cannot hand out site-wide rights.
        return [
            (name, {**opts, "fields": [f for f in opts["fields"] if f not in _PRIVILEGED]})
            for name, opts in fieldsets
        ]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "agency" and _own_agency_only(request):
            kwargs["queryset"] = Agency.objects.filter(pk=request.user.agency_id)
            kwargs["initial"] = request.user.agency_id
            kwargs["empty_label"] = None
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_form(self, request, form, change):
        # Before the role inlines are validated, which need the user's agency.
        obj = super().save_form(request, form, change)
        if _own_agency_only(request):
            obj.agency_id = request.user.agency_id
            obj.is_superuser = False
        return obj


_PRIVILEGED = {"is_superuser", "groups", "user_permissions"}


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ["date", "kind", "name"]
    list_filter = ["kind"]
    date_hierarchy = "date"
    search_fields = ["name"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "date":
            kwargs["widget"] = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
        return super().formfield_for_dbfield(db_field, request, **kwargs)

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from portal import second_factor
from portal.models import Agency, CalendarDay, StaffRole, StaffSecurityEvent, User


class SecondFactorAdminSite(admin.AdminSite):
    """The admin opens only to a session that has passed the second factor (portal.second_factor),
    as django-otp's OTPAdminSite does, but only while OTP_REQUIRED_FOR_STAFF is on. The
    middleware sends such a session to the code page first; this holds without it."""

    def has_permission(self, request):
        return super().has_permission(request) and not second_factor.is_pending(request.user)


# django-otp's documented way to guard the default site: every app's admin registers on it.
admin.site.__class__ = SecondFactorAdminSite
admin.site.site_header = _("Education public services portal — administration")
admin.site.site_title = _("Portal administration")


def _own_agency_only(request) -> bool:
    """Agency administrators manage their own agency's staff; superusers manage everyone."""
    return not request.user.is_superuser


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "abbreviation",
        "level",
        "kind",
        "parent",
        "service_centre",
        "is_active",
    ]
    list_filter = ["level", "kind", "is_active"]
    search_fields = ["code", "name", "short_name", "abbreviation"]
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
        (_("Work"), {"fields": ["agency", "position", "signing_authority", "language"]}),
        (
            _("Permissions"),
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        (
            _("Dates"),
            {"fields": ["last_login", "date_joined", "email_confirmed_at", "phone_confirmed_at"]},
        ),
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
    actions = ["reset_second_factor"]

    @admin.action(
        description=_("Reset the second factor (authenticator app and recovery codes)"),
        permissions=["change"],
    )
    def reset_second_factor(self, request, queryset):
        """For a lost phone: the staff member enrols a new app at the next sign-in. Each reset is
        checked again by the service (own agency only) and recorded."""
        done = refused = 0
        for staff in queryset:
            try:
                second_factor.device_reset(actor=request.user, staff=staff)
            except PermissionDenied:
                refused += 1
            else:
                done += 1
        if done:
            self.message_user(
                request,
                ngettext(
                    "The second factor of %(count)d account was reset: it sets up a new "
                    "authenticator app at its next sign-in.",
                    "The second factor of %(count)d accounts was reset: each sets up a new "
                    "authenticator app at its next sign-in.",
                    done,
                )
                % {"count": done},
                messages.SUCCESS,
            )
        if refused:
            self.message_user(
                request,
                ngettext(
                    "%(count)d account is not of your agency's staff: not reset.",
                    "%(count)d accounts are not of your agency's staff: not reset.",
                    refused,
                )
                % {"count": refused},
                messages.ERROR,
            )

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


class CalendarDayForm(forms.ModelForm):
    class Meta:
        model = CalendarDay
        fields = ["date", "kind", "name", "province", "source", "confirmed"]

    # The province a non-superuser's day belongs to (set by the admin; the field is read only).
    forced_province_id: int | None = None

    def clean(self):
        cleaned = super().clean()
        day = cleaned.get("date")
        if "province" in self.fields:
            province = cleaned.get("province")
            province_id = province.pk if province else None
        else:
            province_id = self.forced_province_id
        if province_id is not None and cleaned.get("kind") == CalendarDay.Kind.WORKING_DAY:
            raise forms.ValidationError(
                _(
                    "A province adds its own days off; the national days off and make-up "
                    "working days are the government's."
                ),
                code="local_working_day",
            )
        if day is not None:
            clash = CalendarDay.objects.filter(date=day, province_id=province_id).exclude(
                pk=self.instance.pk
            )
            if clash.exists():
                raise forms.ValidationError(
                    _("This day is already in this calendar: change it instead."), code="unique"
                )
        return cleaned


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    """The national calendar is the superusers' (it moves every agency's deadlines); the
    administrators of a province's People's Committee keep their province's local days, which
    move only its own agencies' deadlines; other administrators only read."""

    form = CalendarDayForm
    list_display = ["date", "kind", "name", "province", "confirmed"]
    list_filter = ["kind", "confirmed", ("province", admin.EmptyFieldListFilter)]
    date_hierarchy = "date"
    search_fields = ["name", "source"]

    @staticmethod
    def _province_of(request) -> int | None:
        """The province whose local days the user keeps (None: none)."""
        agency = request.user.agency
        if agency is not None and agency.level == Agency.Level.PROVINCE_COMMITTEE:
            return agency.pk
        return None

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("province")
        if request.user.is_superuser:
            return queryset
        from django.db.models import Q

        # The national days (read only) and the user's own province's.
        return queryset.filter(Q(province__isnull=True) | Q(province_id=self._province_of(request)))

    def has_add_permission(self, request):
        return request.user.is_superuser or (
            super().has_add_permission(request) and self._province_of(request) is not None
        )

    def has_change_permission(self, request, obj=None):
        if request.user.is_superuser:
            return True
        if not super().has_change_permission(request, obj) or self._province_of(request) is None:
            return False
        return obj is None or obj.province_id == self._province_of(request)

    def has_delete_permission(self, request, obj=None):
        return self.has_change_permission(request, obj)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.forced_province_id = None if request.user.is_superuser else self._province_of(request)
        return form

    def get_readonly_fields(self, request, obj=None):
        if request.user.is_superuser:
            return []
        return ["province", "confirmed"]  # a province's own day, counted at once

    def save_model(self, request, obj, form, change):
        if not request.user.is_superuser:
            obj.province_id = self._province_of(request)
            obj.confirmed = True
        super().save_model(request, obj, form, change)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "date":
            kwargs["widget"] = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
        return super().formfield_for_dbfield(db_field, request, **kwargs)


@admin.register(StaffSecurityEvent)
class StaffSecurityEventAdmin(admin.ModelAdmin):
    """The second factor's audit trail: read only, for superusers (everyone's) and agency
    administrators (their own agency's staff)."""

    list_display = ["at", "action", "subject_email", "actor"]
    list_filter = ["action"]
    search_fields = ["subject_email", "actor__email"]
    date_hierarchy = "at"
    list_select_related = ["actor"]
    fields = ["at", "action", "subject", "subject_email", "actor"]
    readonly_fields = fields

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if _own_agency_only(request):
            return queryset.filter(
                subject__agency_id=request.user.agency_id, subject__agency__isnull=False
            )
        return queryset

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

"""Model permissions that come with a staff role, so that no group has to be kept in step.

An agency administrator manages the staff of the agency (the admin narrows the rows to that
agency) and the work calendar. Later apps add their own entries to ROLE_PERMISSIONS.
"""

from functools import wraps

from django.contrib.auth.backends import BaseBackend
from django.contrib.auth.decorators import login_required
from django.http import Http404

from portal.models import StaffRole

ROLE_PERMISSIONS: dict[str, set[str]] = {
    StaffRole.Role.AGENCY_ADMIN: {
        "portal.view_user",
        "portal.add_user",
        "portal.change_user",
        "portal.view_staffrole",
        "portal.add_staffrole",
        "portal.change_staffrole",
        "portal.delete_staffrole",
        "portal.view_calendarday",
        "portal.add_calendarday",
        "portal.change_calendarday",
        "portal.delete_calendarday",
        "portal.view_agency",
        "portal.view_staffsecurityevent",
    },
}


class RolePermissionBackend(BaseBackend):
    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or user_obj.agency_id is None:
            return set()
        perms = set()
        for role in user_obj.role_names:
            perms |= ROLE_PERMISSIONS.get(role, set())
        return perms

    def has_perm(self, user_obj, perm, obj=None):
        return perm in self.get_all_permissions(user_obj, obj)

    def has_module_perms(self, user_obj, app_label):
        return any(p.startswith(f"{app_label}.") for p in self.get_all_permissions(user_obj))


def officer_required(view):
    """Login required; anyone who is not an active officer of an agency gets 404, as for a
    dossier not theirs (every back-office page: office/, feedback's office pages)."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        user = request.user
        if not (user.is_active and user.is_officer):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped

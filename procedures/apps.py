from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProceduresConfig(AppConfig):
    name = "procedures"
    verbose_name = _("Procedure catalogue")

    def ready(self):
        from portal.models import StaffRole
        from portal.permissions import ROLE_PERMISSIONS
        from procedures import signals

        signals.connect()

        ROLE_PERMISSIONS[StaffRole.Role.AGENCY_ADMIN] |= {
            f"procedures.{action}_{model}"
            for action in ("view", "add", "change", "delete")
            for model in (
                "procedure",
                "procedureversion",
                "channel",
                "requireddocument",
                "filingwindow",
                "resulttemplate",
            )
        } | {"procedures.view_field"}

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SigningConfig(AppConfig):
    name = "signing"
    verbose_name = _("Signed documents")

    def ready(self):
        from portal.models import StaffRole
        from signing import ltv

        ltv.share_tls_context()
        from portal.permissions import ROLE_PERMISSIONS

        ROLE_PERMISSIONS[StaffRole.Role.AGENCY_ADMIN] |= {
            "signing.view_signingcertificate",
            "signing.change_signingcertificate",
            "signing.view_document",
            "signing.change_document",
        }

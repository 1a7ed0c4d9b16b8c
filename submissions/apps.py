from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SubmissionsConfig(AppConfig):
    name = "submissions"
    verbose_name = _("Dossiers")

    def ready(self):
        from signing.signals import document_signed
        from submissions import receivers

        document_signed.connect(receivers.result_signed, dispatch_uid="submissions.result_signed")

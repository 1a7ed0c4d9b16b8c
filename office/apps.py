from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OfficeConfig(AppConfig):
    """The back-office: no models of its own; it works the dossiers of `submissions`."""

    name = "office"
    verbose_name = _("Back-office")

    def ready(self):
        from office import receivers, register
        from payments.signals import payment_paid
        from signing import sources
        from signing.signals import document_signed
        from submissions.models import DocumentKind

        sources.provide(DocumentKind.REGISTER, register.document_lines)

        document_signed.connect(receivers.result_signed, dispatch_uid="office.result_signed")
        payment_paid.connect(receivers.payment_paid, dispatch_uid="office.payment_paid")

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OfficeConfig(AppConfig):
    """The back-office: no models of its own; it works the dossiers of `submissions`."""

    name = "office"
    verbose_name = _("Back-office")

    def ready(self):
        from office import receivers
        from payments.signals import payment_paid
        from signing.signals import document_signed

        document_signed.connect(receivers.result_signed, dispatch_uid="office.result_signed")
        payment_paid.connect(receivers.payment_paid, dispatch_uid="office.payment_paid")

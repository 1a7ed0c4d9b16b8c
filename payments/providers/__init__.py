"""Payment gateways. Each provider is one module with a class implementing `base.Provider`;
`PAYMENT_PROVIDER` names the one in use."""

from django.conf import settings
from django.utils.module_loading import import_string

PROVIDERS = {"vnpay": "payments.providers.vnpay.VnpayProvider"}


def get_provider(name: str | None = None):
    return import_string(PROVIDERS[name or settings.PAYMENT_PROVIDER])()

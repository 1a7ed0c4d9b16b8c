from django.apps import AppConfig


class DevserverConfig(AppConfig):
    """Listed first in INSTALLED_APPS: its `runserver` wins over whitenoise's and Django's."""

    name = "portal.devserver"
    label = "devserver"

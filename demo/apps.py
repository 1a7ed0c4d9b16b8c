from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data for the quickstart and the tests (`manage.py seed_demo`); no models."""

    name = "demo"
    verbose_name = "Demo data"

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatsConfig(AppConfig):
    """Statistics: the Decision 766 indicators, the public statistics page and the agencies'
    dashboards, from per-day counts (stats.models.DailyCount) kept by a periodic task."""

    name = "stats"
    verbose_name = _("Statistics")
    default_auto_field = "django.db.models.BigAutoField"

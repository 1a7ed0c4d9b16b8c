"""Ship the reviewed national calendars of 2025 and 2026 (portal/calendar/*.json): their days
replace the `holidays` package's for those years. A later year's review adds its file and a
migration like this one (or an operator runs `manage.py load_calendar`)."""

from django.db import migrations


def load(apps, schema_editor):
    from portal import calendar_files

    calendar_files.load_shipped(
        day_model=apps.get_model("portal", "CalendarDay"),
        year_model=apps.get_model("portal", "CalendarYear"),
    )


class Migration(migrations.Migration):
    dependencies = [("portal", "0004_reviewed_calendar")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]

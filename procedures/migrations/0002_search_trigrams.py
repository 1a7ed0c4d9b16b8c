"""Trigram search on PostgreSQL (one-letter typos): the pg_trgm extension and a GIN index on the
folded search text. Nothing happens on SQLite, which searches by substring only."""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

INDEX = "procedures_version_search_trgm"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON procedures_procedureversion "
            "USING gin (search_text gin_trgm_ops)"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("procedures", "0001_initial")]

    operations = [
        TrigramExtension(),
        migrations.RunPython(create_index, drop_index),
    ]

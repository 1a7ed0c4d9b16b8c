"""On PostgreSQL, the database itself refuses to change or delete a dossier event."""

from django.db import migrations

FORBID = """
CREATE OR REPLACE FUNCTION submissions_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'dossier events are append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER submissions_dossierevent_append_only
    BEFORE UPDATE OR DELETE ON submissions_dossierevent
    FOR EACH ROW EXECUTE FUNCTION submissions_event_append_only();
"""
ALLOW = """
DROP TRIGGER IF EXISTS submissions_dossierevent_append_only ON submissions_dossierevent;
DROP FUNCTION IF EXISTS submissions_event_append_only();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORBID)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(ALLOW)


class Migration(migrations.Migration):
    dependencies = [("submissions", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]

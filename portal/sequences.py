"""Daily numbers per agency (a dossier's code, a feedback's code): one statement increments the
day's row, or makes it, and holds the row lock until commit, so concurrent issuers queue on it
and no number is given twice. The table is any model with `agency`, `day` and `last`, unique on
(agency, day)."""

import datetime as dt

from django.db import connection


def next_daily_number(model, *, agency_id: int, day: dt.date) -> int:
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (agency_id, day, last) VALUES (%s, %s, 1) "  # noqa: S608
            f"ON CONFLICT (agency_id, day) DO UPDATE SET last = {table}.last + 1 "
            "RETURNING last",
            [agency_id, day],
        )
        return cursor.fetchone()[0]

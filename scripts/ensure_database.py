"""Create the PostgreSQL database named in a URL if it does not exist (for `make test`)."""

import sys
from urllib.parse import urlparse

import psycopg2
from psycopg2 import sql


def admin_connection(url: str):
    """An autocommit connection to the server's `postgres` database (to create or drop the
    database the URL names). Also used by the benchmarks."""
    parts = urlparse(url)
    conn = psycopg2.connect(
        host=parts.hostname, port=parts.port or 5432, user=parts.username or "postgres",
        password=parts.password, dbname="postgres",
    )  # fmt: skip
    conn.autocommit = True
    return conn


def main(url: str) -> None:
    name = urlparse(url).path.lstrip("/")
    conn = admin_connection(url)
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"created database {name}")
    conn.close()


if __name__ == "__main__":
    main(sys.argv[1])

"""The warehouse connection: an existing server (CGF_WAREHOUSE_URL) or the embedded default."""
from __future__ import annotations

from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

import psycopg

from include.warehouse import embedded, settings


def ensure_database(url: str) -> None:
    """Create the database named in the URL when it does not exist (needs CREATEDB)."""
    dbname = urlsplit(url).path.lstrip("/")
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("select 1 from pg_database where datname = %s", (dbname,)).fetchone()
        if not exists:
            conn.execute(f'create database "{dbname}"')


def warehouse_url() -> str:
    """The URL everything uses: CGF_WAREHOUSE_URL, or the embedded server (started on demand)."""
    return settings.configured_warehouse_url() or embedded.start()


def connect(url: str | None = None, **kw) -> psycopg.Connection:
    return psycopg.connect(url or warehouse_url(), **kw)


def relation_exists(conn: psycopg.Connection, name: str) -> bool:
    """Whether a table or view `schema.name` exists (marts wait for the first dbt build)."""
    return conn.execute("select to_regclass(%s)", (name,)).fetchone()[0] is not None


def url_parts(url: str) -> dict:
    """Host, port, user, password, dbname of a postgresql:// URL (for dbt and GX)."""
    parts = urlsplit(url)
    return {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or 5432,
        "user": unquote(parts.username or "postgres"),  # a URL percent-encodes reserved characters
        "password": unquote(parts.password or ""),
        "dbname": parts.path.lstrip("/") or "postgres",
    }


def airflow_connection_uri(url: str) -> str:
    """The Airflow connection URI (AIRFLOW_CONN_CGF_WAREHOUSE) of a postgresql:// URL."""
    parts = url_parts(url)
    password = f":{quote(parts['password'], safe='')}" if parts["password"] else ""
    return (f"postgres://{quote(parts['user'], safe='')}{password}@{parts['host']}:{parts['port']}"
            f"/{parts['dbname']}")


def shown_url(url: str) -> str:
    """The URL as printed or logged anywhere: its password replaced by `***` (the one masking)."""
    parts = urlsplit(url)
    if parts.password is not None:
        user = f"{parts.username}:***@" if parts.username is not None else ":***@"
        parts = parts._replace(netloc=user + parts.netloc.rsplit("@", 1)[1])
    query = [(key, "***" if key == "password" else value) for key, value in parse_qsl(parts.query)]
    return urlunsplit(parts._replace(query=urlencode(query, safe="*")))


def login_url(url: str, user: str) -> str:
    """The URL of the same database for another role, without a password (psql reads PGPASSFILE)."""
    parts = url_parts(url)
    return f"postgresql://{quote(user, safe='')}@{parts['host']}:{parts['port']}/{parts['dbname']}"

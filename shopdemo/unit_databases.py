"""A database and a role of the same name for each unit, on any PostgreSQL server.

The launcher gives every unit its own database, owned by its own role, with CONNECT
revoked from every other role: the units share a server, never each other's data.
Running it again for a unit that exists only sets its password again.
"""

from __future__ import annotations

import re

import psycopg
from psycopg import sql

from shopdemo.postgres import PostgresError, ServerInfo

UNIT_NAME_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,40}")
RESERVED_NAMES = frozenset({"postgres", "template0", "template1", "public"})


def ensure_unit_database(server: ServerInfo, name: str, password: str) -> str:
    _check_unit_name(server, name)
    identifier = sql.Identifier(name)
    try:
        with _admin_connection(server) as connection:
            # Sending the SCRAM verifier instead of the password keeps the password itself out of
            # the server's statement logs; this is what psql's \password does.
            verifier = connection.pgconn.encrypt_password(password.encode(), name.encode())
            role_exists = connection.execute(
                "SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)
            ).fetchone()
            connection.execute(
                sql.SQL("{} ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD {}").format(
                    sql.SQL("ALTER" if role_exists else "CREATE"),
                    identifier,
                    sql.Literal(verifier.decode()),
                )
            )
            database_exists = connection.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
            ).fetchone()
            if database_exists:
                connection.execute(
                    sql.SQL("ALTER DATABASE {} OWNER TO {}").format(identifier, identifier)
                )
            else:
                connection.execute(
                    sql.SQL("CREATE DATABASE {} OWNER {}").format(identifier, identifier)
                )
            # New databases grant CONNECT to PUBLIC, which would let every unit's role in.
            connection.execute(
                sql.SQL("REVOKE CONNECT ON DATABASE {} FROM PUBLIC").format(identifier)
            )
            connection.execute(
                sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(identifier, identifier)
            )
    except psycopg.Error as error:
        raise PostgresError(f"could not set up database and role {name!r}: {error}") from error
    return server.url(database=name, user=name, password=password)


def drop_unit_database(server: ServerInfo, name: str) -> None:
    _check_unit_name(server, name)
    identifier = sql.Identifier(name)
    try:
        with _admin_connection(server) as connection:
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(identifier)
            )
            connection.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(identifier))
    except psycopg.Error as error:
        raise PostgresError(f"could not drop database and role {name!r}: {error}") from error


def _check_unit_name(server: ServerInfo, name: str) -> None:
    # Reserved names would let a unit take over the admin role or a template database.
    if (
        not UNIT_NAME_PATTERN.fullmatch(name)
        or name in RESERVED_NAMES
        or name == server.admin_user
        or name.startswith("pg_")
    ):
        raise PostgresError(
            f"{name!r} is not a valid unit database name: use a lowercase letter followed by up"
            " to 40 lowercase letters, digits or underscores, not starting with pg_ and not"
            f" {', '.join(sorted(RESERVED_NAMES | {server.admin_user}))}"
        )


def _admin_connection(server: ServerInfo) -> psycopg.Connection:
    try:
        return psycopg.connect(server.url(driver="postgresql"), autocommit=True, connect_timeout=10)
    except psycopg.OperationalError as error:
        raise PostgresError(
            f"cannot connect to PostgreSQL at {server.host}:{server.port}"
            f" as {server.admin_user}: {error}"
        ) from error

"""Reading one unit's database for an audit: one consistent snapshot, nothing written.

Each database is read in one REPEATABLE READ, READ ONLY transaction, so every query
sees the same moment of that database. A variant's databases are read one after
another, not at one moment across them (nothing could give that), which is why an
audit is meant for a settled variant.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import psycopg
from psycopg.rows import dict_row

from shopdemo.audit.facts import Order, quantities_by

Connect = Callable[[str], psycopg.Connection]
Result = TypeVar("Result")


class AuditError(RuntimeError):
    """A database the audit could not read; the message names it and says why."""


class Snapshot:
    """Queries inside one database's snapshot, rows as dicts."""

    def __init__(self, connection: psycopg.Connection) -> None:
        self._connection = connection

    def rows(self, statement: str) -> list[dict[str, Any]]:
        with self._connection.cursor(row_factory=dict_row) as cursor:
            return cursor.execute(statement).fetchall()


def read_database(connect: Connect, database: str, read: Callable[[Snapshot], Result]) -> Result:
    """Open `database` with `connect`, run `read` in one snapshot, close the connection."""
    try:
        with connect(database) as connection:
            connection.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            connection.read_only = True
            with connection.transaction():
                return read(Snapshot(connection))
    except psycopg.Error as error:
        # psycopg's messages span lines (hint on the second); one line reads better after ours.
        reason = " ".join(str(error).split()) or type(error).__name__
        raise AuditError(f"cannot read database {database!r}: {reason}") from error


# The tables below have the same columns in every variant that has them.


def read_orders(db: Snapshot) -> list[Order]:
    """The orders with their lines, oldest first (so examples come in a stable order)."""
    lines = quantities_by(db.rows("SELECT order_id, sku, quantity FROM order_lines"), "order_id")
    return [
        Order(
            row["id"],
            row["status"],
            row["total_cents"],
            row["created_at"],
            lines.get(row["id"], {}),
        )
        for row in db.rows(
            "SELECT id, status, total_cents, created_at FROM orders ORDER BY created_at, id"
        )
    ]


def read_stock(db: Snapshot) -> dict[str, int]:
    return {row["sku"]: row["stock"] for row in db.rows("SELECT sku, stock FROM products")}

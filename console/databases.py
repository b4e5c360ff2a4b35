"""Reading the variants' databases: live order figures each refresh, and the audit's connector.

The console connects as each unit's own role (the URLs it is given), reads only, and
keeps one connection per database open between refreshes: a new connection costs a
password handshake, which at every refresh would be most of the console's work.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import psycopg

from service_kit.sql import psycopg_conninfo
from shopdemo.audit.snapshot import AuditError, Connect

CONNECT_TIMEOUT_S = 3

# One statement per figure; each is a scan of a table the size of the demo's orders.
_STATUS_COUNTS = "SELECT status, count(*) FROM orders GROUP BY status"
_OLDEST_PENDING = (
    "SELECT EXTRACT(EPOCH FROM now() - min(created_at)) FROM orders WHERE status = 'PENDING'"
)
# placed -> final from the order's own timestamps, for the orders that became final in
# the last minute: the same "done" figure `shopdemo compare` reports.
_RECENT_COMPLETION = """
    SELECT count(*),
           percentile_disc(0.95) WITHIN GROUP (ORDER BY updated_at - created_at)
    FROM orders
    WHERE status <> 'PENDING' AND updated_at > now() - make_interval(secs => %s)
"""
_STOCK = "SELECT sku, stock FROM products"
_UNPUBLISHED = "SELECT count(*) FROM outbox WHERE published_at IS NULL"
_LATEST_WITH_STATUS = (
    "SELECT id FROM orders WHERE status = %s ORDER BY created_at DESC, id DESC LIMIT 1"
)


class DatabaseUnavailable(RuntimeError):
    pass


@dataclass
class OrderFigures:
    by_status: dict[str, int] = field(default_factory=dict)
    oldest_pending_s: float | None = None
    finished_last_minute: int = 0
    completion_p95_ms: float | None = None


class Databases:
    """Read-only access to the unit databases named in CONSOLE_DATABASE_URLS."""

    def __init__(self, urls: dict[str, str]) -> None:
        self._urls = urls
        self._open: dict[str, psycopg.Connection] = {}
        # The watcher thread and request handlers share the open connections.
        self._lock = threading.Lock()

    def has(self, database: str) -> bool:
        return database in self._urls

    def close(self) -> None:
        with self._lock:
            self._close_all()

    def _close_all(self) -> None:
        for connection in self._open.values():
            connection.close()
        self._open.clear()

    def order_figures(self, database: str, window_s: float) -> OrderFigures:
        def read(connection: psycopg.Connection) -> OrderFigures:
            figures = OrderFigures()
            for status, count in connection.execute(_STATUS_COUNTS):
                figures.by_status[status] = count
            oldest = connection.execute(_OLDEST_PENDING).fetchone()
            if oldest and oldest[0] is not None:
                figures.oldest_pending_s = round(float(oldest[0]), 1)
            count, p95 = connection.execute(_RECENT_COMPLETION, (window_s,)).fetchone()
            figures.finished_last_minute = count
            if p95 is not None:
                figures.completion_p95_ms = round(p95.total_seconds() * 1000, 1)
            return figures

        return self._read(database, read)

    def stock(self, database: str) -> dict[str, int]:
        return self._read(database, lambda c: dict(c.execute(_STOCK).fetchall()))

    def unpublished_events(self, database: str) -> int:
        return self._read(database, lambda c: c.execute(_UNPUBLISHED).fetchone()[0])

    def latest_order_with_status(self, database: str, status: str) -> str | None:
        row = self._read(database, lambda c: c.execute(_LATEST_WITH_STATUS, (status,)).fetchone())
        return None if row is None else str(row[0])

    def connector(self) -> Connect:
        """connect(database) for the audit: a fresh connection that the audit closes."""

        def connect(database: str) -> psycopg.Connection:
            if database not in self._urls:
                raise AuditError(f"no URL for database {database!r} in CONSOLE_DATABASE_URLS")
            return psycopg.connect(
                psycopg_conninfo(self._urls[database]), connect_timeout=CONNECT_TIMEOUT_S
            )

        return connect

    def _read(self, database: str, read):
        with self._lock:
            return self._read_locked(database, read)

    def _read_locked(self, database: str, read):
        if database not in self._urls:
            raise DatabaseUnavailable(f"no URL for database {database!r} in CONSOLE_DATABASE_URLS")
        try:
            connection = self._open.get(database)
            if connection is None or connection.closed:
                connection = psycopg.connect(
                    psycopg_conninfo(self._urls[database]),
                    connect_timeout=CONNECT_TIMEOUT_S,
                    autocommit=True,
                )
                self._open[database] = connection
            return read(connection)
        except psycopg.Error as error:
            stale = self._open.pop(database, None)
            if stale is not None:
                stale.close()
            reason = " ".join(str(error).split()) or type(error).__name__
            raise DatabaseUnavailable(f"cannot read {database}: {reason}") from None

"""What the audit's integration tests share: a variant's databases on the test server, and a
shop that writes rows into them the way the variant's services do; plus the snapshot tests.

The variant modules (test_audit_monolith.py, ...) build a clean run with these, then seed one
anomaly of each kind on top of it and expect the audit to find exactly that one.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Coroutine, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest

from shop.catalog import CATALOG, PRODUCTS_BY_SKU
from shopdemo import postgres
from shopdemo.audit import Anomaly, AuditError, AuditReport, audit_variant
from shopdemo.audit.snapshot import read_database
from shopdemo.unit_databases import drop_unit_database, ensure_unit_database

pytestmark = pytest.mark.integration

PrepareDatabase = Callable[[str], Coroutine[Any, Any, None]]
TWO_MUGS = {"MUG-LOGO": 2}


PASSWORD = "audit-test"


class UnitDatabases:
    """One variant's unit databases, with each unit's own schema.

    Under unique names by default; `prefix=""` gives them their names in the stack, for a
    test that runs the CLI against them.
    """

    def __init__(
        self,
        server: postgres.ServerInfo,
        prepare: Mapping[str, PrepareDatabase],
        prefix: str | None = None,
    ):
        self._server = server
        self._prefix = f"audit{uuid.uuid4().hex[:8]}_" if prefix is None else prefix
        self._urls: dict[str, str] = {}
        self._writers: dict[str, psycopg.Connection] = {}
        try:
            for database, prepare_database in prepare.items():
                url = ensure_unit_database(server, self._prefix + database, PASSWORD)
                self._urls[database] = url.replace("postgresql+psycopg://", "postgresql://")
                asyncio.run(prepare_database(url))
                self._writers[database] = psycopg.connect(self._urls[database], autocommit=True)
        except BaseException:
            self.drop()
            raise

    def connect(self, database: str) -> psycopg.Connection:
        """What audit_variant calls: the unit's database by its name in the stack."""
        return psycopg.connect(self._urls[database])

    def execute(self, database: str, statement: str, *params: Any) -> None:
        self._writers[database].execute(statement, params)

    def reset(self) -> None:
        """Every table emptied, the catalog's stock as seeded."""
        for writer in self._writers.values():
            rows = writer.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            tables = {row[0] for row in rows}
            if tables - {"products"}:
                writer.execute(f"TRUNCATE {', '.join(sorted(tables - {'products'}))}")
            if "products" in tables:
                for product in CATALOG:
                    writer.execute(
                        "UPDATE products SET stock = %s WHERE sku = %s",
                        (product.initial_stock, product.sku),
                    )

    def drop(self) -> None:
        for writer in self._writers.values():
            writer.close()
        for database in self._urls:
            drop_unit_database(self._server, self._prefix + database)


def unit_databases(
    server: postgres.ServerInfo, prepare: Mapping[str, PrepareDatabase], prefix: str | None = None
) -> Iterator[UnitDatabases]:
    """The body of each variant module's module-scoped fixture."""
    databases = UnitDatabases(server, prepare, prefix)
    try:
        yield databases
    finally:
        databases.drop()


class SeededShop:
    """Orders and their effects written as rows; each variant says how, in its own tables.

    `place` writes an order with the effects it is given (reservations, payments and
    shipments by status), so that a test can write a clean order or one with an anomaly.
    """

    reserves_stock = True  # False: stock is taken by the confirmed order itself (monolith)
    order_database = ""  # the order service's database: each variant names its own

    def __init__(self, databases: UnitDatabases, variant: str):
        self.databases = databases
        self.variant = variant
        self.started = datetime.now(UTC)

    def place(
        self,
        status: str,
        lines: Mapping[str, int] = TWO_MUGS,
        *,
        reservations: tuple[str, ...] = (),
        payments: tuple[str, ...] = (),
        charged_cents: int | None = None,
        shipments: tuple[str, ...] = (),
        notifications: int = 0,
        age_s: float = 1.0,
    ) -> uuid.UUID:
        order_id = uuid.uuid4()
        total = sum(PRODUCTS_BY_SKU[sku].price_cents * n for sku, n in lines.items())
        self.add_order(order_id, status, lines, total, self.started - timedelta(seconds=age_s))
        if not self.reserves_stock and status == "CONFIRMED":
            for sku, quantity in lines.items():
                self.lose_stock(sku, quantity)
        for reservation_status in reservations:
            self.reserve(order_id, lines, reservation_status)
        for payment_status in payments:
            self.charge(order_id, payment_status, total if charged_cents is None else charged_cents)
        for shipment_status in shipments:
            self.ship(order_id, shipment_status)
        for _ in range(notifications):
            self.notify(order_id)
        return order_id

    def confirmed(self, **overrides: Any) -> uuid.UUID:
        effects = {
            "reservations": ("RESERVED",) if self.reserves_stock else (),
            "payments": ("CAPTURED",),
            "shipments": ("CREATED",),
            "notifications": 1,
        }
        return self.place("CONFIRMED", **(effects | overrides))

    def audit(self, pending_after_s: float = 30.0) -> AuditReport:
        return audit_variant(
            self.variant, self.databases.connect, datetime.now(UTC), pending_after_s
        )

    def clean_run(self) -> None:
        """Confirmed, rejected and failed orders, written as the variant writes them."""
        raise NotImplementedError

    def add_order(self, order_id, status, lines, total, created_at) -> None:
        """Every variant's order service keeps orders and order_lines with these columns."""
        self.databases.execute(
            self.order_database,
            "INSERT INTO orders (id, customer_id, status, total_cents, created_at, updated_at)"
            " VALUES (%s, 'audit', %s, %s, %s, %s)",
            order_id,
            status,
            total,
            created_at,
            created_at,
        )
        for sku, quantity in lines.items():
            product = PRODUCTS_BY_SKU[sku]
            self.databases.execute(
                self.order_database,
                "INSERT INTO order_lines (order_id, sku, name, quantity, unit_price_cents)"
                " VALUES (%s, %s, %s, %s, %s)",
                order_id,
                sku,
                product.name,
                quantity,
                product.price_cents,
            )

    # What each variant writes, in its own tables; each returns what the audit names.

    def reserve(self, order_id: uuid.UUID, lines: Mapping[str, int], status: str) -> uuid.UUID:
        raise NotImplementedError

    def charge(self, order_id: uuid.UUID, status: str, amount_cents: int) -> uuid.UUID:
        raise NotImplementedError

    def ship(self, order_id: uuid.UUID, status: str) -> uuid.UUID:
        raise NotImplementedError

    def notify(self, order_id: uuid.UUID) -> uuid.UUID:
        raise NotImplementedError

    def lose_stock(self, sku: str, quantity: int) -> str:
        raise NotImplementedError

    def dead_letter(self, database: str, order_id: uuid.UUID) -> uuid.UUID:
        raise NotImplementedError


# Each anomaly kind: what to write on top of a clean run, and what the audit must name.
SEEDS: dict[Anomaly, Callable[[SeededShop], object]] = {
    Anomaly.CONFIRMED_WITHOUT_PAYMENT: lambda s: s.confirmed(payments=()),
    Anomaly.CONFIRMED_CHARGED_MORE_THAN_ONCE: lambda s: s.confirmed(
        payments=("CAPTURED", "CAPTURED")
    ),
    Anomaly.CONFIRMED_WRONG_AMOUNT: lambda s: s.confirmed(charged_cents=1),
    Anomaly.CONFIRMED_WITHOUT_STOCK: lambda s: s.confirmed(reservations=()),
    Anomaly.CONFIRMED_WITHOUT_SHIPMENT: lambda s: s.confirmed(shipments=()),
    Anomaly.CONFIRMED_SHIPPED_MORE_THAN_ONCE: lambda s: s.confirmed(
        shipments=("CREATED", "CREATED")
    ),
    Anomaly.CONFIRMED_NOT_NOTIFIED: lambda s: s.confirmed(notifications=0),
    Anomaly.CONFIRMED_NOTIFIED_MORE_THAN_ONCE: lambda s: s.confirmed(notifications=2),
    Anomaly.NOT_CONFIRMED_BUT_CHARGED: lambda s: s.place(
        "FAILED", reservations=("RELEASED",) if s.reserves_stock else (), payments=("CAPTURED",)
    ),
    Anomaly.NOT_CONFIRMED_BUT_HOLDING_STOCK: lambda s: s.place(
        "FAILED", reservations=("RESERVED",)
    ),
    Anomaly.NOT_CONFIRMED_BUT_SHIPPED: lambda s: s.place("REJECTED", shipments=("CREATED",)),
    Anomaly.NOT_CONFIRMED_BUT_NOTIFIED: lambda s: s.place("REJECTED", notifications=1),
    Anomaly.STOCK_TAKEN_TWICE: lambda s: s.confirmed(reservations=("RESERVED", "RESERVED")),
    Anomaly.STUCK_PENDING: lambda s: s.place(
        "PENDING", reservations=("RESERVED",) if s.reserves_stock else (), age_s=120
    ),
    Anomaly.UNKNOWN_STATUS: lambda s: s.place("LOST"),
    Anomaly.STOCK_NOT_CONSERVED: lambda s: s.lose_stock("BOOK-DDD", 1),
    Anomaly.ORPHAN_PAYMENT: lambda s: s.charge(uuid.uuid4(), "CAPTURED", 1250),
    Anomaly.ORPHAN_RESERVATION: lambda s: s.reserve(uuid.uuid4(), TWO_MUGS, "RESERVED"),
    Anomaly.ORPHAN_SHIPMENT: lambda s: s.ship(uuid.uuid4(), "CREATED"),
    Anomaly.ORPHAN_NOTIFICATION: lambda s: s.notify(uuid.uuid4()),
    Anomaly.DEAD_LETTERS: lambda s: s.dead_letter("ev_payment", s.confirmed()),
}


def anomalies(report: AuditReport) -> dict[str, tuple[int, list[str]]]:
    return {str(kind): (finding.count, finding.examples) for kind, finding in report.found.items()}


def found_alone(shop: SeededShop, kind: Anomaly) -> None:
    """Seed `kind` on a clean run; the audit must count it once, by the right id, and only it."""
    shop.clean_run()
    expected = SEEDS[kind](shop)
    assert anomalies(shop.audit()) == {kind: (1, [str(expected)])}


# The snapshot itself, on a database of its own.


@pytest.fixture(scope="module")
def scratch(pg_server) -> Iterator[UnitDatabases]:
    async def no_schema(_: str) -> None:
        return None

    yield from unit_databases(pg_server, {"scratch": no_schema})


def test_each_database_is_read_in_one_repeatable_read_read_only_transaction(scratch):
    def settings(db) -> list[dict[str, Any]]:
        return db.rows(
            "SELECT current_setting('transaction_isolation') AS isolation,"
            " current_setting('transaction_read_only') AS read_only"
        )

    rows = read_database(scratch.connect, "scratch", settings)
    assert rows == [{"isolation": "repeatable read", "read_only": "on"}]


def test_a_database_without_the_variants_tables_is_an_error_that_names_it(scratch):
    with pytest.raises(AuditError, match=r"cannot read database 'scratch'.*orders"):
        read_database(scratch.connect, "scratch", lambda db: db.rows("SELECT * FROM orders"))

"""Auditing one variant: read its databases, check every invariant, report."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from datetime import datetime

from shop.catalog import CATALOG
from shopdemo.audit.distributed_reader import read_distributed
from shopdemo.audit.event_driven_reader import read_event_driven
from shopdemo.audit.facts import VariantFacts
from shopdemo.audit.global_checks import check_dead_letters, check_orphans, check_stock
from shopdemo.audit.monolith_reader import read_monolith
from shopdemo.audit.order_checks import check_orders
from shopdemo.audit.report import AuditReport, Findings
from shopdemo.audit.snapshot import AuditError, Connect

READERS: dict[str, Callable[[Connect], VariantFacts]] = {
    "monolith": read_monolith,
    "distributed": read_distributed,
    "event_driven": read_event_driven,
}

SEEDED_STOCK: dict[str, int] = {product.sku: product.initial_stock for product in CATALOG}

# Said in every report, since a report may be read without this package's docstring.
SETTLED_NOTE = (
    "each database is one snapshot, read one after another: meant for a settled variant;"
    " orders in flight during the audit may look inconsistent"
)


def audit_variant(
    variant: str, connect: Connect, now: datetime, pending_after_s: float
) -> AuditReport:
    """Read every database of `variant` through `connect(database_name)` and check it.

    `connect` gives a new connection to the named unit database; the audit closes it.
    `now` (timezone-aware) dates the pending orders. Raises AuditError naming the
    database it could not read.
    """
    reader = READERS.get(variant)
    if reader is None:
        raise AuditError(f"unknown variant {variant!r}; known: {', '.join(READERS)}")
    return check_variant(reader(connect), now, pending_after_s)


def check_variant(
    facts: VariantFacts,
    now: datetime,
    pending_after_s: float,
    seeded_stock: Mapping[str, int] = SEEDED_STOCK,
) -> AuditReport:
    """Every invariant over records already read: the part of the audit that needs no database."""
    findings = Findings()
    pending = check_orders(facts, findings, now, pending_after_s)
    check_stock(facts, seeded_stock, findings)
    check_orphans(facts, findings)
    dead_letters = check_dead_letters(facts, findings)
    return AuditReport(
        variant=facts.variant,
        audited_at=now,
        orders_by_status=dict(Counter(order.status for order in facts.orders)),
        pending=pending,
        findings=findings,
        dead_letters_by_database=dead_letters,
        notes=[*facts.notes, SETTLED_NOTE],
    )

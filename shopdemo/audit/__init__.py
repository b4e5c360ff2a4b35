"""`shopdemo audit`: check a settled variant's databases against the invariants of every order.

An audit reads every database of one variant, each in one REPEATABLE READ, READ ONLY
transaction, one after another. Nothing takes a snapshot across databases, so an audit
is meant for a settled variant: during a run, orders in flight may look inconsistent.
It reports and does not judge: anomalies are counted, with up to five example ids.

Words: a payment is *captured* while CAPTURED (REFUNDED, DECLINED and FAILED moved no
money, or gave it back), a reservation *live* while RESERVED, a shipment *live* unless
CANCELLED; "not confirmed" is REJECTED or FAILED.

Per order (examples are order ids):

- `confirmed_without_payment`: CONFIRMED, no captured payment.
- `confirmed_charged_more_than_once`: CONFIRMED, two or more captured payments.
- `confirmed_wrong_amount`: CONFIRMED, one captured payment whose amount is not the total.
- `confirmed_without_stock`: CONFIRMED, no live reservation (not visible in the monolith,
  which takes stock in the order's transaction with no reservation record).
- `confirmed_without_shipment`, `confirmed_shipped_more_than_once`: CONFIRMED with no,
  or with two or more, live shipments.
- `confirmed_not_notified`, `confirmed_notified_more_than_once`: CONFIRMED with no, or
  with two or more, notifications.
- `not_confirmed_but_charged`, `not_confirmed_but_holding_stock`,
  `not_confirmed_but_shipped`, `not_confirmed_but_notified`: REJECTED or FAILED with a
  captured payment, a live reservation, a live shipment, or a notification.
- `stock_taken_twice`: CONFIRMED or PENDING with two or more live reservations.
- `stuck_pending`: PENDING for longer than `pending_after_s` (the count of pending
  orders and the oldest one's age are reported apart, as figures, not anomalies).
- `unknown_status`: a status other than PENDING, CONFIRMED, REJECTED, FAILED.

Global:

- `stock_not_conserved` (examples are SKUs): seeded stock (`shop.catalog.CATALOG`) minus
  current stock differs from the stock orders hold: live reservations' lines, or in the
  monolith confirmed orders' lines.
- `orphan_payment`, `orphan_reservation`, `orphan_shipment`, `orphan_notification`: a
  record for an order id the order service does not have (counted once per order id).
- `dead_letters` (event-driven; examples are message keys, i.e. order ids): every
  message a consumer gave up on; the count per database is reported too.
"""

from __future__ import annotations

from shopdemo.audit.kinds import MEANING, Anomaly
from shopdemo.audit.report import AuditReport
from shopdemo.audit.snapshot import AuditError
from shopdemo.audit.variant_audit import audit_variant

__all__ = ["MEANING", "Anomaly", "AuditError", "AuditReport", "audit_variant"]

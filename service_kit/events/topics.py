"""The saga's topics and their partition counts, in one place for every service and the launcher.

Messages are keyed by order id, so every event of one order lands on one partition and is read
in the order it was written. The partition count decides which partition a key maps to: changing
it for a topic that holds messages would split an order's events across partitions, which is why
shopdemo.kafka.ensure_topics refuses an existing topic with another count.

Topics are created explicitly: whoever starts the stack passes SAGA_TOPICS to
shopdemo.kafka.ensure_topics first, and the code here never asks for auto-creation. The test
Apache Kafka runs with auto-creation off, so a mistyped topic fails there (the relay keeps the
row and retries); Tansu, as observed, creates a topic on the first message sent to it.
"""

from __future__ import annotations

from types import MappingProxyType

# Each topic is written by one service (its outbox relay) and read by the services that react.
ORDERS = "orders"  # the order service: an order was placed, confirmed, rejected
INVENTORY = "inventory"  # the inventory service: stock reserved, refused, released
PAYMENTS = "payments"  # the payment service: charged, declined, refunded
SHIPMENTS = "shipments"  # the fulfillment service: shipment created
NOTIFICATIONS = "notifications"  # the notification service: customer notified

# Four partitions: up to four consumers of one group share a topic, more than a 2-core machine
# needs, and few enough that a consumer group's rebalance stays quick.
PARTITIONS = 4

SAGA_TOPICS: MappingProxyType[str, int] = MappingProxyType(
    {topic: PARTITIONS for topic in (ORDERS, INVENTORY, PAYMENTS, SHIPMENTS, NOTIFICATIONS)}
)

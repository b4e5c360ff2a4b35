"""Reliable messaging for the event-driven services: envelope, transactional outbox, relay,
idempotent consumer, and the saga's topics.

A service's own code is then only "on event X, in my transaction, change my state and append
events Y": Consumer calls its handler inside the transaction that also records the event as
processed, append_sync() puts the outgoing events in the same transaction, and Relay publishes
them once committed. Delivery is at least once; effects happen once.
"""

from service_kit.events.consumer import Consumer, ConsumerStats, Handler
from service_kit.events.dead_letters import record_dead_letter
from service_kit.events.envelope import Event, MalformedEvent, caused_by, new_traceparent
from service_kit.events.outbox import DEFAULT_CHANNEL, append, append_sync
from service_kit.events.relay import PublishedEvent, Relay
from service_kit.events.tables import EventTables, add_event_tables
from service_kit.events.topics import PARTITIONS, SAGA_TOPICS

__all__ = [
    "DEFAULT_CHANNEL",
    "PARTITIONS",
    "SAGA_TOPICS",
    "Consumer",
    "ConsumerStats",
    "Event",
    "EventTables",
    "Handler",
    "MalformedEvent",
    "PublishedEvent",
    "Relay",
    "add_event_tables",
    "append",
    "append_sync",
    "caused_by",
    "new_traceparent",
    "record_dead_letter",
]

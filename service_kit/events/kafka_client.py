"""kafka-python, imported quietly, and the client settings that the relay and consumers share.

Import kafka-python through this module: on Python 3.11 and 3.12 its first import warns (it
loads its protocol schemas with importlib.resources.read_text), which would fail a test run
where warnings are errors, and would print on every service's start.
"""

from __future__ import annotations

import warnings

with warnings.catch_warnings():
    warnings.filterwarnings(
        "ignore", r"\w+ is deprecated\. Use files\(\) instead", DeprecationWarning
    )
    import kafka
    import kafka.errors

from kafka import ConsumerRebalanceListener, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.structs import OffsetAndMetadata

__all__ = [
    "ConsumerRebalanceListener",
    "KafkaConsumer",
    "KafkaProducer",
    "OffsetAndMetadata",
    "TopicPartition",
    "kafka",
    "new_group_consumer",
    "new_producer",
]

# Tansu answers a group's first JoinGroup after about half the session timeout (23 s with the
# default of 45 s); 6 s, the least a Kafka broker accepts, makes a consumer ready in about 3 s.
# A member that does not poll within max_poll_interval_ms is put out of the group, so a
# consumer's work between two polls must stay well under it (see consumer.py).
GROUP_SETTINGS = {
    "session_timeout_ms": 6000,
    "heartbeat_interval_ms": 2000,
    "max_poll_interval_ms": 10000,
}
MAX_POLL_RECORDS = 100
# How long the broker may hold a fetch that finds no new message. Apache Kafka answers as soon
# as a message arrives, so there this only sets how often an idle consumer asks. Tansu, as
# measured here, answers only when the wait is over (after at most about 200 ms), so the wait
# becomes the consumer's latency. From a commit to the handler, medians were about 200 ms at
# kafka-python's default (500), 10 to 20 ms at 50 and 6 ms at 20; an idle consumer costs its
# process about 3 % of a core at 50 and 6 % at 20, and Tansu about as much again. With five
# hops in the saga and five services idling, 50 is the middle ground.
FETCH_MAX_WAIT_MS = 50


def new_producer(bootstrap_servers: str, client_id: str, send_timeout: float) -> KafkaProducer:
    """A producer that loses nothing it acknowledged and writes nothing twice on its own retries."""
    send_timeout_ms = int(send_timeout * 1000)
    return KafkaProducer(
        bootstrap_servers=bootstrap_servers.split(","),
        client_id=client_id,
        # Acknowledged means written by every in-sync replica.
        acks="all",
        # The broker drops the producer's own retried duplicates, keeping each partition's order
        # (up to 5 requests in flight, which idempotence allows).
        enable_idempotence=True,
        max_in_flight_requests_per_connection=5,
        # Retry as often as the delivery timeout allows; the relay then starts over, never drops.
        retries=2**31 - 1,
        delivery_timeout_ms=send_timeout_ms,
        request_timeout_ms=max(1000, send_timeout_ms // 2),
        # How long send() may block for metadata (an unknown topic) or buffer space.
        max_block_ms=send_timeout_ms,
        # The relay flushes after each batch, so lingering costs it nothing at low load.
        linger_ms=5,
        # Topics are created explicitly (topics.py); a mistyped name must not make a new one.
        allow_auto_create_topics=False,
    )


def new_group_consumer(
    bootstrap_servers: str,
    group_id: str,
    client_id: str,
    fetch_max_wait_ms: int = FETCH_MAX_WAIT_MS,
) -> KafkaConsumer:
    """A consumer in `group_id` that reads raw bytes and commits only when told to."""
    return KafkaConsumer(
        bootstrap_servers=bootstrap_servers.split(","),
        group_id=group_id,
        client_id=client_id,
        # The consumer commits an offset only after its database transaction committed.
        enable_auto_commit=False,
        # A new group starts at the beginning: events written before it existed still count.
        auto_offset_reset="earliest",
        max_poll_records=MAX_POLL_RECORDS,
        fetch_max_wait_ms=fetch_max_wait_ms,
        allow_auto_create_topics=False,
        **GROUP_SETTINGS,
    )

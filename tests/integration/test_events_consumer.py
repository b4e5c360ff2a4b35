"""The idempotent consumer, on a real PostgreSQL and a real (Tansu) broker: however often an event
is delivered, its effect happens once; a failing or malformed message does not stop the rest.

Joining a consumer group takes Tansu about 3 s, so most tests share one consumer (one "service"
with its own database) and tell their events apart by id.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import shutil
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import psycopg
import pytest
from sqlalchemy import BigInteger, Column, Identity, MetaData, Table, Text, Uuid

from service_kit.events import Consumer, Event, Relay, add_event_tables, append_sync, caused_by
from service_kit.events.kafka_client import KafkaProducer, new_producer
from service_kit.schema import prepare_schema
from service_kit.sql import psycopg_conninfo
from shopdemo import postgres, unit_databases
from shopdemo.kafka import BrokerInfo, ensure_topics, start_tansu, stop_tansu
from shopdemo.ports import free_port
from tests.integration.test_events_relay import (
    commit_events,
    unpublished_count,
    wait_until_all_published,
)

pytestmark = pytest.mark.integration

# Short waits between a failing handler's attempts keep the tests quick; the count is the real one.
FAST_RETRIES = {"retry_backoff": 0.01}


@contextlib.contextmanager
def service_database(server: postgres.ServerInfo, prefix: str) -> Iterator[str]:
    """A fresh database with the event tables and an `effects` table that counts applications."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    url = unit_databases.ensure_unit_database(server, name, "test-password")
    try:
        metadata = MetaData()
        add_event_tables(metadata)
        # No unique constraint on purpose: a second application must show as a second row.
        Table(
            "effects",
            metadata,
            Column("id", BigInteger, Identity(), primary_key=True),
            Column("event_id", Uuid, nullable=False),
            Column("type", Text, nullable=False),
        )
        asyncio.run(prepare_schema(url, metadata))
        yield psycopg_conninfo(url)
    finally:
        unit_databases.drop_unit_database(server, name)


attempts: Counter[uuid.UUID] = Counter()


def apply_event(connection: psycopg.Connection, event: Event) -> None:
    """The service's handler: records its effect and emits an event on the same connection."""
    attempts[event.event_id] += 1
    if event.type == "AlwaysFails":
        raise RuntimeError("simulated bug in the handler")
    if event.type == "FailsTwice" and attempts[event.event_id] <= 2:
        raise RuntimeError("simulated deadlock")
    connection.execute(
        "INSERT INTO effects (event_id, type) VALUES (%s, %s)", (event.event_id, event.type)
    )
    append_sync(connection, "downstream", caused_by(event, "ItemNoted", "tests", {}))


@dataclass(frozen=True)
class Service:
    conninfo: str
    topic: str
    consumer: Consumer


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrokerInfo]:
    home = tmp_path_factory.mktemp("events-consumer-tansu")
    try:
        yield start_tansu(home / "state", free_port(), home / "tansu.log")
    finally:
        stop_tansu(home / "state")
        shutil.rmtree(home, ignore_errors=True)


def new_topic(broker: BrokerInfo, prefix: str) -> str:
    name = f"{prefix}-{uuid.uuid4().hex[:10]}"
    ensure_topics(broker.bootstrap_servers, {name: 4})
    return name


@pytest.fixture(scope="module")
def service(broker: BrokerInfo, pg_server: postgres.ServerInfo) -> Iterator[Service]:
    """One consuming service for the module, with its own database and consumer group."""
    topic = new_topic(broker, "shared")
    with service_database(pg_server, "consumer") as conninfo:
        consumer = Consumer(
            conninfo=conninfo,
            bootstrap_servers=broker.bootstrap_servers,
            group_id=f"service-{uuid.uuid4().hex[:8]}",
            topics=[topic],
            handler=apply_event,
            **FAST_RETRIES,
        )
        consumer.start()
        try:
            assert consumer.wait_ready(timeout=30)
            yield Service(conninfo, topic, consumer)
        finally:
            assert consumer.stop()


@pytest.fixture
def upstream(pg_server: postgres.ServerInfo) -> Iterator[str]:
    """Another service's database, whose outbox a relay publishes to the consumer's topic."""
    with service_database(pg_server, "upstream") as conninfo:
        yield conninfo


@pytest.fixture(scope="module")
def raw_producer(broker: BrokerInfo) -> Iterator[KafkaProducer]:
    producer = new_producer(broker.bootstrap_servers, "tests", send_timeout=10)
    yield producer
    producer.close(timeout=10)


def send_raw(producer: KafkaProducer, topic: str, messages: list[tuple[bytes, bytes]]) -> None:
    futures = [producer.send(topic, key=key, value=value) for key, value in messages]
    producer.flush(timeout=10)
    for future in futures:
        future.get(timeout=0)


def counted(order_id: uuid.UUID, type: str = "ItemCounted") -> Event:
    return Event(type=type, order_id=order_id, producer="tests", data={})


def query(conninfo: str, statement: str, *parameters) -> list[tuple]:
    with psycopg.connect(conninfo, autocommit=True) as connection:
        return connection.execute(statement, parameters).fetchall()


def effects_of(conninfo: str, events: list[Event]) -> dict[uuid.UUID, int]:
    rows = query(
        conninfo,
        "SELECT event_id, count(*) FROM effects WHERE event_id = ANY(%s) GROUP BY event_id",
        [event.event_id for event in events],
    )
    return dict(rows)


def once_each(events: list[Event]) -> dict[uuid.UUID, int]:
    return {event.event_id: 1 for event in events}


def eventually(condition: Callable[[], bool], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout} s")
        time.sleep(0.02)


def start_relay(conninfo: str, broker: BrokerInfo, **options) -> Relay:
    relay = Relay(conninfo=conninfo, bootstrap_servers=broker.bootstrap_servers, **options)
    relay.start()
    return relay


def test_a_relay_that_dies_between_publishing_and_marking_publishes_twice_and_it_is_applied_once(
    service: Service, upstream: str, broker: BrokerInfo
) -> None:
    events = [counted(uuid.uuid4()) for _ in range(5)]
    commit_events(upstream, service.topic, events)
    before = service.consumer.stats

    crashing = start_relay(upstream, broker, crash_before_marking=True)
    eventually(lambda: crashing.crashed)
    assert crashing.stop()
    assert unpublished_count(upstream) == 5  # published, but the marking never committed
    restarted = start_relay(upstream, broker)
    try:
        wait_until_all_published(upstream, expected_rows=5)
    finally:
        assert restarted.stop()

    eventually(lambda: service.consumer.stats.duplicates - before.duplicates >= 5)
    assert effects_of(service.conninfo, events) == once_each(events)
    assert service.consumer.stats.applied - before.applied == 5


def test_every_event_delivered_a_second_time_has_no_second_effect(
    service: Service, upstream: str, broker: BrokerInfo, raw_producer: KafkaProducer
) -> None:
    orders = [uuid.uuid4() for _ in range(3)]
    events = [counted(orders[number % 3]) for number in range(9)]
    commit_events(upstream, service.topic, events)
    relay = start_relay(upstream, broker)
    try:
        wait_until_all_published(upstream, expected_rows=9)
    finally:
        assert relay.stop()
    eventually(lambda: effects_of(service.conninfo, events) == once_each(events))
    before = service.consumer.stats

    # The same bytes again, as a relay restarted after a crash would send them.
    published = query(upstream, "SELECT key, payload FROM outbox ORDER BY id")
    send_raw(raw_producer, service.topic, [(key.encode(), payload) for key, payload in published])

    eventually(lambda: service.consumer.stats.duplicates - before.duplicates >= 9)
    assert effects_of(service.conninfo, events) == once_each(events)
    emitted = query(service.conninfo, "SELECT count(*) FROM outbox WHERE topic = 'downstream'")
    assert emitted == [(service.consumer.stats.applied,)]  # one outgoing event per effect


def test_a_failing_handler_is_retried_then_its_event_is_dead_lettered_and_the_consumer_goes_on(
    service: Service, raw_producer: KafkaProducer
) -> None:
    order = uuid.uuid4()
    always, twice, after = (
        counted(order, "AlwaysFails"),
        counted(order, "FailsTwice"),
        counted(order),
    )
    key = str(order).encode()

    # One key, so one partition: the later events wait behind the failing one.
    send_raw(raw_producer, service.topic, [(key, e.to_bytes()) for e in (always, twice, after)])

    eventually(lambda: effects_of(service.conninfo, [after]) == once_each([after]))
    assert attempts[always.event_id] == 5
    assert (attempts[twice.event_id], attempts[after.event_id]) == (3, 1)
    assert effects_of(service.conninfo, [always, twice]) == once_each([twice])
    dead = query(
        service.conninfo,
        "SELECT attempts, error FROM dead_letters WHERE event_id = %s",
        always.event_id,
    )
    assert len(dead) == 1
    assert dead[0][0] == 5
    assert "handler failed 5 times" in dead[0][1] and "simulated bug in the handler" in dead[0][1]


def test_a_malformed_message_is_dead_lettered_and_the_consumer_goes_on(
    service: Service, raw_producer: KafkaProducer
) -> None:
    order = uuid.uuid4()
    key = str(order).encode()
    malformed = [b"\xff not even UTF-8", b'{"type": "ItemCounted"}', b"[1, 2]"]
    good = counted(order)

    send_raw(
        raw_producer, service.topic, [(key, raw) for raw in malformed] + [(key, good.to_bytes())]
    )

    eventually(lambda: effects_of(service.conninfo, [good]) == once_each([good]))
    dead = query(
        service.conninfo,
        "SELECT payload, event_id, attempts, error FROM dead_letters"
        " WHERE key = %s ORDER BY kafka_offset",
        key,
    )
    assert [(payload, event_id, attempts) for payload, event_id, attempts, _ in dead] == [
        (raw, None, 0) for raw in malformed
    ]
    errors = [error for *_, error in dead]
    assert errors[0].startswith("malformed event: not UTF-8 JSON")
    assert errors[1].startswith("malformed event: missing fields: event_id, version, order_id")
    assert errors[2] == "malformed event: not a JSON object but list"


def test_a_consumer_stopped_mid_stream_hands_over_at_its_committed_offsets_and_each_applies_once(
    broker: BrokerInfo, pg_server: postgres.ServerInfo, raw_producer: KafkaProducer
) -> None:
    topic = new_topic(broker, "handover")
    orders = [uuid.uuid4() for _ in range(6)]
    events = [counted(orders[number % 6]) for number in range(60)]
    send_raw(raw_producer, topic, [(str(e.order_id).encode(), e.to_bytes()) for e in events])

    handled = itertools.count(1)
    fifteen_handled = threading.Event()

    def slow_handler(connection: psycopg.Connection, event: Event) -> None:
        time.sleep(0.02)  # so that the stop lands mid-stream
        apply_event(connection, event)
        if next(handled) == 15:
            fifteen_handled.set()

    with service_database(pg_server, "handover") as conninfo:
        options = dict(
            conninfo=conninfo,
            bootstrap_servers=broker.bootstrap_servers,
            group_id=f"handover-{uuid.uuid4().hex[:8]}",
            topics=[topic],
            handler=slow_handler,
        )

        def applied() -> int:
            return query(conninfo, "SELECT count(*) FROM effects")[0][0]

        first = Consumer(**options)
        first.start()
        try:
            # A poll's events share one transaction: stopping mid-batch commits what the
            # consumer applied so far and leaves the rest to the next owner.
            assert fifteen_handled.wait(timeout=60)
        finally:
            assert first.stop()
        applied_by_first = applied()
        assert 15 <= applied_by_first < 60

        second = Consumer(**options)
        second.start()
        try:
            eventually(lambda: applied() == 60)
        finally:
            assert second.stop()

        assert effects_of(conninfo, events) == once_each(events)
        # It started where the first one's committed offsets said: nothing was read twice.
        assert second.stats.duplicates == 0
        assert second.stats.applied == 60 - applied_by_first

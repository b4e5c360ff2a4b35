"""The transactional outbox and its relay, on a real PostgreSQL and a real (Tansu) broker."""

from __future__ import annotations

import asyncio
import shutil
import statistics
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator

import psycopg
import pytest
from sqlalchemy import MetaData

from service_kit.events import Event, PublishedEvent, Relay, add_event_tables, append, append_sync
from service_kit.events.kafka_client import KafkaConsumer, TopicPartition, kafka, new_producer
from service_kit.schema import prepare_schema
from service_kit.sql import psycopg_conninfo
from shopdemo import postgres, unit_databases
from shopdemo.kafka import BrokerInfo, ensure_topics, start_tansu, stop_tansu
from shopdemo.ports import free_port

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrokerInfo]:
    home = tmp_path_factory.mktemp("events-relay-tansu")
    try:
        yield start_tansu(home / "state", free_port(), home / "tansu.log")
    finally:
        stop_tansu(home / "state")
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def topic(broker: BrokerInfo) -> str:
    name = f"relay-{uuid.uuid4().hex[:10]}"
    ensure_topics(broker.bootstrap_servers, {name: 4})
    return name


@pytest.fixture
def conninfo(pg_server: postgres.ServerInfo) -> Iterator[str]:
    """A fresh database with the event tables, as a service would have it."""
    name = f"relay_{uuid.uuid4().hex[:12]}"
    url = unit_databases.ensure_unit_database(pg_server, name, "test-password")
    try:
        metadata = MetaData()
        add_event_tables(metadata)
        asyncio.run(prepare_schema(url, metadata))
        yield psycopg_conninfo(url)
    finally:
        unit_databases.drop_unit_database(pg_server, name)


@pytest.fixture
def relays(broker: BrokerInfo, conninfo: str) -> Iterator[Callable[..., Relay]]:
    """Starts relays on the test's database; every one is stopped after the test."""
    started: list[Relay] = []

    def start(**options) -> Relay:
        relay = Relay(conninfo=conninfo, bootstrap_servers=broker.bootstrap_servers, **options)
        started.append(relay)
        relay.start()
        assert relay.wait_ready(timeout=10)
        return relay

    yield start
    for relay in started:
        assert relay.stop(timeout=15)


def an_event(order_id: uuid.UUID, number: int = 0) -> Event:
    return Event(type="ItemCounted", order_id=order_id, producer="tests", data={"n": number})


def commit_events(conninfo: str, topic: str, events: list[Event]) -> None:
    with psycopg.connect(conninfo) as connection:
        for event in events:
            append_sync(connection, topic, event)


def unpublished_count(conninfo: str) -> int:
    with psycopg.connect(conninfo) as connection:
        return connection.execute(
            "SELECT count(*) FROM outbox WHERE published_at IS NULL"
        ).fetchone()[0]


def wait_until_all_published(conninfo: str, expected_rows: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    with psycopg.connect(conninfo, autocommit=True) as connection:
        while time.monotonic() < deadline:
            published, total = connection.execute(
                "SELECT count(published_at), count(*) FROM outbox"
            ).fetchone()
            if total == expected_rows and published == total:
                return
            time.sleep(0.02)
    raise AssertionError(f"{published} of {total} rows published, {expected_rows} expected")


def read_topic(broker: BrokerInfo, topic: str, expected: int, timeout: float = 15):
    """Every message on the topic's 4 partitions, without joining a group (which is slow)."""
    consumer = KafkaConsumer(
        bootstrap_servers=broker.bootstrap_servers, auto_offset_reset="earliest"
    )
    try:
        consumer.assign([TopicPartition(topic, partition) for partition in range(4)])
        messages = []
        deadline = time.monotonic() + timeout
        while len(messages) < expected and time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=200).values():
                messages.extend(batch)
        # One more look, to catch any message beyond those expected.
        for batch in consumer.poll(timeout_ms=300).values():
            messages.extend(batch)
        return messages
    finally:
        consumer.close()


def test_a_rolled_back_event_is_never_published_and_a_committed_one_is_published_once_intact(
    broker: BrokerInfo, topic: str, conninfo: str, relays
) -> None:
    relays()
    rolled_back, committed = an_event(uuid.uuid4(), 1), an_event(uuid.uuid4(), 2)

    with psycopg.connect(conninfo) as connection:
        append_sync(connection, topic, rolled_back)
        connection.rollback()
        append_sync(connection, topic, committed)
        connection.commit()
    wait_until_all_published(conninfo, expected_rows=1)

    messages = read_topic(broker, topic, expected=1)
    assert [(m.key, Event.from_bytes(m.value)) for m in messages] == [
        (str(committed.order_id).encode(), committed)
    ]


def test_each_orders_events_are_published_in_outbox_order_on_one_partition(
    broker: BrokerInfo, topic: str, conninfo: str, relays
) -> None:
    orders = [uuid.uuid4() for _ in range(5)]
    events = [an_event(orders[number % 5], number) for number in range(40)]
    # Written before the relay starts, half through the async append, so it finds a backlog.
    commit_events(conninfo, topic, events[:20])

    async def append_rest() -> None:
        async with await psycopg.AsyncConnection.connect(conninfo) as connection:
            for event in events[20:]:
                await append(connection, topic, event)

    asyncio.run(append_rest())
    relays(batch_size=7)
    wait_until_all_published(conninfo, expected_rows=40)

    messages = read_topic(broker, topic, expected=40)
    assert sorted(Event.from_bytes(m.value).event_id for m in messages) == sorted(
        e.event_id for e in events
    )
    for order in orders:
        of_order = [m for m in messages if m.key == str(order).encode()]
        assert len({m.partition for m in of_order}) == 1
        published = [
            Event.from_bytes(m.value).data["n"] for m in sorted(of_order, key=lambda m: m.offset)
        ]
        assert published == [e.data["n"] for e in events if e.order_id == order]


def test_the_relay_wakes_on_the_commit_and_the_broker_acknowledges_within_milliseconds(
    topic: str, conninfo: str, relays
) -> None:
    acknowledged: dict[uuid.UUID, float] = {}
    arrived = threading.Condition()

    def record(published: list[PublishedEvent]) -> None:
        with arrived:
            acknowledged.update((event.event_id, event.acknowledged_at) for event in published)
            arrived.notify_all()

    # A minute between safety-net polls: only the notification can wake the relay in time.
    relays(poll_interval=60, on_published=record)
    latencies = []
    with psycopg.connect(conninfo) as connection:
        for number in range(20):
            event = an_event(uuid.uuid4(), number)
            append_sync(connection, topic, event)
            connection.commit()
            committed_at = time.monotonic()
            with arrived:
                assert arrived.wait_for(lambda id=event.event_id: id in acknowledged, timeout=10)
            latencies.append((acknowledged[event.event_id] - committed_at) * 1000)

    median = statistics.median(latencies)
    print(
        f"\ncommit to broker acknowledgement, 20 single events: median {median:.1f} ms,"
        f" min {min(latencies):.1f} ms, max {max(latencies):.1f} ms"
    )
    assert median < 500
    assert max(latencies) < 5000


def test_two_relays_publish_every_event_once_and_keep_each_orders_order(
    broker: BrokerInfo, topic: str, conninfo: str, relays
) -> None:
    relays(client_id="relay-a", batch_size=5)
    relays(client_id="relay-b", batch_size=5)
    orders = [uuid.uuid4() for _ in range(4)]
    events = [an_event(orders[number % 4], number) for number in range(80)]

    # Many small transactions while both relays run: each commit wakes both.
    for start in range(0, 80, 2):
        commit_events(conninfo, topic, events[start : start + 2])
    wait_until_all_published(conninfo, expected_rows=80)

    messages = read_topic(broker, topic, expected=80)
    assert sorted(Event.from_bytes(m.value).event_id for m in messages) == sorted(
        e.event_id for e in events
    )
    by_order = defaultdict(list)
    for message in sorted(messages, key=lambda m: (m.partition, m.offset)):
        by_order[message.key].append(Event.from_bytes(message.value).data["n"])
    assert by_order == {
        str(order).encode(): [e.data["n"] for e in events if e.order_id == order]
        for order in orders
    }


class FailingFirstSends:
    """A real producer whose first `failures` sends are refused, as a broker outage would."""

    def __init__(self, real, failures: int):
        self._real = real
        self.failures_left = failures

    def send(self, topic: str, key: bytes, value: bytes):
        if self.failures_left > 0:
            self.failures_left -= 1
            refused = kafka.future.Future()
            return refused.failure(kafka.errors.KafkaConnectionError("simulated outage"))
        return self._real.send(topic, key=key, value=value)

    def flush(self, timeout: float) -> None:
        self._real.flush(timeout=timeout)

    def close(self, timeout: float) -> None:
        self._real.close(timeout=timeout)


def test_a_send_that_is_not_acknowledged_is_retried_and_never_marked_before(
    broker: BrokerInfo, topic: str, conninfo: str, relays
) -> None:
    producers = []
    unpublished_after_a_failure = []

    def make_producer() -> FailingFirstSends:
        if producers:
            # Called after a failed send, before the next try: the row must still be waiting.
            unpublished_after_a_failure.append(unpublished_count(conninfo))
        # Each of the first two producers refuses its first send.
        producer = new_producer(broker.bootstrap_servers, "flaky-relay", send_timeout=5)
        producers.append(FailingFirstSends(producer, failures=1 if len(producers) < 2 else 0))
        return producers[-1]

    event = an_event(uuid.uuid4())
    commit_events(conninfo, topic, [event])
    relays(make_producer=make_producer)
    wait_until_all_published(conninfo, expected_rows=1)

    assert unpublished_after_a_failure == [1, 1]  # two refused sends, each then a new producer
    assert [Event.from_bytes(m.value) for m in read_topic(broker, topic, expected=1)] == [event]
    assert unpublished_count(conninfo) == 0

"""The brokers of shopdemo.kafka, Tansu and a real Apache Kafka, used through kafka-python."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest

import shopdemo.kafka
from shopdemo.kafka import (
    BrokerInfo,
    KafkaError,
    PortInUseError,
    ensure_topics,
    fetch_kafka,
    missing_kafka_tools,
    running_kafka,
    running_tansu,
    start_kafka,
    start_tansu,
    stop_kafka,
    stop_tansu,
)
from shopdemo.ports import free_port

# isort: split
# After shopdemo.kafka, which imports kafka-python with the DeprecationWarning it raises on
# import (Python 3.11 and 3.12) silenced: here warnings are errors.
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from kafka.serializer import DefaultSerializer

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
# kafka-python 3 deprecates plain functions as (de)serializers; this one does str <-> UTF-8.
TEXT = DefaultSerializer()
# Tansu answers a consumer's first JoinGroup after about half the session timeout (23 s with
# kafka-python 3's default of 45 s); 6 s, the least a Kafka broker accepts, makes that 3 s.
GROUP_CONSUMER_SETTINGS = {
    "max_poll_interval_ms": 10000,
    "session_timeout_ms": 6000,
    "heartbeat_interval_ms": 2000,
    "enable_auto_commit": False,
    "auto_offset_reset": "earliest",
}


def start_tansu_in(home: Path) -> BrokerInfo:
    return start_tansu(home / "state", free_port(), home / "tansu.log")


def stopped_and_deleted_at_teardown(request: pytest.FixtureRequest, home: Path) -> Path:
    """Registers the cleanup before anything starts, so even a half-started broker is stopped."""

    def clean_up() -> None:
        stop_tansu(home / "state")
        stop_kafka(home / "state")
        shutil.rmtree(home, ignore_errors=True)

    request.addfinalizer(clean_up)
    return home


@pytest.fixture(scope="module")
def tansu_home(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return stopped_and_deleted_at_teardown(request, tmp_path_factory.mktemp("tansu"))


@pytest.fixture(scope="module")
def tansu(tansu_home: Path) -> BrokerInfo:
    return start_tansu_in(tansu_home)


@pytest.fixture
def own_home(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    return stopped_and_deleted_at_teardown(request, tmp_path / "broker")


@pytest.fixture(scope="module")
def kafka_jars() -> Path:
    missing = missing_kafka_tools()
    if missing:
        pytest.skip(f"a real Apache Kafka needs {' and '.join(missing)}, which this machine lacks")
    # Fetched once into the repository's ignored .cache/; later runs find the jars there.
    return fetch_kafka(ROOT / ".cache")


@pytest.fixture(scope="module")
def kafka_home(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return stopped_and_deleted_at_teardown(request, tmp_path_factory.mktemp("kafka"))


@pytest.fixture(scope="module")
def kafka_ports() -> tuple[int, int]:
    """The broker and controller ports, kept for the restart on the same ports."""
    ports = (free_port(), free_port())
    while ports[0] == ports[1]:
        ports = (ports[0], free_port())
    return ports


@pytest.fixture(scope="module")
def apache_kafka(kafka_home: Path, kafka_ports: tuple[int, int], kafka_jars: Path) -> BrokerInfo:
    return start_apache_kafka(kafka_home, kafka_ports, kafka_jars)


def start_apache_kafka(home: Path, ports: tuple[int, int], jars: Path) -> BrokerInfo:
    port, controller_port = ports
    return start_kafka(home / "state", port, controller_port, home / "kafka.log", jars)


@pytest.fixture
def producer_for() -> Iterator[Callable[[BrokerInfo], KafkaProducer]]:
    """Makes idempotent producers that wait for every replica; all are closed after the test."""
    made: list[KafkaProducer] = []

    def make(broker: BrokerInfo) -> KafkaProducer:
        made.append(
            KafkaProducer(
                bootstrap_servers=broker.bootstrap_servers,
                enable_idempotence=True,
                acks="all",
                key_serializer=TEXT,
                value_serializer=TEXT,
            )
        )
        return made[-1]

    yield make
    for producer in made:
        producer.close(timeout=10)


def group_consumer(broker: BrokerInfo, topic: str, group: str) -> KafkaConsumer:
    return KafkaConsumer(
        topic,
        bootstrap_servers=broker.bootstrap_servers,
        group_id=group,
        key_deserializer=TEXT,
        value_deserializer=TEXT,
        **GROUP_CONSUMER_SETTINGS,
    )


def read(consumer: KafkaConsumer, count: int, timeout: float = 30) -> list[ConsumerRecord]:
    """Polls until count records arrived, then once more to catch any beyond them."""
    records: list[ConsumerRecord] = []
    deadline = time.monotonic() + timeout
    while len(records) < count and time.monotonic() < deadline:
        for batch in consumer.poll(timeout_ms=500).values():
            records.extend(batch)
    for batch in consumer.poll(timeout_ms=500).values():
        records.extend(batch)
    return records


def send_all(producer: KafkaProducer, topic: str, messages: list[tuple[str, str]]) -> list:
    """Sends keyed messages; returns each one's acknowledgement (record metadata)."""
    futures = [producer.send(topic, key=key, value=value) for key, value in messages]
    producer.flush(timeout=30)
    return [future.get(timeout=30) for future in futures]


def keyed_messages(count: int, start: int = 0) -> list[tuple[str, str]]:
    return [(f"order-{number % 7}", f"event-{number}") for number in range(start, start + count)]


def test_starting_tansu_again_returns_the_broker_already_running(
    tansu: BrokerInfo, tansu_home: Path
) -> None:
    again = start_tansu(tansu_home / "state", free_port(), tansu_home / "tansu.log")

    assert again == tansu
    assert again.kind == "tansu"
    assert running_tansu(tansu_home / "state") == tansu


def test_tansu_serves_keyed_messages_on_four_partitions_to_a_consumer_group(
    tansu: BrokerInfo, producer_for
) -> None:
    producer = producer_for(tansu)
    ensure_topics(tansu.bootstrap_servers, {"orders": 4})
    ensure_topics(tansu.bootstrap_servers, {"orders": 4})
    messages = keyed_messages(40)

    acknowledgements = send_all(producer, "orders", messages)

    assert {ack.topic_partition.partition for ack in acknowledgements} == {0, 1, 2, 3}
    partitions_of_key = defaultdict(set)
    for (key, _), ack in zip(messages, acknowledgements, strict=True):
        partitions_of_key[key].add(ack.topic_partition.partition)
    assert all(len(partitions) == 1 for partitions in partitions_of_key.values())
    consumer = group_consumer(tansu, "orders", "order-readers")
    try:
        records = read(consumer, len(messages))
        consumer.commit()
    finally:
        consumer.close()
    assert sorted((record.key, record.value) for record in records) == sorted(messages)


def test_the_next_consumer_of_a_group_on_tansu_starts_after_the_committed_offsets(
    tansu: BrokerInfo, producer_for
) -> None:
    producer = producer_for(tansu)
    ensure_topics(tansu.bootstrap_servers, {"payments": 4})
    send_all(producer, "payments", keyed_messages(12))
    first = group_consumer(tansu, "payments", "payment-readers")
    try:
        assert len(read(first, 12)) == 12
        first.commit()
    finally:
        first.close()

    later_messages = keyed_messages(5, start=12)
    send_all(producer, "payments", later_messages)
    second = group_consumer(tansu, "payments", "payment-readers")
    try:
        records = read(second, len(later_messages))
    finally:
        second.close()

    assert sorted((record.key, record.value) for record in records) == sorted(later_messages)


def test_a_tansu_started_by_a_process_that_has_exited_keeps_serving(own_home: Path) -> None:
    script = (
        "import sys; from pathlib import Path; from shopdemo.kafka import start_tansu; "
        "print(start_tansu(Path(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])).pid)"
    )
    arguments = [own_home / "state", free_port(), own_home / "tansu.log"]
    # A timeout here would mean the broker kept the starter's output pipes open.
    starter = subprocess.run(
        [sys.executable, "-c", script, *map(str, arguments)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert starter.returncode == 0, starter.stderr

    broker = running_tansu(own_home / "state")
    assert broker is not None
    assert broker.pid == int(starter.stdout)
    ensure_topics(broker.bootstrap_servers, {"notifications": 1})
    producer = KafkaProducer(bootstrap_servers=broker.bootstrap_servers, acks="all")
    try:
        producer.send("notifications", key=b"order-1", value=b"sent").get(timeout=10)
    finally:
        producer.close(timeout=10)
    # No group: the consumer takes every partition itself, without a join to wait for.
    consumer = KafkaConsumer(
        bootstrap_servers=broker.bootstrap_servers, auto_offset_reset="earliest"
    )
    try:
        consumer.assign([TopicPartition("notifications", 0)])
        assert [(r.key, r.value) for r in read(consumer, 1)] == [(b"order-1", b"sent")]
    finally:
        consumer.close()


def test_stopping_tansu_stops_it_and_it_is_no_longer_running(own_home: Path) -> None:
    broker = start_tansu_in(own_home)

    assert stop_tansu(own_home / "state") is True

    assert running_tansu(own_home / "state") is None
    assert not is_serving(broker.pid)
    assert stop_tansu(own_home / "state") is False


def test_starting_tansu_on_a_port_held_by_another_program_fails_promptly(own_home: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        port = holder.getsockname()[1]
        began = time.monotonic()

        with pytest.raises(PortInUseError, match=f"port {port} on 127.0.0.1 .*SHOPDEMO_KAFKA_PORT"):
            start_tansu(own_home / "state", port, own_home / "tansu.log")

        assert time.monotonic() - began < 5
    assert running_tansu(own_home / "state") is None


def fake_tansu(home: Path, script: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Puts a shell script where the Tansu binary is expected, to simulate a broker failing."""
    home.mkdir(parents=True, exist_ok=True)
    fake = home / "fake-tansu"
    fake.write_text(f"#!/bin/sh\n{script}\n")
    fake.chmod(0o755)
    monkeypatch.setattr(shopdemo.kafka, "_tansu_binary", lambda: fake)


def test_a_broker_that_exits_while_starting_is_reported_with_the_end_of_its_log(
    own_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_tansu(own_home, "echo 'simulated failure: storage unavailable'; exit 3", monkeypatch)

    with pytest.raises(KafkaError, match=r"(?s)exited while starting.*simulated failure"):
        start_tansu_in(own_home)

    assert running_tansu(own_home / "state") is None


def test_a_broker_that_never_answers_is_stopped_and_reported_with_the_end_of_its_log(
    own_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_tansu(own_home, 'echo "simulated silent broker $$"; exec sleep 60', monkeypatch)
    monkeypatch.setattr(shopdemo.kafka, "TANSU_START_TIMEOUT_SECONDS", 1)

    with pytest.raises(KafkaError, match=r"(?s)within 1 s.*simulated silent broker") as raised:
        start_tansu_in(own_home)

    pid = int(re.search(r"simulated silent broker (\d+)", str(raised.value)).group(1))
    assert not is_serving(pid)
    assert running_tansu(own_home / "state") is None


def test_starting_apache_kafka_again_returns_the_broker_already_running(
    apache_kafka: BrokerInfo, kafka_home: Path, kafka_jars: Path
) -> None:
    again = start_apache_kafka(kafka_home, (free_port(), free_port()), kafka_jars)

    assert again == apache_kafka
    assert running_kafka(kafka_home / "state") == apache_kafka


def test_apache_kafka_keeps_every_acknowledged_message_across_a_restart(
    apache_kafka: BrokerInfo,
    kafka_home: Path,
    kafka_ports: tuple[int, int],
    kafka_jars: Path,
    producer_for,
) -> None:
    producer = producer_for(apache_kafka)
    ensure_topics(apache_kafka.bootstrap_servers, {"order-events": 4})
    messages = keyed_messages(100)
    acknowledgements = send_all(producer, "order-events", messages)
    # Closed first, so that it does not keep reconnecting to the stopped broker.
    producer.close(timeout=10)
    assert len(acknowledgements) == 100
    per_partition = Counter(ack.topic_partition.partition for ack in acknowledgements)
    assert set(per_partition) == {0, 1, 2, 3}

    assert stop_kafka(kafka_home / "state") is True
    restarted = start_apache_kafka(kafka_home, kafka_ports, kafka_jars)

    assert restarted.pid != apache_kafka.pid
    assert restarted.bootstrap_servers == apache_kafka.bootstrap_servers
    consumer = group_consumer(restarted, "order-events", "after-restart")
    try:
        records = read(consumer, len(messages), timeout=60)
        consumer.commit()
    finally:
        consumer.close()
    assert sorted((record.key, record.value) for record in records) == sorted(messages)
    assert Counter(record.partition for record in records) == per_partition


def test_ensuring_a_topic_with_another_partition_count_than_it_has_is_refused(
    apache_kafka: BrokerInfo,
) -> None:
    ensure_topics(apache_kafka.bootstrap_servers, {"shipments": 4})

    with pytest.raises(KafkaError, match="shipments has 4 partitions, expected 2"):
        ensure_topics(apache_kafka.bootstrap_servers, {"shipments": 2})


def is_serving(pid: int | None) -> bool:
    # A stopped broker may remain a zombie until its parent collects it; it serves nothing.
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False

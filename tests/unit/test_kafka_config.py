"""How shopdemo.kafka reads its environment and configures a broker, without starting one."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from shopdemo.kafka import (
    FETCHED_MARKER,
    BrokerInfo,
    KafkaError,
    ensure_topics,
    external_from_env,
    fetch_kafka,
    kafka_version,
    log4j_properties,
    render_properties,
    server_properties,
)


def parse_properties(text: str) -> dict[str, str]:
    """Reads the simple key=value lines of a Java properties file, as Kafka does."""
    pairs = (line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#"))
    return {key: value.replace("\\\\", "\\") for key, value in pairs}


@pytest.mark.parametrize("env", [{}, {"KAFKA_BOOTSTRAP_SERVERS": ""}, {"OTHER": "x:1"}])
def test_no_external_broker_is_named_when_the_variable_is_unset_or_blank(env) -> None:
    assert external_from_env(env) is None


def test_an_external_broker_is_named_by_its_bootstrap_servers_and_has_no_pid() -> None:
    env = {"KAFKA_BOOTSTRAP_SERVERS": " kafka:9092 , 127.0.0.1:9093,[::1]:9094 "}

    assert external_from_env(env) == BrokerInfo(
        kind="external", bootstrap_servers="kafka:9092,127.0.0.1:9093,[::1]:9094", pid=None
    )


@pytest.mark.parametrize("servers", ["kafka", "kafka:port", "kafka:0", ":9092", "kafka:70000"])
def test_a_bootstrap_server_that_is_not_host_and_port_is_refused_with_the_variable_named(
    servers: str,
) -> None:
    with pytest.raises(KafkaError, match="KAFKA_BOOTSTRAP_SERVERS .* not HOST:PORT"):
        external_from_env({"KAFKA_BOOTSTRAP_SERVERS": f"ok:9092,{servers}"})


def test_the_broker_properties_make_one_loopback_node_both_broker_and_controller() -> None:
    properties = server_properties("127.0.0.1", 19092, 19093, Path("/state/data"))

    assert properties["process.roles"] == "broker,controller"
    assert properties["controller.quorum.voters"] == f"{properties['node.id']}@127.0.0.1:19093"
    assert properties["listeners"] == "PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093"
    assert properties["advertised.listeners"] == "PLAINTEXT://127.0.0.1:19092"
    assert properties["controller.listener.names"] == "CONTROLLER"
    assert properties["log.dirs"] == "/state/data"


def test_the_broker_properties_suit_a_single_node_with_explicitly_created_topics() -> None:
    properties = server_properties("127.0.0.1", 19092, 19093, Path("/state/data"))

    assert properties["offsets.topic.replication.factor"] == "1"
    assert properties["transaction.state.log.replication.factor"] == "1"
    assert properties["transaction.state.log.min.isr"] == "1"
    assert properties["auto.create.topics.enable"] == "false"
    assert properties["group.initial.rebalance.delay.ms"] == "0"


def test_an_ipv6_listen_address_is_bracketed_in_the_listeners() -> None:
    properties = server_properties("::1", 19092, 19093, Path("/state/data"))

    assert properties["advertised.listeners"] == "PLAINTEXT://[::1]:19092"


def test_rendered_properties_read_back_as_written_even_with_backslashes() -> None:
    properties = server_properties("127.0.0.1", 19092, 19093, Path("/odd\\path/data"))

    assert parse_properties(render_properties(properties)) == properties


def test_the_broker_logs_into_the_given_file_also_while_it_shuts_down() -> None:
    properties = log4j_properties(Path("/logs/kafka.log"))

    assert properties["appender.file.fileName"] == "/logs/kafka.log"
    assert properties["rootLogger.appenderRef.file.ref"] == properties["appender.file.name"]
    assert properties["shutdownHook"] == "disable"


def test_the_kafka_version_comes_from_the_pom() -> None:
    assert re.fullmatch(r"\d+\.\d+\.\d+", kafka_version())


def test_fetching_kafka_without_maven_or_java_says_what_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))

    with pytest.raises(KafkaError, match=r"needs Java 17 or newer \(java\) and Maven \(mvn\)"):
        fetch_kafka(tmp_path / "cache")


def test_fetching_kafka_again_uses_the_jars_already_fetched_without_maven(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    jars = tmp_path / "cache" / f"kafka-{kafka_version()}"
    jars.mkdir(parents=True)
    (jars / FETCHED_MARKER).write_text("fetched\n")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))

    assert fetch_kafka(tmp_path / "cache") == jars


@pytest.mark.parametrize("partitions", [0, -1, 2.5, True])
def test_a_topic_needs_a_whole_positive_partition_count(partitions) -> None:
    # The address is never contacted: the counts are checked first.
    with pytest.raises(KafkaError, match="topic 'orders': the partition count"):
        ensure_topics("127.0.0.1:9", {"orders": partitions})

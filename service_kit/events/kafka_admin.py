"""Asking a Kafka-protocol broker whether it serves clients, and creating the saga's topics.

Whoever starts a stack uses this before the event-driven services start: the local launcher
(shopdemo.kafka) and, in containers, `python -m event_driven.create_topics` (docker-compose.yml
and k8s/). The services themselves never create a topic (topics.py).
"""

from __future__ import annotations

import contextlib
import socket
import time
import warnings
from collections.abc import Callable, Iterator, Mapping

from service_kit.events.kafka_client import kafka

with warnings.catch_warnings():
    # Importing kafka-python's admin module can build protocol classes too (see kafka_client).
    warnings.filterwarnings(
        "ignore", r"\w+ is deprecated\. Use files\(\) instead", DeprecationWarning
    )
    from kafka.admin import KafkaAdminClient

# One try at the broker never takes longer than this, so a deadline is honoured closely.
_ATTEMPT_SECONDS = 2.0


class BrokerError(RuntimeError):
    """The broker cannot be reached, does not serve clients yet, or refused a request."""


def split_address(server: str) -> tuple[str, int]:
    """("kafka", 9092) for "kafka:9092", ("::1", 9092) for "[::1]:9092"; ValueError otherwise."""
    host, separator, port = server.strip().rpartition(":")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not separator or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{server!r} is not HOST:PORT")
    return host, int(port)


def wait_until_serving(
    bootstrap_servers: str, timeout: float, still_starting: Callable[[], bool] = lambda: True
) -> None:
    """Returns once the cluster names a broker that serves clients; BrokerError after `timeout`
    seconds, or at once when `still_starting` says the broker's process has gone."""
    deadline = time.monotonic() + timeout
    while True:
        if not still_starting():
            raise BrokerError("the broker process exited while starting")
        attempt = min(_ATTEMPT_SECONDS, max(0.1, deadline - time.monotonic()))
        problem = _metadata_problem(bootstrap_servers, attempt)
        if problem is None:
            return
        if time.monotonic() >= deadline:
            raise BrokerError(
                f"no usable answer from {bootstrap_servers} within {timeout:.0f} s: {problem}"
            )
        time.sleep(0.2)


def ensure_topics(bootstrap_servers: str, topics: Mapping[str, int]) -> dict[str, int]:
    """Creates the missing topics with the given partition counts (replication 1); refuses
    existing ones whose partition count differs, since that would change which partition, and
    so which consumer, a key's messages go to. Returns every topic's partition count."""
    for name, partitions in topics.items():
        if not name:
            raise BrokerError("a topic name must not be empty")
        if isinstance(partitions, bool) or not isinstance(partitions, int):
            raise BrokerError(
                f"topic {name!r}: the partition count must be an integer, got {partitions!r}"
            )
        if partitions < 1:
            raise BrokerError(
                f"topic {name!r}: the partition count must be at least 1, got {partitions}"
            )
    with admin_client(bootstrap_servers) as admin:
        missing = {
            name: n for name, n in topics.items() if name not in _partition_counts(admin, topics)
        }
        if missing:
            _create_topics(admin, missing)
        counts = _partition_counts(admin, topics)
    mismatched = [
        f"{name} has {counts[name]} partitions, expected {wanted}"
        for name, wanted in topics.items()
        if name in counts and counts[name] != wanted
    ]
    if mismatched:
        raise BrokerError(
            f"existing topics at {bootstrap_servers} have other partition counts than this"
            f" code expects: {'; '.join(mismatched)}. Delete those topics (their messages with"
            " them) or change the expected counts"
        )
    absent = sorted(set(topics) - set(counts))
    if absent:
        raise BrokerError(
            f"topics {', '.join(absent)} were created but are not visible at {bootstrap_servers}"
        )
    return counts


@contextlib.contextmanager
def admin_client(bootstrap_servers: str, timeout: float = 30) -> Iterator[KafkaAdminClient]:
    # kafka-python leaks the socket of a refused connection (a ResourceWarning later, in
    # whatever code runs then), so it is only asked once something accepts connections.
    if not _accepts_connections(bootstrap_servers, min(timeout, _ATTEMPT_SECONDS)):
        raise BrokerError(f"nothing accepts connections at {bootstrap_servers}")
    milliseconds = max(100, int(timeout * 1000))
    try:
        admin = KafkaAdminClient(
            bootstrap_servers=bootstrap_servers.split(","),
            client_id="shopdemo-admin",
            bootstrap_timeout_ms=milliseconds,
            request_timeout_ms=milliseconds,
        )
    except kafka.errors.KafkaError as error:
        raise BrokerError(
            f"cannot reach a Kafka broker at {bootstrap_servers}: {error!r}"
        ) from None
    try:
        yield admin
    except kafka.errors.KafkaError as error:
        raise BrokerError(
            f"a request to the Kafka broker at {bootstrap_servers} failed: {error}"
        ) from None
    finally:
        admin.close()


def _metadata_problem(bootstrap_servers: str, timeout: float) -> str | None:
    """None if the cluster's metadata names a broker that serves clients, else what is wrong."""
    try:
        with admin_client(bootstrap_servers, timeout) as admin:
            brokers = admin.describe_cluster()["brokers"]
    except BrokerError as error:
        return str(error)
    # A KRaft broker is fenced until the controller has let it in; it cannot serve clients yet.
    if not any(not broker.get("is_fenced", False) for broker in brokers):
        return "the cluster has no broker serving clients yet"
    return None


def _accepts_connections(bootstrap_servers: str, timeout: float) -> bool:
    for server in bootstrap_servers.split(","):
        try:
            with socket.create_connection(split_address(server), timeout=timeout):
                return True
        except (OSError, ValueError):
            continue
    return False


def _partition_counts(admin: KafkaAdminClient, topics: Mapping[str, int]) -> dict[str, int]:
    described = admin.describe_topics(list(topics))
    return {
        topic["name"]: len(topic["partitions"]) for topic in described if topic["error_code"] == 0
    }


def _create_topics(admin: KafkaAdminClient, topics: Mapping[str, int]) -> None:
    requested = {name: {"num_partitions": n, "replication_factor": 1} for name, n in topics.items()}
    response = admin.create_topics(requested, raise_errors=False)
    problems = []
    for result in response["topics"]:
        error = kafka.errors.for_code(result["error_code"])
        # Another process may have created it meanwhile; its partition count is checked after.
        if error is not kafka.errors.NoError and error is not kafka.errors.TopicAlreadyExistsError:
            problems.append(
                f"{result['name']}: {error.__name__} {result.get('error_message') or ''}".strip()
            )
    if problems:
        raise BrokerError(f"could not create topics: {'; '.join(problems)}")
    # Creation is acknowledged before every partition has a leader; producing earlier fails.
    admin.wait_for_topics(list(topics), timeout_ms=30000)

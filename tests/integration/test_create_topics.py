"""`python -m event_driven.create_topics`, as compose and k8s run it, against a real broker."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from service_kit.events.kafka_admin import admin_client
from service_kit.events.topics import SAGA_TOPICS
from shopdemo.kafka import BrokerInfo, start_tansu, stop_tansu
from shopdemo.ports import free_port

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[BrokerInfo]:
    try:
        yield start_tansu(tmp_path / "state", free_port(), tmp_path / "tansu.log")
    finally:
        stop_tansu(tmp_path / "state")


def create_topics(bootstrap: str | None, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key != "KAFKA_BOOTSTRAP_SERVERS"}
    if bootstrap is not None:
        env["KAFKA_BOOTSTRAP_SERVERS"] = bootstrap
    env.update(extra)
    return subprocess.run(
        [sys.executable, "-m", "event_driven.create_topics"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def partition_counts(bootstrap: str) -> dict[str, int]:
    with admin_client(bootstrap) as admin:
        described = admin.describe_topics(list(SAGA_TOPICS))
    return {topic["name"]: len(topic["partitions"]) for topic in described}


def test_it_creates_every_saga_topic_with_its_partition_count_and_can_run_again(broker):
    first = create_topics(broker.bootstrap_servers)
    again = create_topics(broker.bootstrap_servers)

    assert first.returncode == 0, first.stderr
    assert again.returncode == 0, again.stderr
    assert partition_counts(broker.bootstrap_servers) == dict(SAGA_TOPICS)


def test_without_a_broker_address_it_fails_and_says_which_variable_is_missing():
    result = create_topics(None)

    assert result.returncode == 1
    assert "KAFKA_BOOTSTRAP_SERVERS is required" in result.stderr


def test_a_broker_that_never_answers_fails_after_the_wait_it_was_given():
    result = create_topics(f"127.0.0.1:{free_port()}", KAFKA_WAIT_S="1")

    assert result.returncode == 1
    assert "nothing accepts connections" in result.stderr

"""A second stack for the event-driven variant: on a real Apache Kafka broker (KRaft)."""

from __future__ import annotations

import json
import shutil

import pytest

from shopdemo.kafka import fetch_kafka, missing_kafka_tools, start_kafka, stop_kafka
from shopdemo.ports import free_port
from tests.conftest import ROOT, Stack, run_shopdemo, stack_env


@pytest.fixture(scope="session")
def kafka_broker(tmp_path_factory):
    """A real Apache Kafka (fetched once into .cache/), with start/stop for restart tests."""
    missing = missing_kafka_tools()
    if missing:
        pytest.skip(f"a real Apache Kafka needs {' and '.join(missing)}, which this machine lacks")
    jars = fetch_kafka(ROOT / ".cache")
    home = tmp_path_factory.mktemp("kafka")
    ports = (free_port(), free_port())

    def start():
        return start_kafka(home / "state", ports[0], ports[1], home / "kafka.log", jars)

    try:
        yield start(), start, lambda: stop_kafka(home / "state")
    finally:
        stop_kafka(home / "state")
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
def kafka_stack(kafka_broker, tmp_path_factory):
    """`shopdemo up --variant event_driven` with KAFKA_BOOTSTRAP_SERVERS naming that broker."""
    broker, _, _ = kafka_broker
    home = tmp_path_factory.mktemp("kafka-stack")
    env = stack_env(home) | {"KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap_servers}
    try:
        started = run_shopdemo(env, "up", "--variant", "event_driven", timeout=180)
        assert started.returncode == 0, started.stdout + started.stderr
        status = run_shopdemo(env, "status", "--json")
        yield Stack(env, {"event_driven": json.loads(status.stdout)["event_driven"]})
    finally:
        run_shopdemo(env, "down")
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(params=["tansu", "apache-kafka"])
def event_stack(request):
    """The event-driven tests run on the embedded broker and on real Apache Kafka."""
    return request.getfixturevalue("stack" if request.param == "tansu" else "kafka_stack")


@pytest.fixture
def baseline_afterwards(stack):
    """The e2e tests share one stack: a test that changes it leaves no payment fault and the
    baseline mesh policy behind."""
    yield
    assert stack.shopdemo("fault", "clear").returncode == 0
    assert stack.shopdemo("mesh", "reset").returncode == 0

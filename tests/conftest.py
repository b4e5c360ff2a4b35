"""Fixtures that start real parts (PostgreSQL, the stack) and always clean up after themselves."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from shopdemo import postgres
from shopdemo.ports import free_port, free_port_base

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory) -> Iterator[postgres.ServerInfo]:
    """A real embedded PostgreSQL for integration tests, stopped at the end of the session."""
    home = tmp_path_factory.mktemp("pg")
    data = home / "pgdata"
    try:
        yield postgres.start_embedded(data, free_port(), home / "postgres.log")
    finally:
        postgres.stop_embedded(data)
        shutil.rmtree(home, ignore_errors=True)


@dataclass(frozen=True)
class Stack:
    """A stack started with `shopdemo up`, exactly as a user starts it, in its own folder."""

    env: dict[str, str]
    variants: dict[str, str]  # variant name -> base URL
    console: str | None = None  # the workshop console's URL (`status --json` lists it apart)

    def shopdemo(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return run_shopdemo(self.env, *args, timeout=timeout)


def run_shopdemo(env: dict[str, str], *args: str, timeout: float = 120):
    return subprocess.run(
        [sys.executable, "-m", "shopdemo.cli", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def stack_env(home: Path) -> dict[str, str]:
    # Nothing from the developer's own stack: no SHOPDEMO_* and no external Kafka.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("SHOPDEMO_") and k != "KAFKA_BOOTSTRAP_SERVERS"
    }
    env.update(
        SHOPDEMO_HOME=str(home),
        SHOPDEMO_PORT_BASE=str(free_port_base()),
        SHOPDEMO_PG_PORT=str(free_port()),
        SHOPDEMO_KAFKA_PORT=str(free_port()),
    )
    return env


@pytest.fixture(scope="session")
def stack(tmp_path_factory) -> Iterator[Stack]:
    home = tmp_path_factory.mktemp("stack")
    env = stack_env(home)
    try:
        started = run_shopdemo(env, "up", timeout=180)
        assert started.returncode == 0, started.stdout + started.stderr
        status = json.loads(run_shopdemo(env, "status", "--json").stdout)
        console = status.pop("console", None)
        yield Stack(env, status, console)
    finally:
        stopped = run_shopdemo(env, "down")
        assert stopped.returncode == 0, stopped.stdout + stopped.stderr
        shutil.rmtree(home, ignore_errors=True)

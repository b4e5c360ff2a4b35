"""Bringing the local stack up and down: PostgreSQL, then each unit, then wait until ready."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterable

import httpx

from service_kit.events.topics import SAGA_TOPICS
from shopdemo import kafka, postgres, unit_databases
from shopdemo.config import LauncherConfig
from shopdemo.console_wiring import console_env
from shopdemo.ports import port_is_free
from shopdemo.processes import (
    ProcessRecord,
    is_alive,
    log_tail,
    start_background,
    stop,
)
from shopdemo.state import StackState, unit_password
from shopdemo.units import CONSOLE, VARIANTS, Addresses, Unit, Variant

READY_TIMEOUT_S = 60.0

Say = Callable[[str], None]


class LauncherError(RuntimeError):
    pass


def select_variants(names: Iterable[str] | None) -> list[Variant]:
    names = list(names or VARIANTS)
    unknown = [name for name in names if name not in VARIANTS]
    if unknown:
        raise LauncherError(
            f"unknown variant(s) {', '.join(unknown)}; known: {', '.join(VARIANTS)}"
        )
    return [VARIANTS[name] for name in dict.fromkeys(names)]


def up(
    config: LauncherConfig,
    variant_names: Iterable[str] | None,
    say: Say,
    console: bool = False,
) -> dict[str, str]:
    """Start the variants (and, for the CLI, the workshop console); their public URLs.

    The console is opt-in so that the benchmarks, which start their own stacks, never
    have a console's polling on the cores they measure.
    """
    variants = select_variants(variant_names)
    config.home.mkdir(parents=True, exist_ok=True)
    state = StackState.load(config.state_file)
    _check_ports(config, state, variants, [CONSOLE] if console else [])
    server = _ensure_postgres(config, state, say)
    needs_kafka = any(unit.needs_kafka for variant in variants for unit in variant.units)
    bootstrap = _ensure_kafka(config, state, say) if needs_kafka else None
    started: list[Unit] = []
    try:
        for variant in variants:
            for unit in variant.units:
                if _start_unit(config, state, server, bootstrap, unit, say):
                    started.append(unit)
        if console:
            wiring = console_env(config, _addresses(config), server)
            if _start_unit(config, state, server, None, CONSOLE, say, wiring):
                started.append(CONSOLE)
        _wait_ready(config, state, started, say)
    except BaseException:
        # Leave nothing half-started: stop what this call started, keep what ran before.
        for unit in started:
            stop(state.units.pop(unit.name))
            state.urls.pop(unit.name, None)
        state.save(config.state_file)
        raise
    return running_variants(config)


def _check_ports(
    config: LauncherConfig, state: StackState, variants: list[Variant], others: list[Unit]
) -> None:
    """Refuse before starting anything, so a taken port never leaves a half-started stack."""
    for units in [variant.units for variant in variants] + [others]:
        for unit in units:
            record = state.units.get(unit.name)
            if record is not None and is_alive(record):
                continue
            taken = [p for p in _ports_of(config, unit) if not port_is_free(config.host, p)]
            if taken:
                raise LauncherError(
                    f"{unit.name}: port {taken[0]} on {config.host} is already in use by another "
                    "program; stop it, or choose other ports with SHOPDEMO_PORT_BASE"
                )


def _addresses(config: LauncherConfig) -> Addresses:
    return Addresses(config.host, config.port_base, config.project_root)


def _ports_of(config: LauncherConfig, unit: Unit) -> list[int]:
    """The unit's own port, and for the mesh every listener it will open."""
    at = _addresses(config)
    ports = [at.port(unit.port_offset)]
    listeners = unit.extra_env(at).get("MESH_LISTENERS", "")
    ports += [int(item.split("=")[1]) for item in listeners.split(",") if item]
    return ports


def _ensure_postgres(config: LauncherConfig, state: StackState, say: Say) -> postgres.ServerInfo:
    external = postgres.external_from_env()
    if external is not None:
        state.postgres = {"mode": "external", "host": external.host, "port": external.port}
        say(f"postgres: using the server at {external.host}:{external.port}")
        return external
    try:
        server = postgres.start_embedded(
            config.pg_data, config.pg_port, config.logs / "postgres.log", config.host
        )
    except postgres.PortInUseError as error:
        raise LauncherError(str(error)) from None
    state.postgres = {
        "mode": "embedded",
        "host": server.host,
        "port": server.port,
        "pid": server.pid,
    }
    state.save(config.state_file)
    say(f"postgres: embedded server on {server.host}:{server.port} (pid {server.pid})")
    return server


def _ensure_kafka(config: LauncherConfig, state: StackState, say: Say) -> str:
    """The broker for the event-driven variant: KAFKA_BOOTSTRAP_SERVERS, or embedded Tansu."""
    broker = kafka.external_from_env()
    if broker is None:
        try:
            broker = kafka.start_tansu(
                config.broker_state, config.kafka_port, config.logs / "tansu.log", config.host
            )
        except kafka.PortInUseError as error:
            raise LauncherError(str(error)) from None
        say(f"kafka: embedded Tansu broker on {broker.bootstrap_servers} (pid {broker.pid})")
    else:
        say(f"kafka: using {broker.bootstrap_servers}")
    kafka.ensure_topics(broker.bootstrap_servers, dict(SAGA_TOPICS))
    state.kafka = {"kind": broker.kind, "bootstrap_servers": broker.bootstrap_servers}
    state.save(config.state_file)
    return broker.bootstrap_servers


def _start_unit(
    config: LauncherConfig,
    state: StackState,
    server: postgres.ServerInfo,
    bootstrap: str | None,
    unit: Unit,
    say: Say,
    wiring: dict[str, str] | None = None,
) -> bool:
    record = state.units.get(unit.name)
    if record is not None and is_alive(record):
        say(f"{unit.name}: already running (pid {record.pid}) at {state.urls[unit.name]}")
        return False
    at = _addresses(config)
    env = {**os.environ, "HOST": config.host, "PORT": str(at.port(unit.port_offset))}
    if unit.database is not None:
        password = unit_password(config.credentials_file, unit.database)
        env["DATABASE_URL"] = unit_databases.ensure_unit_database(server, unit.database, password)
    if unit.needs_kafka:
        assert bootstrap is not None
        env["KAFKA_BOOTSTRAP_SERVERS"] = bootstrap
    env.update(unit.extra_env(at))
    env.update(wiring or {})
    log = config.logs / f"{unit.name}.log"
    state.units[unit.name] = start_background(
        unit.name, [sys.executable, "-m", unit.module], env, log
    )
    state.urls[unit.name] = at.url(unit.port_offset)
    state.save(config.state_file)
    say(f"{unit.name}: started (pid {state.units[unit.name].pid}), log {log}")
    return True


def _wait_ready(config: LauncherConfig, state: StackState, units: list[Unit], say: Say) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    with httpx.Client(timeout=2.0) as client:
        for unit in units:
            record, url = state.units[unit.name], state.urls[unit.name]
            while not _is_ready(client, url):
                if not is_alive(record):
                    raise LauncherError(
                        f"{unit.name} exited during start-up; its log ends with:\n"
                        f"{log_tail(record.log)}"
                    )
                if time.monotonic() > deadline:
                    raise LauncherError(
                        f"{unit.name} was not ready after {READY_TIMEOUT_S:.0f} s at "
                        f"{url}/readyz; its log ends with:\n{log_tail(record.log)}"
                    )
                time.sleep(0.1)
            say(f"{unit.name}: ready at {url}")


def _is_ready(client: httpx.Client, url: str) -> bool:
    try:
        return client.get(f"{url}/readyz").status_code == 200
    except httpx.HTTPError:
        return False


def down(config: LauncherConfig, say: Say) -> None:
    state = StackState.load(config.state_file)
    for name, record in list(state.units.items()):
        if stop(record):
            say(f"{name}: stopped (pid {record.pid})")
        del state.units[name]
        state.urls.pop(name, None)
    # Only the embedded servers live in our folder; external ones are never touched.
    if kafka.stop_tansu(config.broker_state):
        say("kafka: embedded Tansu broker stopped")
    if postgres.stop_embedded(config.pg_data):
        say("postgres: embedded server stopped")
    state.postgres = {}
    state.kafka = {}
    if config.home.exists():
        state.save(config.state_file)


def running_variants(config: LauncherConfig) -> dict[str, str]:
    """Variant name -> public base URL, for every variant whose units are all alive."""
    state = StackState.load(config.state_file)
    running = {}
    for variant in VARIANTS.values():
        records = [state.units.get(unit.name) for unit in variant.units]
        if all(record is not None and is_alive(record) for record in records):
            running[variant.name] = _addresses(config).url(variant.public_offset)
    return running


def console_url(config: LauncherConfig) -> str | None:
    """The workshop console's URL while it runs, else None."""
    state = StackState.load(config.state_file)
    record = state.units.get(CONSOLE.name)
    if record is None or not is_alive(record):
        return None
    return state.urls[CONSOLE.name]


def unit_records(config: LauncherConfig) -> dict[str, tuple[ProcessRecord, str, bool]]:
    """Unit name -> (process record, URL, alive), for `shopdemo status`."""
    state = StackState.load(config.state_file)
    return {
        name: (record, state.urls.get(name, ""), is_alive(record))
        for name, record in state.units.items()
    }

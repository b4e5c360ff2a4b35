"""`make bench`: the monolith's orders/s and latency next to the raw ceiling, in one run.

Starts its own embedded PostgreSQL and monolith (in a temporary folder, on free
ports), measures the raw order transaction issued directly with psycopg, then
the monolith over HTTP at the same concurrency, prints the figures and the
ratio, and stops everything it started. A benchmark prints figures; it does
not pass or fail on a noisy machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import socket
import tempfile
import uuid
from pathlib import Path

from loadtests.footprint import cpu_seconds, proportional_memory_bytes
from loadtests.httpload import LoadResult, Request, run_closed_loop_sync
from loadtests.raw_order_transaction import run_raw_ceiling
from monolith.schema import prepare_database
from shop.catalog import CATALOG
from shopdemo import postgres, stack
from shopdemo.config import LauncherConfig
from shopdemo.state import StackState, unit_password

TARGET_RATIO = 0.5
# Plentiful products only: the benchmark measures throughput, not rejections.
_SKUS = [p.sku for p in CATALOG if not p.scarce]


def order_lines(seed: int) -> list[tuple[str, int]]:
    chooser = random.Random(seed)
    return [(sku, chooser.randint(1, 3)) for sku in chooser.sample(_SKUS, chooser.randint(1, 2))]


def order_request(seq: int) -> Request:
    body = {
        "customer_id": f"bench-{seq}",
        "items": [{"sku": sku, "quantity": quantity} for sku, quantity in order_lines(seq)],
        "payment_token": "tok_ok",
    }
    return Request(
        "POST",
        "/orders",
        {"Content-Type": "application/json", "Idempotency-Key": f"bench-{uuid.uuid4()}"},
        json.dumps(body).encode(),
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:8.2f}"


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=8, help="clients in flight (both runs)")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds measured per run")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds before measuring")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="shopdemo-bench-") as home:
        config = LauncherConfig(
            home=Path(home),
            host="127.0.0.1",
            port_base=_free_port_base(),
            pg_port=_free_port(),
        )
        quiet = lambda _message: None  # noqa: E731 - the bench prints only its figures
        try:
            urls = stack.up(config, ["monolith"], quiet)
            return _measure(config, urls["monolith"], args)
        finally:
            stack.down(config, quiet)


def _free_port_base() -> int:
    port = _free_port()
    return port - 1  # the monolith listens on base + 1


def _measure(config: LauncherConfig, url: str, args: argparse.Namespace) -> int:
    state = StackState.load(config.state_file)
    server = postgres.running_embedded(config.pg_data)
    assert server is not None
    raw_url = postgres.ensure_unit_database(
        server, "bench_raw", unit_password(config.credentials_file, "bench_raw")
    )
    _create_monolith_schema(raw_url)

    raw = run_raw_ceiling(
        raw_url.replace("+psycopg", ""),
        order_lines,
        args.concurrency,
        args.duration,
        args.warmup,
    )

    monolith_pid = state.units["monolith"].pid
    pg_pid = server.pid
    assert pg_pid is not None
    cpu_before = cpu_seconds([monolith_pid])
    host, port = url.removeprefix("http://").split(":")
    http = run_closed_loop_sync(
        host, int(port), order_request, args.concurrency, args.duration, args.warmup
    )
    cpu_used = cpu_seconds([monolith_pid]) - cpu_before
    memory = {
        "monolith": proportional_memory_bytes([monolith_pid]),
        "postgres": proportional_memory_bytes([pg_pid]),
    }
    _report(args, raw, http, cpu_used, memory)
    return 0


def _create_monolith_schema(database_url: str) -> None:
    asyncio.run(prepare_database(database_url))


def _report(args, raw, http: LoadResult, cpu_used: float, memory: dict[str, int]) -> None:
    ok = http.statuses.get(201, 0)
    other = {status: n for status, n in http.statuses.items() if status != 201}
    monolith_rate = ok / http.duration_s
    raw_rate = raw.throughput()
    mib = 1024 * 1024
    print(
        f"monolith benchmark: {os.cpu_count()} cores, {platform.python_implementation()} "
        f"{platform.python_version()}, concurrency {args.concurrency}, "
        f"{args.duration:g} s measured after {args.warmup:g} s warm-up, "
        "embedded PostgreSQL with fsync on"
    )
    print(f"{'':34}{'orders/s':>10}{'p50 ms':>10}{'p99 ms':>10}")
    print(
        f"{'raw order transaction (psycopg)':34}{raw_rate:10.1f}"
        f"{_ms(_percentile(raw.latencies_s, 50)):>10}{_ms(_percentile(raw.latencies_s, 99)):>10}"
    )
    print(
        f"{'monolith POST /orders (HTTP)':34}{monolith_rate:10.1f}"
        f"{_ms(http.percentile(50)):>10}{_ms(http.percentile(99)):>10}"
    )
    ratio = monolith_rate / raw_rate if raw_rate else 0.0
    verdict = "meets" if ratio >= TARGET_RATIO else "misses"
    print(f"ratio monolith / raw: {ratio:.2f} ({verdict} the target of {TARGET_RATIO:.2f})")
    if other or http.errors:
        print(f"non-201 answers: {dict(other)}, transport errors: {dict(http.errors)}")
    if ok:
        print(f"monolith CPU per order: {cpu_used / (ok + 0.0) * 1000:.2f} ms")
    print(
        f"resident memory (PSS): monolith {memory['monolith'] / mib:.0f} MiB, "
        f"postgres {memory['postgres'] / mib:.0f} MiB, "
        f"stack {(memory['monolith'] + memory['postgres']) / mib:.0f} MiB"
    )


if __name__ == "__main__":
    raise SystemExit(main())

"""`make bench`: each variant's orders/s and latency, next to the raw ceiling, in one run.

Starts each variant alone with its own embedded PostgreSQL (in a temporary
folder, on free ports), measures the monolith's order transaction issued
directly with psycopg (the raw ceiling) on the first one, then each variant
over HTTP at the same concurrency, and prints the figures, the ratios and each
variant's CPU and memory. It stops everything it started. A benchmark prints figures;
it does not pass or fail on a noisy machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

from loadtests.footprint import cpu_seconds, proportional_memory_bytes
from loadtests.httpload import Request, nearest_rank, run_closed_loop_sync
from loadtests.raw_order_transaction import RawResult, run_raw_ceiling
from monolith.schema import prepare_database
from shop.catalog import CATALOG
from shopdemo import postgres, stack, unit_databases
from shopdemo.config import LauncherConfig
from shopdemo.ports import free_port, free_port_base
from shopdemo.state import StackState, unit_password
from shopdemo.units import VARIANTS

TARGET_RATIO = 0.5
# Plentiful products only: the benchmark measures throughput, not rejections.
_SKUS = [p.sku for p in CATALOG if not p.scarce]
_MIB = 1024 * 1024


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


@dataclass(frozen=True)
class Figures:
    label: str
    orders_per_s: float
    p50_s: float
    p99_s: float
    cpu_ms_per_order: float | None = None
    memory_bytes: int | None = None
    note: str = ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=8, help="clients in flight (every run)")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds measured per run")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds before measuring")
    parser.add_argument(
        "--variant", action="append", choices=list(VARIANTS), help="default: every variant"
    )
    args = parser.parse_args(argv)
    variants = args.variant or list(VARIANTS)

    figures: list[Figures] = []
    pg_memory = 0
    for index, name in enumerate(variants):
        # Each variant alone on the machine: another variant's idle consumers would take CPU.
        with tempfile.TemporaryDirectory(prefix="shopdemo-bench-") as home:
            config = LauncherConfig(
                home=Path(home),
                host="127.0.0.1",
                port_base=free_port_base(),
                pg_port=free_port(),
                kafka_port=free_port(),
            )
            quiet = lambda _message: None  # noqa: E731 - the bench prints only its figures
            try:
                urls = stack.up(config, [name], quiet)
                if index == 0:
                    figures.append(_raw_ceiling(config, args))
                figures.append(_load_variant(config, name, urls[name], args))
                server = postgres.running_embedded(config.pg_data)
                if server and server.pid:
                    pg_memory = max(pg_memory, proportional_memory_bytes([server.pid]))
            finally:
                stack.down(config, quiet)
    _report(args, figures, pg_memory)
    return 0


def _raw_ceiling(config: LauncherConfig, args: argparse.Namespace) -> Figures:
    server = postgres.running_embedded(config.pg_data)
    assert server is not None
    url = unit_databases.ensure_unit_database(
        server, "bench_raw", unit_password(config.credentials_file, "bench_raw")
    )
    asyncio.run(prepare_database(url))
    raw: RawResult = run_raw_ceiling(
        url.replace("+psycopg", ""), order_lines, args.concurrency, args.duration, args.warmup
    )
    return Figures(
        "raw order transaction (psycopg)",
        raw.throughput(),
        nearest_rank(raw.latencies_s, 50),
        nearest_rank(raw.latencies_s, 99),
    )


def _load_variant(
    config: LauncherConfig, variant: str, url: str, args: argparse.Namespace
) -> Figures:
    state = StackState.load(config.state_file)
    units = {unit.name: state.units[unit.name].pid for unit in VARIANTS[variant].units}
    pids = list(units.values())
    before = {name: cpu_seconds([pid]) for name, pid in units.items()}
    host, port = url.removeprefix("http://").split(":")
    http = run_closed_loop_sync(
        host, int(port), order_request, args.concurrency, args.duration, args.warmup
    )
    used = {name: cpu_seconds([pid]) - before[name] for name, pid in units.items()}
    cpu_used = sum(used.values())
    # 201 from the synchronous variants; 202 (accepted, finished later) from the event-driven one.
    ok = http.statuses.get(201, 0) + http.statuses.get(202, 0)
    others = {status: n for status, n in http.statuses.items() if status not in (201, 202)}
    notes = []
    if len(units) > 1 and ok:
        shares = ", ".join(f"{name} {seconds / ok * 1000:.2f}" for name, seconds in used.items())
        notes.append(f"CPU ms/order by unit: {shares}")
    if others or http.errors:
        notes.append(f"other answers: {others} {dict(http.errors)}")
    note = "\n    ".join(notes)
    return Figures(
        f"{variant} POST /orders (HTTP)",
        ok / http.duration_s,
        http.percentile(50),
        http.percentile(99),
        cpu_used / ok * 1000 if ok else None,
        proportional_memory_bytes(pids),
        note,
    )


def _report(args: argparse.Namespace, figures: list[Figures], pg_memory: int) -> None:
    print(
        f"benchmark: {os.cpu_count()} cores, {platform.python_implementation()} "
        f"{platform.python_version()}, concurrency {args.concurrency}, "
        f"{args.duration:g} s measured after {args.warmup:g} s warm-up per run, "
        "embedded PostgreSQL with fsync on"
    )
    print(
        f"{'':36}{'orders/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'CPU ms/order':>14}{'memory MiB':>12}"
    )
    for f in figures:
        cpu = f"{f.cpu_ms_per_order:.2f}" if f.cpu_ms_per_order is not None else "-"
        memory = f"{f.memory_bytes / _MIB:.0f}" if f.memory_bytes is not None else "-"
        print(
            f"{f.label:36}{f.orders_per_s:10.1f}{f.p50_s * 1000:9.2f}{f.p99_s * 1000:9.2f}"
            f"{cpu:>14}{memory:>12}"
        )
        if f.note:
            print(f"    {f.note}")
    by_label = {f.label.split()[0]: f for f in figures}
    raw, monolith = by_label.get("raw"), by_label.get("monolith")
    if raw and monolith and raw.orders_per_s:
        ratio = monolith.orders_per_s / raw.orders_per_s
        verdict = "meets" if ratio >= TARGET_RATIO else "misses"
        print(f"monolith / raw ceiling: {ratio:.2f} ({verdict} the target of {TARGET_RATIO:.2f})")
    distributed = by_label.get("distributed")
    if monolith and distributed and monolith.orders_per_s:
        print(
            f"distributed / monolith: {distributed.orders_per_s / monolith.orders_per_s:.2f} "
            f"of the throughput, {distributed.p99_s / monolith.p99_s:.1f}x the p99"
        )
    if "event_driven" in by_label:
        print(
            "event_driven answers 202 at once: its orders/s is accepted orders, its latency the ack"
        )
    print(
        f"memory is PSS (shared pages split between the processes that map them); "
        f"PostgreSQL (largest of the runs, each variant ran alone): {pg_memory / _MIB:.0f} MiB"
    )


if __name__ == "__main__":
    raise SystemExit(main())

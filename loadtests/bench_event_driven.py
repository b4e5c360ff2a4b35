"""`python -m loadtests.bench_event_driven`: acknowledgement and completion latency of the
event-driven variant at a fixed arrival rate, on the embedded broker and on Apache Kafka,
next to the monolith's acknowledgement latency measured in the same run.

Completion (placed -> final) is read from the order service's own records: the time
from the order's creation to its last status change, both stamped by the order
service, so no polling adds load while it is measured. Each hop of the saga is read
from the order's timeline (each step stamped by the service that took it).
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
from dataclasses import dataclass
from pathlib import Path

import psycopg

from loadtests.bench import order_request
from loadtests.httpload import LoadResult, nearest_rank, run_open_loop_sync
from shopdemo import kafka, stack
from shopdemo.config import LauncherConfig
from shopdemo.ports import free_port, free_port_base
from shopdemo.state import unit_password

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Row:
    label: str
    sent: int
    ack_p50_s: float
    ack_p99_s: float
    done_p50_s: float | None = None
    done_p99_s: float | None = None
    note: str = ""
    hops: str = ""  # each saga step's time since the step before, p50/p90/p99


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=50.0, help="orders per second")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of load")
    parser.add_argument("--skip-kafka", action="store_true", help="only the embedded broker")
    args = parser.parse_args(argv)
    rows = _run(args, broker=None, with_monolith=True)
    if not args.skip_kafka:
        missing = kafka.missing_kafka_tools()
        if missing:
            rows.append(Row("event_driven on Apache Kafka", 0, 0, 0, note=f"skipped: no {missing}"))
        else:
            rows += _on_apache_kafka(args)
    _report(args, rows)
    return 0


def _on_apache_kafka(args: argparse.Namespace) -> list[Row]:
    jars = kafka.fetch_kafka(ROOT / ".cache")
    with tempfile.TemporaryDirectory(prefix="shopdemo-bench-kafka-") as home:
        state = Path(home) / "state"
        broker = kafka.start_kafka(state, free_port(), free_port(), Path(home) / "kafka.log", jars)
        try:
            return _run(args, broker=broker.bootstrap_servers, with_monolith=False)
        finally:
            kafka.stop_kafka(state)


def _run(args: argparse.Namespace, broker: str | None, with_monolith: bool) -> list[Row]:
    variants = ["monolith", "event_driven"] if with_monolith else ["event_driven"]
    saved = os.environ.pop(kafka.BOOTSTRAP_VARIABLE, None)
    if broker is not None:
        os.environ[kafka.BOOTSTRAP_VARIABLE] = broker
    try:
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
                urls = stack.up(config, variants, quiet)
                rows = []
                if with_monolith:
                    rows.append(_ack_only("monolith", _load(urls["monolith"], args)))
                load = _load(urls["event_driven"], args)
                label = "event_driven on " + ("Apache Kafka" if broker else "Tansu (embedded)")
                rows.append(_with_completion(label, load, config))
                return rows
            finally:
                stack.down(config, quiet)
    finally:
        os.environ.pop(kafka.BOOTSTRAP_VARIABLE, None)
        if saved is not None:
            os.environ[kafka.BOOTSTRAP_VARIABLE] = saved


def _load(url: str, args: argparse.Namespace) -> LoadResult:
    host, port = url.removeprefix("http://").split(":")
    return run_open_loop_sync(host, int(port), order_request, args.rate, args.duration)


def _ack_only(label: str, load: LoadResult) -> Row:
    return Row(
        label, len(load.latencies_s), load.percentile(50), load.percentile(99), note=_errors(load)
    )


def _with_completion(label: str, load: LoadResult, config: LauncherConfig) -> Row:
    import time

    completion = _completion_times(config)
    deadline = time.monotonic() + 60
    while completion[1] and time.monotonic() < deadline:  # some orders still pending
        time.sleep(0.5)
        completion = _completion_times(config)
    done, pending = completion
    note = _errors(load) + (f" {pending} still pending after 60 s" if pending else "")
    return Row(
        label,
        len(load.latencies_s),
        load.percentile(50),
        load.percentile(99),
        nearest_rank(done, 50),
        nearest_rank(done, 99),
        note.strip(),
        _hops(config),
    )


def _order_database(config: LauncherConfig) -> psycopg.Connection:
    password = unit_password(config.credentials_file, "ev_order")
    return psycopg.connect(f"postgresql://ev_order:{password}@127.0.0.1:{config.pg_port}/ev_order")


def _completion_times(config: LauncherConfig) -> tuple[list[float], int]:
    with _order_database(config) as connection:
        rows = connection.execute(
            "SELECT status, extract(epoch FROM updated_at - created_at) FROM orders"
        ).fetchall()
    done = [float(seconds) for status, seconds in rows if status != "PENDING"]
    return done, sum(1 for status, _ in rows if status == "PENDING")


_GAPS = """
SELECT lag(step) OVER w || ' -> ' || step, extract(epoch FROM at - lag(at) OVER w)
FROM order_timeline WINDOW w AS (PARTITION BY order_id ORDER BY at, id)
"""


def _hops(config: LauncherConfig) -> str:
    """Where completion time goes: each step after the previous one, in the order seen."""
    by_hop: dict[str, list[float]] = {}
    with _order_database(config) as connection:
        for hop, seconds in connection.execute(_GAPS):
            if hop is not None:
                by_hop.setdefault(hop, []).append(float(seconds))
    return "\n".join(
        f"{hop:42}" + "".join(f"{nearest_rank(gaps, q) * 1000:8.1f}" for q in (50, 90, 99))
        for hop, gaps in by_hop.items()
    )


def _errors(load: LoadResult) -> str:
    others = {s: n for s, n in load.statuses.items() if s not in (201, 202)}
    return f"non-2xx: {others} {dict(load.errors)}" if others or load.errors else ""


def _report(args: argparse.Namespace, rows: list[Row]) -> None:
    print(
        f"event-driven benchmark: {os.cpu_count()} cores, {platform.python_implementation()} "
        f"{platform.python_version()}, open model {args.rate:g} orders/s for {args.duration:g} s "
        "(latency from each order's scheduled send time)"
    )
    print(f"{'':32}{'orders':>8}{'ack p50':>9}{'ack p99':>9}{'done p50':>10}{'done p99':>10}  (ms)")
    for row in rows:
        done50 = f"{row.done_p50_s * 1000:10.1f}" if row.done_p50_s is not None else f"{'-':>10}"
        done99 = f"{row.done_p99_s * 1000:10.1f}" if row.done_p99_s is not None else f"{'-':>10}"
        print(
            f"{row.label:32}{row.sent:8d}{row.ack_p50_s * 1000:9.1f}{row.ack_p99_s * 1000:9.1f}"
            f"{done50}{done99}"
        )
        if row.note:
            print(f"    {row.note}")
        if row.hops:
            header = "".join(f"{q:>8}" for q in ("p50", "p90", "p99"))
            print(f"    {'each hop, after the step before':42}{header}  (ms)")
            print("\n".join(f"    {line}" for line in row.hops.splitlines()))
    print("targets: event-driven done p99 <= 100 ms; its ack p99 no worse than the monolith's")


if __name__ == "__main__":
    raise SystemExit(main())

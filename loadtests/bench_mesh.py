"""`python -m loadtests.bench_mesh`: the latency one mesh hop adds, and its CPU per request.

Starts a tiny upstream (a bare asyncio HTTP server answering a small JSON body)
and the mesh proxy in front of it (`python -m mesh` with the project's
`istio/` policy, so the hop does what it does in the demo: route, retry
bookkeeping, pool limits, outlier detection), both as subprocesses on free
ports. Then, at a fixed arrival rate (open model), it measures the same request
sent directly to the upstream and through the proxy, and prints both, the
difference per hop, and the proxy's CPU per request. Everything it started is
stopped by process id at the end. A benchmark prints figures; it does not pass
or fail on a noisy machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from loadtests.footprint import cpu_seconds
from loadtests.httpload import LoadResult, Request, run_open_loop_sync
from shopdemo.ports import free_port

ROOT = Path(__file__).resolve().parents[1]
ISTIO_HOSTS = ("order", "inventory", "payment", "fulfillment", "notification")
MEASURED_HOST = "payment"  # its baseline route retries and has a DestinationRule
UPSTREAM_BODY = json.dumps({"status": "CHARGED", "amount_cents": 4200}).encode()
REQUEST = Request(
    "POST",
    "/charges",
    {"Content-Type": "application/json", "Idempotency-Key": "bench"},
    b'{"order_id": "bench", "amount_cents": 4200}',
)


def _serve_upstream(port: int) -> None:
    """The tiny upstream: every request gets 200 and the same small JSON body."""
    from mesh.http_server import HttpServer, IncomingRequest, OutgoingResponse

    answer = OutgoingResponse(200, (("content-type", "application/json"),), UPSTREAM_BODY)

    async def handle(_request: IncomingRequest) -> OutgoingResponse:
        return answer

    async def serve() -> None:
        server = HttpServer(handle)
        await server.start("127.0.0.1", port)
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        await stop.wait()
        await server.close()

    asyncio.run(serve())


def _start(args: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _wait_until_answering(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"{url} exited: {process.stderr.read().decode() if process.stderr else ''}"
            )
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within 15 s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()


def _send_at_rate(port: int, rate: float, duration: float) -> LoadResult:
    return run_open_loop_sync("127.0.0.1", port, lambda _seq: REQUEST, rate, duration)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:8.3f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=200.0, help="requests per second")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds measured per run")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds before measuring")
    parser.add_argument("--serve-upstream", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_upstream:
        _serve_upstream(args.serve_upstream)
        return 0

    upstream_port, admin_port, listener_port = free_port(), free_port(), free_port()
    upstream = _start(["-m", "loadtests.bench_mesh", "--serve-upstream", str(upstream_port)])
    proxy = None
    try:
        env = dict(os.environ)
        env.update(
            HOST="127.0.0.1",
            PORT=str(admin_port),
            MESH_POLICY_DIR=str(ROOT / "istio"),
            MESH_LISTENERS=f"{MEASURED_HOST}={listener_port}",
            MESH_UPSTREAMS=",".join(f"{h}=127.0.0.1:{upstream_port}" for h in ISTIO_HOSTS),
        )
        proxy = _start(["-m", "mesh"], env)
        _wait_until_answering(f"http://127.0.0.1:{upstream_port}/", upstream)
        _wait_until_answering(f"http://127.0.0.1:{admin_port}/readyz", proxy)

        _send_at_rate(upstream_port, args.rate, args.warmup)
        direct = _send_at_rate(upstream_port, args.rate, args.duration)
        _send_at_rate(listener_port, args.rate, args.warmup)
        cpu_before = cpu_seconds([proxy.pid])
        through = _send_at_rate(listener_port, args.rate, args.duration)
        proxy_cpu_s = cpu_seconds([proxy.pid]) - cpu_before
    finally:
        if proxy is not None:
            _stop(proxy)
        _stop(upstream)

    print(
        f"mesh hop benchmark: {os.cpu_count()} cores, {platform.python_implementation()} "
        f"{platform.python_version()}, open model {args.rate:g} req/s, {args.duration:g} s "
        f"measured after {args.warmup:g} s warm-up, POST through the '{MEASURED_HOST}' "
        "listener with the project's istio/ baseline"
    )
    print(f"{'':28}{'requests':>9}{'errors':>8}{'p50 ms':>9}{'p99 ms':>9}")
    for name, result in (("direct to the upstream", direct), ("through the mesh proxy", through)):
        errors = sum(n for status, n in result.statuses.items() if status != 200)
        print(
            f"{name:28}{len(result.latencies_s):9d}{errors:8d}"
            f"{_ms(result.percentile(50)):>9}{_ms(result.percentile(99)):>9}"
        )
    print(
        f"{'added by one hop':28}{'':17}"
        f"{_ms(through.percentile(50) - direct.percentile(50)):>9}"
        f"{_ms(through.percentile(99) - direct.percentile(99)):>9}"
    )
    print(f"proxy CPU per request: {proxy_cpu_s / len(through.latencies_s) * 1e6:.0f} µs")
    return 0


if __name__ == "__main__":
    sys.exit(main())

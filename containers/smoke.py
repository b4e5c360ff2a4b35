"""`make smoke`: build the Dockerfile and run docker-compose.yml with podman, place one order on
each variant through the published ports, print how long each step took, tear everything down.

Run with the virtualenv's Python: `.venv/bin/python -m containers.smoke`. The images are built
locally (containers/images.py); the stack is started as compose would start it
(containers/compose_run.py). Whatever happens, a failure or Ctrl-C included, the stack is
taken down with `podman-compose down -v` and the harness checks that none of its containers,
pod, network or volumes is left.
"""

from __future__ import annotations

import json
import signal
import socket
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from containers import compose_run, images
from containers.compose_run import ComposeFile
from containers.podman import PodmanError, lines, missing_tools, podman, podman_compose

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_FILE = ROOT / "docker-compose.yml"
ORDER = {
    "customer_id": "smoke",
    "items": [{"sku": "MUG-LOGO", "quantity": 1}],
    "payment_token": "tok_ok",
}
PUBLIC_URLS = {
    "monolith": "http://127.0.0.1:8001",
    "distributed": "http://127.0.0.1:8002",
    "event_driven": "http://127.0.0.1:8003",
}
CONSOLE_URL = "http://127.0.0.1:8000"
FINAL_WAIT_SECONDS = 60


class SmokeFailure(RuntimeError):
    pass


def say(message: str) -> None:
    print(message, flush=True)


@contextmanager
def step(name: str, timings: dict[str, float]) -> Iterator[None]:
    say(f"== {name}")
    started = time.monotonic()
    try:
        yield
    finally:
        timings[name] = time.monotonic() - started
        say(f"   {name}: {timings[name]:.1f} s")


def preflight(compose: ComposeFile) -> None:
    """Refuse to start next to something that already uses our names or ports."""
    missing = missing_tools()
    if missing:
        raise SmokeFailure(f"missing programs: {', '.join(missing)} (apt-get install them)")
    existing = set(lines("ps", "-a", "--format", "{{.Names}}"))
    clashes = sorted(existing & set(compose.containers()))
    if clashes:
        raise SmokeFailure(
            f"containers {', '.join(clashes)} already exist: another `make smoke` or"
            f" `podman-compose up` of this project runs; stop it (podman-compose down -v) first"
        )
    if podman("pod", "exists", compose.pod(), check=False).returncode == 0:
        raise SmokeFailure(f"the pod {compose.pod()} already exists; remove it first")
    busy = [port for port in compose.host_ports() if _port_in_use(port)]
    if busy:
        raise SmokeFailure(
            f"host ports {', '.join(map(str, busy))} are in use (by `shopdemo up`?); the"
            " compose file publishes them: stop what uses them (shopdemo down) first"
        )


def _port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("0.0.0.0", port))
        except OSError:
            return True
    return False


def place_orders() -> dict[str, float]:
    """One good order per variant; the event-driven one is followed until CONFIRMED."""
    took = {}
    for variant, base in PUBLIC_URLS.items():
        started = time.monotonic()
        status, order = _request("POST", f"{base}/orders", ORDER, key=str(uuid.uuid4()))
        expected = 202 if variant == "event_driven" else 201
        if status != expected:
            raise SmokeFailure(f"{variant}: POST /orders answered {status}: {order}")
        deadline = time.monotonic() + FINAL_WAIT_SECONDS
        while order["status"] == "PENDING" and time.monotonic() < deadline:
            time.sleep(0.2)
            _, order = _request("GET", f"{base}/orders/{order['id']}")
        if order["status"] != "CONFIRMED":
            raise SmokeFailure(f"{variant}: order {order['id']} ended {order['status']}")
        took[variant] = time.monotonic() - started
        say(f"   {variant}: order {order['id']} CONFIRMED in {took[variant] * 1000:.0f} ms")
    return took


def console_sees_every_variant() -> None:
    """The console, configured by compose alone, shows each variant with every unit ready."""
    deadline = time.monotonic() + FINAL_WAIT_SECONDS
    while True:
        status, state = _request("GET", f"{CONSOLE_URL}/api/state")
        columns = state.get("columns", []) if status == 200 else []
        ready = {
            column["variant"]
            for column in columns
            if column["running"] and {unit["health"] for unit in column["units"]} == {"ready"}
        }
        if ready == set(PUBLIC_URLS):
            say(f"   console: {', '.join(sorted(ready))} shown with every unit ready")
            return
        if time.monotonic() > deadline:
            raise SmokeFailure(f"console at {CONSOLE_URL} shows only {sorted(ready)} ready")
        time.sleep(1)


def _request(method: str, url: str, body: object = None, key: str | None = None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if key:
        request.add_header("Idempotency-Key", key)
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


def memory_in_use(compose: ComposeFile) -> float:
    """MiB that the running containers use, as `podman stats --no-stream` reports them."""
    running = lines("ps", "--format", "{{.Names}}")
    ours = [name for name in compose.containers() if name in running]
    rows = lines("stats", "--no-stream", "--format", "{{.Name}} {{.MemUsage}}", *ours)
    total = 0.0
    for row in rows:
        name, usage = row.split(" ", 1)
        mib = _mebibytes(usage.split("/")[0].strip())
        total += mib
        say(f"   {name}: {mib:.0f} MiB")
    say(f"   all containers: {total:.0f} MiB")
    return total


def _mebibytes(text: str) -> float:
    """podman prints decimal sizes ("55.2MB", "1.1GB"); the README speaks MiB."""
    factors = {"kB": 1e3, "KB": 1e3, "MB": 1e6, "GB": 1e9, "B": 1.0}
    for suffix, factor in factors.items():
        if text.endswith(suffix):
            return float(text[: -len(suffix)]) * factor / 1024**2
    return float(text) / 1024**2


def tear_down(compose: ComposeFile) -> list[str]:
    """`podman-compose down -v`, then whatever of ours is still there; returns what was left."""
    podman_compose(compose.path, "down", "-v", "-t", "10", check=False, timeout=300)
    left = []
    existing = set(lines("ps", "-a", "--format", "{{.Names}}"))
    for container in sorted(existing & set(compose.containers())):
        left.append(f"container {container}")
        podman("rm", "-f", container, check=False)
    if podman("pod", "exists", compose.pod(), check=False).returncode == 0:
        left.append(f"pod {compose.pod()}")
        podman("pod", "rm", "-f", compose.pod(), check=False)
    if podman("network", "exists", compose.network(), check=False).returncode == 0:
        left.append(f"network {compose.network()}")
        podman("network", "rm", "-f", compose.network(), check=False)
    for volume in compose.volumes():
        if podman("volume", "exists", volume, check=False).returncode == 0:
            left.append(f"volume {volume}")
            podman("volume", "rm", "-f", volume, check=False)
    return left


def _interrupted(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def run() -> int:
    from shopdemo.kafka import fetch_kafka  # the launcher's own path to Kafka's jars

    signal.signal(signal.SIGTERM, _interrupted)
    compose = ComposeFile(COMPOSE_FILE)
    timings: dict[str, float] = {}
    started = time.monotonic()
    preflight(compose)
    with step("base image (debootstrap, once)", timings):
        images.ensure_base_image(say)
    with step("stand-in images", timings):
        images.build_stand_ins(say, fetch_kafka(ROOT / ".cache"))
    with step("app image (the Dockerfile)", timings):
        images.build_app_image(compose.app_image(), say)
        size = podman("image", "inspect", "--format", "{{.Size}}", compose.app_image()).stdout
        say(f"   {compose.app_image()}: {int(size) / 1e6:.0f} MB")
    try:
        with step("compose up until every service is ready", timings):
            compose_run.up(compose, say)
        with step("one order per variant", timings):
            place_orders()
        with step("the console shows every variant", timings):
            console_sees_every_variant()
        with step("memory", timings):
            memory_in_use(compose)
    finally:
        with step("compose down -v", timings):
            left = tear_down(compose)
        if left:
            say(f"   removed what `down -v` left: {', '.join(left)}")
    say(f"smoke: passed in {time.monotonic() - started:.0f} s")
    return 0


def main() -> int:
    try:
        return run()
    except (SmokeFailure, PodmanError) as error:
        say(f"smoke: FAILED: {error}")
        return 1
    except KeyboardInterrupt:
        say("smoke: interrupted; the stack was taken down")
        return 130


if __name__ == "__main__":
    sys.exit(main())

"""The real proxy process (`python -m mesh`) in front of a real upstream server the tests run.

One proxy serves the module; each test sets the policy it needs through the
admin API (which is part of what is tested) and the fixture restores the
start-up policy and zeroes the counters afterwards. The upstream records every
request it sees, so the tests can count attempts from both sides.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml

from shopdemo.ports import free_port

pytestmark = pytest.mark.timeout(60)

ROOT = Path(__file__).resolve().parents[2]
HOSTS = ("order", "inventory", "payment", "fulfillment", "notification")


class RecordingUpstream:
    """A keep-alive HTTP/1.1 server in a thread; the path picks the answer.

    /echo            200 with the request as JSON (method, target, headers, body)
    /status/<code>   that status
    /slow/<ms>       200 after <ms> milliseconds, even if the caller has gone
    """

    def __init__(self) -> None:
        self.port = free_port()
        self.seen: list[str] = []
        self.completed: list[str] = []
        self._ready = threading.Event()
        self._thread = threading.Thread(target=asyncio.run, args=(self._serve(),), daemon=True)

    def start(self) -> None:
        self._thread.start()
        if not self._ready.wait(5):
            raise RuntimeError("test upstream did not start")

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(5)

    def forget(self) -> None:
        self.seen.clear()
        self.completed.clear()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        server = await asyncio.start_server(self._connection, "127.0.0.1", self.port)
        self._ready.set()
        await self._stop.wait()
        server.close()

    async def _connection(self, reader, writer) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                request_line, *lines = head.decode("latin-1").split("\r\n")[:-2]
                method, target, _ = request_line.split(" ")
                headers = [tuple(line.split(": ", 1)) for line in lines]
                length = int(dict((k.lower(), v) for k, v in headers).get("content-length", "0"))
                body = await reader.readexactly(length)
                self.seen.append(target)
                status, answer = await self._answer(method, target, headers, body)
                self.completed.append(target)
                writer.write(
                    f"HTTP/1.1 {status} X\r\ncontent-length: {len(answer)}\r\n"
                    "x-upstream: yes\r\nset-cookie: a=1\r\nset-cookie: b=2\r\n\r\n".encode()
                    + answer
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def _answer(self, method, target, headers, body) -> tuple[int, bytes]:
        if target.startswith("/status/"):
            return int(target.rsplit("/", 1)[1]), b"as asked"
        if target.startswith("/slow/"):
            await asyncio.sleep(int(target.rsplit("/", 1)[1]) / 1000)
            return 200, b"done"
        echoed = {"method": method, "target": target, "headers": headers, "body": body.decode()}
        return 200, json.dumps(echoed).encode()


@dataclass
class Mesh:
    admin: str
    listeners: dict[str, str]
    upstream: RecordingUpstream

    def call(self, host: str, method: str, path: str, **kwargs) -> httpx.Response:
        with httpx.Client(base_url=self.listeners[host], timeout=10) as client:
            return client.request(method, path, **kwargs)

    def apply(self, document: dict | str, source: str | None = None) -> httpx.Response:
        text = document if isinstance(document, str) else yaml.safe_dump(document)
        params = {"source": source} if source else {}
        return httpx.put(f"{self.admin}/admin/policies", content=text, params=params, timeout=5)

    def counters(self, route: str) -> dict:
        routes = httpx.get(f"{self.admin}/admin/counters", timeout=5).json()["routes"]
        return next(r for r in routes if r["route"] == route)


def virtual_service(name: str = "payment", **route_fields) -> dict:
    route = {"name": name, "route": [{"destination": {"host": "payment"}}], **route_fields}
    return {
        "apiVersion": "networking.istio.io/v1",
        "kind": "VirtualService",
        "metadata": {"name": "payment"},
        "spec": {"hosts": ["payment"], "http": [route]},
    }


def destination_rule(**traffic_policy) -> dict:
    return {
        "apiVersion": "networking.istio.io/v1",
        "kind": "DestinationRule",
        "metadata": {"name": "payment"},
        "spec": {"host": "payment", "trafficPolicy": traffic_policy},
    }


START_UP_POLICY = virtual_service(
    retries={"attempts": 3, "perTryTimeout": "5s", "retryOn": "5xx,gateway-error,reset"}
)
START_UP_ORDER_RULE = {
    "apiVersion": "networking.istio.io/v1",
    "kind": "DestinationRule",
    "metadata": {"name": "order"},
    "spec": {
        "host": "order",
        "trafficPolicy": {
            "outlierDetection": {"consecutive5xxErrors": 2, "maxEjectionPercent": 100}
        },
    },
}


def start_proxy(policy_dir: Path, upstream_port: int, log: Path) -> tuple[subprocess.Popen, dict]:
    admin_port = free_port()
    listeners = {host: free_port() for host in ("payment", "order")}
    env = {
        **os.environ,
        "HOST": "127.0.0.1",
        "PORT": str(admin_port),
        "MESH_POLICY_DIR": str(policy_dir),
        "MESH_LISTENERS": ",".join(f"{h}={p}" for h, p in listeners.items()),
        "MESH_UPSTREAMS": ",".join(f"{h}=127.0.0.1:{upstream_port}" for h in HOSTS),
    }
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "mesh"], cwd=ROOT, env=env, stdout=output, stderr=output
        )
    urls = {"admin": f"http://127.0.0.1:{admin_port}"}
    urls.update({host: f"http://127.0.0.1:{port}" for host, port in listeners.items()})
    return process, urls


def stop_process(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(5)


def wait_until_ready(admin: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the proxy exited at start:\n{log.read_text()}")
        try:
            if httpx.get(f"{admin}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.05)
    raise RuntimeError(f"the proxy was not ready within 15 s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def running_mesh(tmp_path_factory) -> Iterator[Mesh]:
    home = tmp_path_factory.mktemp("mesh")
    policy_dir = home / "istio"
    policy_dir.mkdir()
    (policy_dir / "virtual-service-payment.yaml").write_text(yaml.safe_dump(START_UP_POLICY))
    (policy_dir / "destination-rule-order.yaml").write_text(yaml.safe_dump(START_UP_ORDER_RULE))
    upstream = RecordingUpstream()
    upstream.start()
    process = None
    try:
        process, urls = start_proxy(policy_dir, upstream.port, home / "mesh.log")
        wait_until_ready(urls["admin"], process, home / "mesh.log")
        listeners = {host: url for host, url in urls.items() if host != "admin"}
        yield Mesh(urls["admin"], listeners, upstream)
    finally:
        if process is not None:
            stop_process(process)
        upstream.stop()


@pytest.fixture
def mesh(running_mesh: Mesh) -> Iterator[Mesh]:
    try:
        yield running_mesh
    finally:
        assert (
            httpx.post(f"{running_mesh.admin}/admin/policies/reset", timeout=5).status_code == 200
        )
        httpx.post(f"{running_mesh.admin}/admin/counters/reset", timeout=5)
        running_mesh.upstream.forget()


def test_forwarding_keeps_method_path_headers_and_body(mesh):
    reply = mesh.call(
        "payment",
        "POST",
        "/echo?attempt=1",
        content=b'{"amount_cents": 4200}',
        headers={
            "Idempotency-Key": "order-42",
            "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "Connection": "keep-alive, x-hop",
            "X-Hop": "this connection only",
        },
    )

    seen = reply.json()
    headers = {name.lower(): value for name, value in seen["headers"]}
    assert (seen["method"], seen["target"]) == ("POST", "/echo?attempt=1")
    assert seen["body"] == '{"amount_cents": 4200}'
    assert headers["idempotency-key"] == "order-42"
    assert headers["traceparent"].startswith("00-4bf92f35")
    assert headers["host"] == mesh.listeners["payment"].removeprefix("http://")
    assert headers["x-forwarded-for"] == "127.0.0.1"
    assert "x-hop" not in headers and "connection" not in headers
    assert reply.headers["x-upstream"] == "yes"
    assert reply.headers.get_list("set-cookie") == ["a=1", "b=2"]


def test_retries_on_503_make_one_plus_attempts_upstream_requests_and_the_counters_agree(mesh):
    reply = mesh.call("payment", "GET", "/status/503")

    assert reply.status_code == 503
    assert mesh.upstream.seen == ["/status/503"] * 4
    counters = mesh.counters("payment/payment")
    assert (counters["requests"], counters["attempts"], counters["retries"]) == (1, 4, 3)
    assert counters["responses"] == {"503": 1}


def test_a_per_try_timeout_retries_while_the_upstream_still_finishes_every_attempt(mesh):
    retries = {"attempts": 2, "perTryTimeout": "200ms", "retryOn": "5xx"}
    assert mesh.apply(virtual_service(retries=retries)).status_code == 200

    started = time.monotonic()
    reply = mesh.call("payment", "POST", "/slow/400", content=b"charge")
    elapsed = time.monotonic() - started

    assert (reply.status_code, reply.text) == (504, "upstream request timeout")
    assert 0.6 <= elapsed < 2
    assert mesh.upstream.seen == ["/slow/400"] * 3
    counters = mesh.counters("payment/payment")
    assert (counters["attempts"], counters["per_try_timeouts"], counters["retries"]) == (3, 3, 2)
    time.sleep(0.5)
    # Each timed-out try was still carried out: three charges for one request.
    assert mesh.upstream.completed == ["/slow/400"] * 3


def test_a_caller_that_gives_up_stops_the_retries_of_its_request(mesh):
    retries = {"attempts": 3, "perTryTimeout": "300ms", "retryOn": "5xx"}
    assert mesh.apply(virtual_service(retries=retries)).status_code == 200

    with pytest.raises(httpx.ReadTimeout), httpx.Client(timeout=0.45) as impatient:
        impatient.get(f"{mesh.listeners['payment']}/slow/1000")
    time.sleep(0.8)

    assert mesh.upstream.seen == ["/slow/1000"] * 2
    assert mesh.counters("payment/payment")["responses"] == {"0": 1}


def test_an_abort_fault_answers_without_contacting_the_upstream_and_is_not_retried(mesh):
    fault = {"abort": {"httpStatus": 503, "percentage": {"value": 100}}}
    retries = {"attempts": 3, "retryOn": "5xx"}
    assert mesh.apply(virtual_service(fault=fault, retries=retries)).status_code == 200

    reply = mesh.call("payment", "POST", "/echo", content=b"{}")

    assert (reply.status_code, reply.text) == (503, "fault filter abort")
    assert mesh.upstream.seen == []
    counters = mesh.counters("payment/payment")
    assert (counters["attempts"], counters["retries"], counters["faults"]["abort"]) == (1, 0, 1)


def test_a_delay_fault_delays_the_request(mesh):
    fault = {"delay": {"fixedDelay": "300ms", "percentage": {"value": 100}}}
    assert mesh.apply(virtual_service(fault=fault)).status_code == 200

    started = time.monotonic()
    reply = mesh.call("payment", "GET", "/echo")

    assert reply.status_code == 200
    assert time.monotonic() - started >= 0.3
    assert mesh.counters("payment/payment")["faults"]["delay"] == 1


def test_more_requests_than_connections_plus_pending_overflow_with_503_overloaded(mesh):
    mesh.apply(virtual_service(retries={"attempts": 0}))
    pool = {"tcp": {"maxConnections": 1}, "http": {"http1MaxPendingRequests": 1}}
    assert mesh.apply(destination_rule(connectionPool=pool)).status_code == 200

    with ThreadPoolExecutor(4) as callers:
        replies = list(callers.map(lambda _: mesh.call("payment", "GET", "/slow/600"), range(4)))

    statuses = sorted(reply.status_code for reply in replies)
    assert statuses == [200, 200, 503, 503]
    overflowed = [reply for reply in replies if reply.status_code == 503]
    assert all(reply.headers["x-envoy-overloaded"] == "true" for reply in overflowed)
    assert mesh.upstream.seen == ["/slow/600"] * 2
    assert mesh.counters("payment/payment")["overflows"] == 2


def test_consecutive_5xx_eject_the_host_and_later_requests_fail_fast(mesh):
    mesh.apply(virtual_service(retries={"attempts": 0}))
    outlier = {
        "consecutive5xxErrors": 2,
        "interval": "30s",
        "baseEjectionTime": "30s",
        "maxEjectionPercent": 100,
    }
    assert mesh.apply(destination_rule(outlierDetection=outlier)).status_code == 200

    first = [mesh.call("payment", "GET", "/status/500").status_code for _ in range(2)]
    started = time.monotonic()
    reply = mesh.call("payment", "GET", "/echo")

    assert first == [500, 500]
    assert (reply.status_code, reply.text) == (503, "no healthy upstream")
    assert time.monotonic() - started < 0.5
    assert mesh.upstream.seen == ["/status/500"] * 2
    assert mesh.counters("payment/payment")["ejections"] == 1
    # Re-applying the same rule keeps the ejection, as Envoy does.
    mesh.apply(destination_rule(outlierDetection=outlier))
    assert mesh.call("payment", "GET", "/echo").text == "no healthy upstream"


def test_resetting_the_policies_forgets_ejections(mesh):
    # The start-up folder ejects `order` after two consecutive 5xx.
    assert [mesh.call("order", "GET", "/status/500").status_code for _ in range(2)] == [500, 500]
    assert mesh.call("order", "GET", "/echo").text == "no healthy upstream"

    assert httpx.post(f"{mesh.admin}/admin/policies/reset", timeout=5).status_code == 200

    assert mesh.call("order", "GET", "/echo").status_code == 200


def test_a_put_with_an_unsupported_field_is_refused_with_422_and_changes_nothing(mesh):
    before = httpx.get(f"{mesh.admin}/admin/policies", timeout=5).json()

    reply = mesh.apply(virtual_service(mirror={"host": "order"}), source="mine.yaml")

    assert reply.status_code == 422
    assert reply.json()["problems"] == [
        "mine.yaml: spec.http[0].mirror is not supported by the local mesh proxy: "
        "traffic mirroring is not modelled"
    ]
    assert httpx.get(f"{mesh.admin}/admin/policies", timeout=5).json() == before
    assert mesh.call("payment", "GET", "/status/503").status_code == 503
    assert len(mesh.upstream.seen) == 4  # the start-up retries still apply


def test_applying_a_scenario_file_replaces_that_hosts_baseline(mesh):
    scenario = ROOT / "istio" / "scenarios" / "virtual-service-payment-abort.yaml"

    reply = mesh.apply(
        scenario.read_text(), source="istio/scenarios/virtual-service-payment-abort.yaml"
    )

    assert reply.status_code == 200
    assert reply.json()["action"] == "configured"
    services = httpx.get(f"{mesh.admin}/admin/policies", timeout=5).json()["VirtualService"]
    assert list(services) == ["payment"]
    assert services["payment"]["source"] == "istio/scenarios/virtual-service-payment-abort.yaml"
    assert mesh.call("payment", "POST", "/echo").status_code == 503
    assert mesh.upstream.seen == []


def test_a_deleted_virtual_service_leaves_the_host_on_istios_default_route(mesh):
    reply = httpx.delete(f"{mesh.admin}/admin/policies/VirtualService/payment", timeout=5)

    assert reply.status_code == 200
    assert mesh.call("payment", "GET", "/status/503").status_code == 503
    assert mesh.upstream.seen == ["/status/503"] * 3  # Istio's default: 2 retries on 503
    assert mesh.counters("default/payment")["retries"] == 2


def test_a_host_without_a_virtual_service_is_forwarded_by_istios_default_route(mesh):
    reply = mesh.call("order", "GET", "/echo")

    assert reply.status_code == 200
    assert mesh.counters("default/order")["requests"] == 1
    metrics = httpx.get(f"{mesh.admin}/metrics", timeout=5).text
    assert 'mesh_requests_total{route="default/order",destination="order"} 1' in metrics


def test_an_unsupported_field_stops_the_proxy_at_start_naming_the_file_and_field(tmp_path):
    policy_dir = tmp_path / "istio"
    policy_dir.mkdir()
    bad = virtual_service(mirror={"host": "order"})
    (policy_dir / "virtual-service-payment.yaml").write_text(yaml.safe_dump(bad))
    log = tmp_path / "mesh.log"

    process, _ = start_proxy(policy_dir, free_port(), log)
    try:
        exit_status = process.wait(15)
    finally:
        stop_process(process)

    assert exit_status == 2
    assert (
        f"{policy_dir / 'virtual-service-payment.yaml'}: spec.http[0].mirror is not supported "
        "by the local mesh proxy"
    ) in log.read_text()

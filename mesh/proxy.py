"""The running proxy: the policy in force, one listener per Istio host, and the admin server.

A request arriving on host H's listener is routed by H's VirtualService (or
Istio's default route when H has none), forwarded by the Forwarder, and
counted under its route and destination.
"""

from __future__ import annotations

import asyncio
import time

from mesh.config import Settings
from mesh.counters import MeshCounters
from mesh.forwarding import Forwarder
from mesh.headers import content_length, encode_upstream_request, response_fields
from mesh.http_server import Handler, HttpServer, IncomingRequest, OutgoingResponse
from mesh.policy_loader import load_directory
from mesh.policy_set import PolicySet
from mesh.upstream_transport import PoolTransport


class ListenError(RuntimeError):
    pass


class MeshProxy:
    def __init__(self, settings: Settings):
        """Loads MESH_POLICY_DIR; raises PolicyError if any file cannot be applied."""
        self.settings = settings
        self.counters = MeshCounters()
        self.transport = PoolTransport(settings.upstreams)
        self.forwarder = Forwarder(self.transport)
        self.policies = self.load_startup_policies()
        self.install(self.policies)
        self.ready = False
        self._servers: list[HttpServer] = []

    def load_startup_policies(self) -> PolicySet:
        return PolicySet.build(load_directory(self.settings.policy_dir), self.settings.upstreams)

    def reset(self) -> PolicySet:
        """Back to the start-up state: MESH_POLICY_DIR reloaded, no host ejected."""
        policies = self.load_startup_policies()
        self.forwarder.forget_outlier_state()
        self.install(policies)
        return policies

    def install(self, policies: PolicySet) -> None:
        """Make ``policies`` the policy in force for every request that arrives from now on."""
        self.policies = policies
        self.transport.configure(policies)
        for host in self.settings.upstreams:
            rule = policies.destination_rule_for(host)
            self.forwarder.configure_outlier_detection(host, rule.outlier if rule else None)

    async def start(self, admin: Handler) -> None:
        host = self.settings.host
        try:
            for istio_host, port in self.settings.listeners.items():
                await self._serve(
                    self.listener(istio_host), host, port, f"listener for host {istio_host}"
                )
            await self._serve(admin, host, self.settings.port, "admin API (PORT)")
        except ListenError:
            await self.stop()
            raise
        self.ready = True

    async def stop(self) -> None:
        self.ready = False
        servers, self._servers = self._servers, []
        await asyncio.gather(*(server.close() for server in servers))
        await self.transport.close()

    async def _serve(self, handler: Handler, host: str, port: int, what: str) -> None:
        server = HttpServer(handler)
        try:
            await server.start(host, port)
        except OSError as error:
            raise ListenError(
                f"cannot listen on {host}:{port} ({what}): {error.strerror or error}"
            ) from None
        self._servers.append(server)

    def listener(self, istio_host: str) -> Handler:
        async def handle(request: IncomingRequest) -> OutgoingResponse:
            started = time.perf_counter()
            policies = self.policies
            route = policies.route_for(istio_host, request.method, request.target)
            if route is None:
                service = policies.virtual_service_for(istio_host)
                counters = self.counters.for_route(
                    f"{service.name if service else '?'}/no-route", istio_host
                )
                counters.requests += 1
                counters.responses[404] += 1
                counters.observe_latency(time.perf_counter() - started)
                # Envoy's answer when no route of the host's VirtualService matches.
                return OutgoingResponse(404, (), b"")
            counters = self.counters.for_route(route.label, route.destination)
            counters.requests += 1
            payload = encode_upstream_request(request, istio_host)
            try:
                answer = await self.forwarder.forward(route, counters, payload, request.method)
            except asyncio.CancelledError:
                # The caller went away; Envoy logs such a request with response code 0.
                counters.responses[0] += 1
                counters.observe_latency(time.perf_counter() - started)
                raise
            counters.responses[answer.status] += 1
            counters.observe_latency(time.perf_counter() - started)
            return OutgoingResponse(
                answer.status,
                response_fields(answer.fields),
                answer.body,
                head_content_length=content_length(answer.fields),
            )

        return handle

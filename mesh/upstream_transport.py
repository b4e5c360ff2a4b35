"""One upstream attempt over a pooled keep-alive connection, failures named as Envoy names them.

The per-try timeout starts once the pool hands out a connection (Envoy starts
it when the pool is ready, so time spent waiting for a connection counts only
against the route's overall timeout). When it fires, the connection is closed,
which is all an HTTP/1.1 proxy can do: the upstream may go on working and even
finish the request, which is how a timed-out charge becomes a double charge.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from mesh.forwarding import AttemptFailed
from mesh.policy_model import PoolLimits
from mesh.policy_set import PolicySet
from mesh.retry_rules import Failure
from mesh.upstream_pool import PoolOverflow, UpstreamPool
from service_kit.http1_client import ConnectTimeout, HttpClientError, MalformedResponse, Response


class PoolTransport:
    def __init__(self, upstreams: Mapping[str, tuple[str, int]]):
        self.pools = {
            host: UpstreamPool(address, port) for host, (address, port) in upstreams.items()
        }

    def configure(self, policies: PolicySet) -> None:
        for host, pool in self.pools.items():
            rule = policies.destination_rule_for(host)
            pool.configure(rule.limits if rule is not None else PoolLimits())

    async def attempt(
        self, destination: str, payload: bytes, method: str, per_try_timeout_s: float | None
    ) -> Response:
        pool = self.pools[destination]
        try:
            connection = await pool.acquire()
        except PoolOverflow:
            raise AttemptFailed(Failure.OVERFLOW) from None
        try:
            async with asyncio.timeout(per_try_timeout_s):
                try:
                    await connection.ensure_connected()
                except (OSError, ConnectTimeout):
                    raise AttemptFailed(Failure.CONNECT_FAILURE) from None
                try:
                    return await connection.send_encoded(payload, method, None)
                except MalformedResponse:
                    raise AttemptFailed(Failure.PROTOCOL_ERROR) from None
                except (HttpClientError, OSError, EOFError):
                    raise AttemptFailed(Failure.RESET) from None
        except TimeoutError:
            raise AttemptFailed(Failure.PER_TRY_TIMEOUT) from None
        finally:
            pool.release(connection)

    async def close(self) -> None:
        await asyncio.gather(*(pool.close() for pool in self.pools.values()))

"""Keep-alive HTTP/1.1 connections to one upstream, bounded like Envoy's circuit breakers.

HTTP/1.1 carries one request at a time per connection, so maxConnections
bounds the requests in flight. A request that finds every allowed connection
busy waits, if fewer than http1MaxPendingRequests already wait; otherwise it
overflows at once (Envoy answers that with 503 and x-envoy-overloaded).
Unlike Envoy, a request that opens a new connection does not also occupy a
pending slot while connecting.
"""

from __future__ import annotations

import asyncio
from collections import deque

from mesh.policy_model import PoolLimits
from service_kit.http1_client import Connection

# Istio's default connectTimeout.
CONNECT_TIMEOUT_S = 10.0


class PoolOverflow(Exception):
    pass


class UpstreamPool:
    def __init__(self, host: str, port: int, limits: PoolLimits | None = None):
        self.host = host
        self.port = port
        self.limits = limits or PoolLimits()
        self._idle: list[Connection] = []
        self._uses: dict[Connection, int] = {}
        self._waiters: deque[asyncio.Future[Connection]] = deque()
        self.in_use = 0

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    def configure(self, limits: PoolLimits) -> None:
        """New limits apply to the next requests; requests in flight keep their connections."""
        self.limits = limits

    async def acquire(self) -> Connection:
        max_connections = self.limits.max_connections
        if max_connections is None or self.in_use < max_connections:
            self.in_use += 1
            return self._idle.pop() if self._idle else self._new_connection()
        max_pending = self.limits.max_pending_requests
        if max_pending is not None and len(self._waiters) >= max_pending:
            raise PoolOverflow(
                f"{self.host}:{self.port}: {self.in_use} in flight, {len(self._waiters)} waiting"
            )
        waiter: asyncio.Future[Connection] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            return await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                # It was handed a connection just as it was cancelled: pass that on.
                self.release(waiter.result())
            else:
                self._waiters.remove(waiter)
            raise

    def release(self, connection: Connection) -> None:
        uses = self._uses.get(connection, 0) + 1
        self._uses[connection] = uses
        limit = self.limits.max_requests_per_connection
        if limit is not None and uses >= limit:
            # Envoy closes a connection that has carried maxRequestsPerConnection requests.
            connection.drop_socket()
            self._uses[connection] = 0
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(connection)
                return
        self.in_use -= 1
        max_connections = self.limits.max_connections
        if max_connections is not None and self.in_use >= max_connections:
            # The limit was lowered while this connection was busy: retire it.
            self._forget(connection)
        else:
            self._idle.append(connection)

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for connection in idle:
            self._uses.pop(connection, None)
        await asyncio.gather(*(connection.close() for connection in idle))

    def _new_connection(self) -> Connection:
        connection = Connection(self.host, self.port, connect_timeout=CONNECT_TIMEOUT_S)
        self._uses[connection] = 0
        return connection

    def _forget(self, connection: Connection) -> None:
        self._uses.pop(connection, None)
        connection.drop_socket()

"""Calling the other services over HTTP, through whatever the peer base URLs point at.

No retries here: the mesh owns retries and timeouts (that is the point of the
ops team's mesh). The client only has its own, longer, overall timeout.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from shop.contracts import lines_json
from shop.order_request import RequestedLine


class PeerError(Exception):
    def __init__(self, service: str, message: str):
        super().__init__(f"{service}: {message}")
        self.service = service


class PeerRefused(PeerError):
    """The peer answered with a 4xx: a business answer (out of stock, declined) or a bug."""

    def __init__(self, service: str, status: int, body: dict[str, Any]):
        super().__init__(service, f"{status} {body.get('detail', body)}")
        self.status = status
        self.detail = str(body.get("detail", body))


class PeerFailed(PeerError):
    """No usable answer: 5xx, timeout, refused connection. The call may or may not have worked."""


class Peers:
    def __init__(self, client: httpx.AsyncClient, urls: dict[str, str]):
        self._client = client
        self._urls = urls

    async def _call(self, service: str, method: str, path: str, body: Any = None) -> Any:
        try:
            response = await self._client.request(method, self._urls[service] + path, json=body)
        except httpx.HTTPError as error:
            raise PeerFailed(service, f"{type(error).__name__} {error}".strip()) from None
        if response.status_code >= 500:
            raise PeerFailed(service, f"{response.status_code} {response.text[:200]}")
        try:
            payload = response.json()
        except ValueError:
            raise PeerFailed(service, f"{response.status_code} answer is not JSON") from None
        if response.status_code >= 400:
            raise PeerRefused(service, response.status_code, payload)
        return payload

    async def reserve(
        self, order_id: uuid.UUID, lines: tuple[RequestedLine, ...]
    ) -> dict[str, Any]:
        body = {"order_id": str(order_id), "lines": lines_json(lines)}
        return await self._call("inventory", "POST", "/reservations", body)

    async def release(self, reservation_id: str) -> dict[str, Any]:
        return await self._call("inventory", "POST", f"/reservations/{reservation_id}/release")

    async def charge(self, order_id: uuid.UUID, amount_cents: int, token: str) -> dict[str, Any]:
        body = {"order_id": str(order_id), "amount_cents": amount_cents, "payment_token": token}
        return await self._call("payment", "POST", "/payments", body)

    async def refund(self, payment_id: str) -> dict[str, Any]:
        return await self._call("payment", "POST", f"/payments/{payment_id}/refund")

    async def ship(self, order_id: uuid.UUID, lines: tuple[RequestedLine, ...]) -> dict[str, Any]:
        body = {"order_id": str(order_id), "lines": lines_json(lines)}
        return await self._call("fulfillment", "POST", "/shipments", body)

    async def notify(self, order_id: uuid.UUID, customer_id: str, message: str) -> dict[str, Any]:
        body = {"order_id": str(order_id), "customer_id": customer_id, "message": message}
        return await self._call("notification", "POST", "/notifications", body)

    async def products(self) -> list[dict[str, Any]]:
        return await self._call("inventory", "GET", "/products")

    async def records(self, service: str, path: str, order_id: uuid.UUID) -> list[dict[str, Any]]:
        return await self._call(service, "GET", f"{path}?order_id={order_id}")

"""The monolith's unit of work: the shared one, with the order repository as `orders`."""

from __future__ import annotations

from typing import Protocol

from psycopg_pool import AsyncConnectionPool

from monolith.repository import OrderRepository
from service_kit.unit_of_work import SqlUnitOfWork as _SqlUnitOfWork


class UnitOfWork(Protocol):
    orders: OrderRepository

    async def __aenter__(self) -> UnitOfWork: ...

    async def __aexit__(self, *exc_info: object) -> None: ...

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...


class SqlUnitOfWork(_SqlUnitOfWork[OrderRepository]):
    def __init__(self, pool: AsyncConnectionPool):
        super().__init__(pool, OrderRepository)

    @property
    def orders(self) -> OrderRepository:
        return self.repository

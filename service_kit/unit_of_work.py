"""The unit of work: one connection, one transaction; nothing is kept unless commit() is called."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from psycopg import AsyncConnection
from psycopg.pq import TransactionStatus
from psycopg_pool import AsyncConnectionPool

Repository = TypeVar("Repository")


class SqlUnitOfWork(Generic[Repository]):
    def __init__(
        self, pool: AsyncConnectionPool, make_repository: Callable[[AsyncConnection], Repository]
    ):
        self._pool = pool
        self._make_repository = make_repository
        self._connection: AsyncConnection | None = None

    async def __aenter__(self) -> SqlUnitOfWork[Repository]:
        # psycopg opens a transaction implicitly at the first statement.
        self._connection = await self._pool.getconn()
        self.repository = self._make_repository(self._connection)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._connection is not None
        try:
            # Leaving without commit() (an exception, an early return) discards everything.
            if self._connection.info.transaction_status != TransactionStatus.IDLE:
                await self._connection.rollback()
        finally:
            await self._pool.putconn(self._connection)
            self._connection = None

    @property
    def connection(self) -> AsyncConnection:
        """For what must share the transaction without being a repository (an outbox append)."""
        assert self._connection is not None
        return self._connection

    async def commit(self) -> None:
        assert self._connection is not None
        await self._connection.commit()

    async def rollback(self) -> None:
        assert self._connection is not None
        await self._connection.rollback()

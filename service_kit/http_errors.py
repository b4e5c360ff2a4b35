"""The one place where domain errors become HTTP status codes and JSON bodies."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from shop.errors import (
    Conflict,
    DependencyFailed,
    DomainError,
    IdempotencyKeyReused,
    InvalidRequest,
    NotFound,
    OrderInProgress,
    OrderNotFound,
    OutOfStock,
    PaymentDeclined,
    PaymentProviderError,
)
from shop.order_view import OrderView
from shop.status import OrderStatus

_STATUS_BY_ERROR: tuple[tuple[type[DomainError], int], ...] = (
    (InvalidRequest, 422),
    (IdempotencyKeyReused, 422),
    (OrderNotFound, 404),
    (OutOfStock, 409),
    (PaymentDeclined, 402),
    # The card processor failed, not the request: a gateway error, and the order is FAILED.
    (PaymentProviderError, 502),
    (DependencyFailed, 502),
    (OrderInProgress, 409),
    (NotFound, 404),
    (Conflict, 409),
)


class BodyError(Exception):
    """A request body that cannot even be read as an order (HTTP-level, not domain)."""

    def __init__(self, status_code: int, message: str):
        super().__init__(message)
        self.status_code = status_code
        self.message = message


def status_for(error: DomainError) -> int:
    for error_type, status in _STATUS_BY_ERROR:
        if isinstance(error, error_type):
            return status
    return 500


def error_body(error: DomainError, order: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"detail": error.message, "code": error.code}
    field = getattr(error, "field", None)
    if field is not None:
        body["field"] = field
    if order is not None:
        body["order"] = order
    return body


def install_error_handlers(app: FastAPI) -> None:
    async def on_domain_error(_: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, DomainError)
        return JSONResponse(error_body(error), status_code=status_for(error))

    async def on_body_error(_: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, BodyError)
        return JSONResponse(
            {"detail": error.message, "code": "invalid_body"}, status_code=error.status_code
        )

    app.add_exception_handler(DomainError, on_domain_error)
    app.add_exception_handler(BodyError, on_body_error)


_STATUS_BY_CODE = {error_type.code: status for error_type, status in _STATUS_BY_ERROR}


def order_response(view: OrderView, replayed: bool = False) -> JSONResponse:
    """The answer to POST /orders, from the order's status; a replay answers as the first did."""
    headers = {"Idempotent-Replayed": "true"} if replayed else None
    order = view.to_json()
    if view.status is OrderStatus.CONFIRMED:
        return JSONResponse(order, status_code=201, headers=headers)
    if view.status is OrderStatus.PENDING:
        return JSONResponse(order, status_code=202, headers=headers)
    code = view.reason_code or "order_failed"
    body = {"detail": view.reason or f"the order is {view.status}", "code": code, "order": order}
    return JSONResponse(body, status_code=_STATUS_BY_CODE.get(code, 500), headers=headers)

"""Domain errors. Each carries a stable machine-readable code and a message a person can act on.

The mapping of these errors to HTTP status codes lives in one place per
deployable unit (service_kit/http_errors.py), never in the domain.
"""

from __future__ import annotations


class DomainError(Exception):
    code = "domain_error"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class InvalidRequest(DomainError):
    """The request cannot be processed as sent: nothing was written."""

    code = "invalid_request"

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class IdempotencyKeyReused(DomainError):
    """The Idempotency-Key was first used with a different request body."""

    code = "idempotency_key_reused"


class OrderNotFound(DomainError):
    code = "order_not_found"


class OrderRejected(DomainError):
    """A business rejection: the order record exists with status REJECTED."""

    code = "order_rejected"


class OutOfStock(OrderRejected):
    code = "out_of_stock"

    def __init__(self, sku: str, requested: int, available: int):
        super().__init__(
            f"only {available} of {sku} in stock, {requested} requested; "
            "order fewer or choose another product"
        )
        self.sku = sku
        self.requested = requested
        self.available = available


class PaymentDeclined(OrderRejected):
    code = "payment_declined"

    def __init__(self, reason: str):
        super().__init__(f"the card was declined ({reason}); try another card")
        self.reason = reason


class PaymentProviderError(DomainError):
    """A technical failure of the (simulated) card processor, not a decline."""

    code = "payment_provider_error"


class DependencyFailed(DomainError):
    """A service this one depends on failed or did not answer in time (distributed variant)."""

    code = "dependency_failed"


class OrderInProgress(DomainError):
    """A retry arrived while the first request with the same Idempotency-Key still runs."""

    code = "order_in_progress"


class NotFound(DomainError):
    """A resource a service was asked about does not exist."""

    code = "not_found"


class Conflict(DomainError):
    """The request does not fit the resource's current state (e.g. releasing twice)."""

    code = "conflict"

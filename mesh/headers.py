"""Which headers a hop passes on, and the request bytes sent upstream.

Hop-by-hop headers (RFC 9110 section 7.6.1, and any header the Connection
header names) belong to one connection and are dropped; the proxy frames
bodies itself (Content-Length), adds the caller to X-Forwarded-For, and keeps
every other header, Idempotency-Key and traceparent included, in order.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from mesh.http_server import IncomingRequest

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)


def _connection_named(fields: Iterable[tuple[str, str]]) -> frozenset[str]:
    named = set()
    for name, value in fields:
        if name == "connection":
            named.update(token.strip().lower() for token in value.split(","))
    return frozenset(named)


def encode_upstream_request(request: IncomingRequest, host: str) -> bytes:
    """The request as the upstream receives it; the same bytes serve every attempt."""
    dropped = HOP_BY_HOP | _connection_named(request.fields)
    lines = [f"{request.method} {request.target} HTTP/1.1\r\n"]
    forwarded_for = None
    has_host = False
    for name, value in request.fields:
        if name in dropped or name == "content-length":
            continue
        if name == "x-forwarded-for":
            forwarded_for = f"{forwarded_for}, {value}" if forwarded_for else value
            continue
        has_host = has_host or name == "host"
        lines.append(f"{name}: {value}\r\n")
    if not has_host:
        lines.append(f"host: {host}\r\n")
    client = request.client_ip
    lines.append(
        f"x-forwarded-for: {forwarded_for}, {client}\r\n"
        if forwarded_for
        else f"x-forwarded-for: {client}\r\n"
    )
    lines.append(f"content-length: {len(request.body)}\r\n\r\n")
    return "".join(lines).encode("latin-1") + request.body


def response_fields(fields: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """The upstream response's headers minus hop-by-hop ones; framing is the server's."""
    dropped = HOP_BY_HOP | _connection_named(fields) | {"content-length"}
    return [(name, value) for name, value in fields if name not in dropped]


def content_length(fields: Sequence[tuple[str, str]]) -> str | None:
    for name, value in fields:
        if name == "content-length":
            return value
    return None

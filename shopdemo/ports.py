"""Free loopback ports: for the launcher's checks, the benchmarks' own stacks and the tests."""

from __future__ import annotations

import errno
import random
import socket
from dataclasses import dataclass
from pathlib import Path

# Where the kernel picks the local ports of outgoing connections (Linux); a stack's ports
# chosen in that range could be taken by some client's connection before its server binds.
_EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
_EPHEMERAL_DEFAULT_LOW = 32768


@dataclass(frozen=True)
class ListenProblem:
    in_use: bool  # another program holds the port (else: the address itself is unusable)
    message: str


def listen_problem(host: str, port: int) -> ListenProblem | None:
    """Why a server could not listen on host:port now, or None if it could."""
    try:
        addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        return ListenProblem(False, f"cannot resolve the listen address {host!r}: {error}")
    for family, kind, protocol, _, address in addresses:
        with socket.socket(family, kind, protocol) as probe:
            # The servers bind with SO_REUSEADDR, so a port only in TIME_WAIT is free for them.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(address)
            except OSError as error:
                if error.errno == errno.EADDRINUSE:
                    return ListenProblem(
                        True, f"port {port} on {host} is already in use by another program"
                    )
                return ListenProblem(False, f"cannot listen on {host}:{port}: {error}")
    return None


def port_is_free(host: str, port: int) -> bool:
    return listen_problem(host, port) is None


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def free_port_base(span: int = 200, host: str = "127.0.0.1") -> int:
    """A base B such that B .. B+span are all free (unit ports are base + offset; the
    console's offset is 0)."""
    highest = _ephemeral_low() - span - 1
    for _ in range(200):
        base = random.randrange(10000, highest, 10)
        if all(port_is_free(host, base + offset) for offset in range(span + 1)):
            return base
    raise RuntimeError("no free block of ports found")


def _ephemeral_low() -> int:
    try:
        low = int(_EPHEMERAL_RANGE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return _EPHEMERAL_DEFAULT_LOW
    # A range set very low leaves no room below it: stay above the well-known ports then.
    return max(low, 12000)

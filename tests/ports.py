"""Free loopback ports for the processes the tests start, away from a developer's own stack."""

from __future__ import annotations

import random
import socket


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def free_port_base(span: int = 200) -> int:
    """A base B such that B+1 .. B+span are all free (unit ports are base + offset)."""
    for _ in range(200):
        base = random.randrange(20000, 40000, 10)
        if all(port_is_free(base + offset) for offset in range(1, span + 1)):
            return base
    raise RuntimeError("no free block of ports found")

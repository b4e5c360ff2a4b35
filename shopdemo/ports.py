"""Free loopback ports: for the launcher's checks, the benchmarks' own stacks and the tests."""

from __future__ import annotations

import random
import socket


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # The servers bind with SO_REUSEADDR, so a port only in TIME_WAIT is free for them.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def free_port_base(span: int = 200, host: str = "127.0.0.1") -> int:
    """A base B such that B .. B+span are all free (unit ports are base + offset; the
    console's offset is 0)."""
    for _ in range(200):
        base = random.randrange(20000, 40000, 10)
        if all(port_is_free(host, base + offset) for offset in range(span + 1)):
            return base
    raise RuntimeError("no free block of ports found")

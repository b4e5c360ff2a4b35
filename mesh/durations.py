"""Durations as Istio writes them (`5s`, `250ms`, `1.5s`, `1m`, `1h30m`), in seconds.

Istio's CRDs check durations with CEL's `duration()`, which takes Go's
duration syntax, and require at least 1 ms; the proxy accepts exactly that.
"""

from __future__ import annotations

import re

_SECONDS_PER_UNIT = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_SHORTEST_S = 0.001


def parse_duration(text: str) -> float:
    """Seconds in ``text``; ValueError with a readable reason if it is not a duration >= 1ms."""
    if not isinstance(text, str) or not text:
        raise ValueError(f"{text!r} is not a duration (write it like 5s, 250ms or 1m)")
    position = 0
    seconds = 0.0
    while position < len(text):
        part = _PART.match(text, position)
        if part is None:
            raise ValueError(f"{text!r} is not a duration (write it like 5s, 250ms or 1m)")
        seconds += float(part.group(1)) * _SECONDS_PER_UNIT[part.group(2)]
        position = part.end()
    # A little slack for binary fractions such as 0.001.
    if seconds < _SHORTEST_S - 1e-12:
        raise ValueError(f"{text!r} must be a valid duration greater than 1ms")
    return seconds

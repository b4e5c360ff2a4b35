"""What `shopdemo up` can start: each variant and its deployable units.

A unit is one process with its own database (and database role) and its own
port. The launcher passes it the same environment variables that compose and
k8s set, and nothing else differs.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Unit:
    name: str  # process and log name, e.g. "monolith"
    module: str  # started as `python -m <module>`
    database: str  # its database and its role share this name
    port_offset: int  # its port is SHOPDEMO_PORT_BASE + port_offset
    public: bool = False  # serves the variant's public API


@dataclass(frozen=True)
class Variant:
    name: str
    units: tuple[Unit, ...]

    @property
    def entry(self) -> Unit:
        return next(unit for unit in self.units if unit.public)


VARIANTS: dict[str, Variant] = {
    "monolith": Variant(
        "monolith", (Unit("monolith", "monolith", "monolith", port_offset=1, public=True),)
    ),
}

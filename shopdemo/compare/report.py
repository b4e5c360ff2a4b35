"""The comparison as one document: how it was run, each run's figures, the reading."""

from __future__ import annotations

import json
import os
import platform
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from shopdemo.compare.figures import RunFigures
from shopdemo.compare.scenarios import SCENARIOS
from shopdemo.compare.traffic import LOAD_MODEL, MIX_STATEMENT

CAVEAT = (
    "median of one: every figure is one run's, on one machine; a second run may differ by"
    " some tens of percent. Read differences of several times, not of a few percent."
)
RESOURCES_STATEMENT = (
    "CPU seconds and peak memory (PSS, sampled every 0.5 s) cover the variant's own unit"
    " processes (the mesh included for the distributed variant), not PostgreSQL or Kafka,"
    " which the variants share on this machine"
)


@dataclass
class Comparison:
    started_at: datetime
    duration_s: float
    rate_per_s: float
    runs: list[RunFigures]
    reading: list[str] = field(default_factory=list)
    cores: int = field(default_factory=lambda: os.cpu_count() or 0)
    python: str = field(default_factory=platform.python_version)

    @property
    def variants(self) -> list[str]:
        return list(dict.fromkeys(run.variant for run in self.runs))

    @property
    def scenarios(self) -> list[str]:
        return list(dict.fromkeys(run.scenario for run in self.runs))

    def to_json(self) -> dict[str, Any]:
        return {
            "started_at": self.started_at.isoformat(),
            "machine": {"cores": self.cores, "python": self.python},
            "duration_s": self.duration_s,
            "rate_per_s": self.rate_per_s,
            "load_model": LOAD_MODEL,
            "traffic_mix": MIX_STATEMENT,
            "resources": RESOURCES_STATEMENT,
            "caveat": CAVEAT,
            "scenarios": {
                name: SCENARIOS[name].description if name in SCENARIOS else ""
                for name in self.scenarios
            },
            "variants": self.variants,
            "runs": [run.to_json() for run in self.runs],
            "reading": list(self.reading),
        }


def write_json(comparison: Comparison, folder: Path) -> Path:
    path = folder / "report.json"
    path.write_text(json.dumps(comparison.to_json(), indent=2) + "\n")
    return path

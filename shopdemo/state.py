"""What the launcher started, kept in a JSON file so that later commands find it."""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from shopdemo.processes import ProcessRecord


@dataclass
class StackState:
    units: dict[str, ProcessRecord] = field(default_factory=dict)
    urls: dict[str, str] = field(default_factory=dict)  # unit name -> base URL
    postgres: dict[str, object] = field(default_factory=dict)
    kafka: dict[str, object] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> StackState:
        if not path.exists():
            return cls()
        raw = json.loads(path.read_text())
        return cls(
            units={name: ProcessRecord.from_json(rec) for name, rec in raw["units"].items()},
            urls=dict(raw["urls"]),
            postgres=dict(raw.get("postgres", {})),
            kafka=dict(raw.get("kafka", {})),
        )

    def save(self, path: Path) -> None:
        _write_atomically(
            path,
            json.dumps(
                {
                    "units": {name: rec.to_json() for name, rec in self.units.items()},
                    "urls": self.urls,
                    "postgres": self.postgres,
                    "kafka": self.kafka,
                },
                indent=2,
            ),
        )


def unit_password(path: Path, database: str) -> str:
    """A password per unit role, generated once and kept (mode 0600) for later starts."""
    passwords: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    if database not in passwords:
        passwords[database] = secrets.token_urlsafe(18)
        _write_atomically(path, json.dumps(passwords, indent=2), mode=0o600)
    return passwords[database]


def _write_atomically(path: Path, text: str, mode: int = 0o644) -> None:
    # Write-then-rename: a crash mid-write never leaves a half-written state file.
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_text(text)
    os.chmod(temporary, mode)
    os.replace(temporary, path)

"""The console's settings, read once from environment variables (the same names in compose).

- `HOST`, `PORT`: where the console listens (default 127.0.0.1:8000).
- `CONSOLE_VARIANTS` (required): `variant=base URL,...`, each variant's public API.
- `CONSOLE_UNITS`: `unit=base URL,...`, each unit's own URL (health, /metrics, the
  payment-fault knobs; `mesh`: the mesh's admin API).
- `CONSOLE_DATABASE_URLS`: `database=URL,...`, each unit database as the unit's own
  role (live order figures, stock, the audit).
- `CONSOLE_REPORTS_DIR`: where `shopdemo compare` writes (default: reports/ in the checkout).
- `CONSOLE_POLICY_DIR`: the Istio files the mesh may apply (default: istio/ in the checkout).
- `CONSOLE_REFRESH_MS`: how often the page polls and the console samples (default 2000).
- `CONSOLE_AUDIT_EVERY_S`: how often the audit runs while someone watches (default 15).
- `SHOPDEMO_HOME` and the launcher's other `SHOPDEMO_*`: set only by `shopdemo up`;
  they enable kill and restart.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from service_kit.settings import ConfigError, env_int, env_str, environment
from shopdemo.config import LauncherConfig
from shopdemo.units import VARIANTS, find_unit

UNIT = "console"
CHECKOUT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Settings:
    host: str
    port: int
    variants: dict[str, str]  # variant name -> public base URL
    units: dict[str, str] = field(default_factory=dict)  # unit name -> base URL
    database_urls: dict[str, str] = field(default_factory=dict)  # database -> SQLAlchemy URL
    reports_dir: Path = CHECKOUT / "reports"
    policy_dir: Path = CHECKOUT / "istio"
    refresh_ms: int = 2000
    audit_every_s: int = 15
    launcher: LauncherConfig | None = None  # present only under `shopdemo up`

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = environment() if env is None else env
        variants = parse_pairs("CONSOLE_VARIANTS", env_str(env, "CONSOLE_VARIANTS"))
        unknown = sorted(set(variants) - set(VARIANTS))
        if unknown:
            raise ConfigError(
                f"CONSOLE_VARIANTS names unknown variant(s) {', '.join(unknown)};"
                f" known: {', '.join(VARIANTS)}"
            )
        units = parse_pairs("CONSOLE_UNITS", _optional(env, "CONSOLE_UNITS"))
        strangers = sorted(name for name in units if find_unit(name) is None)
        if strangers:
            raise ConfigError(f"CONSOLE_UNITS names unknown unit(s) {', '.join(strangers)}")
        home = _optional(env, "SHOPDEMO_HOME")
        return cls(
            host=env_str(env, "HOST", "127.0.0.1"),
            port=env_int(env, "PORT", 8000, minimum=1, maximum=65535),
            variants=variants,
            units=units,
            database_urls=parse_pairs(
                "CONSOLE_DATABASE_URLS", _optional(env, "CONSOLE_DATABASE_URLS")
            ),
            reports_dir=Path(env_str(env, "CONSOLE_REPORTS_DIR", str(CHECKOUT / "reports"))),
            policy_dir=Path(env_str(env, "CONSOLE_POLICY_DIR", str(CHECKOUT / "istio"))),
            refresh_ms=env_int(env, "CONSOLE_REFRESH_MS", 2000, minimum=500, maximum=60000),
            audit_every_s=env_int(env, "CONSOLE_AUDIT_EVERY_S", 15, minimum=2, maximum=3600),
            # The launcher's own loader reads its SHOPDEMO_* names from this same mapping.
            launcher=LauncherConfig.from_env(env) if home else None,
        )


def parse_pairs(name: str, raw: str) -> dict[str, str]:
    """`a=x,b=y` -> {"a": "x", "b": "y"}; values may contain `=` (URLs with queries)."""
    pairs: dict[str, str] = {}
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        key, equals, value = item.partition("=")
        if not equals or not key.strip() or not value.strip():
            raise ConfigError(f"{name}: {item!r} is not name=value (write {name}=a=x,b=y)")
        pairs[key.strip()] = value.strip()
    return pairs


def _optional(env: Mapping[str, str], name: str) -> str:
    # Absent and empty mean the same: the feature that needs it is shown as unavailable.
    return env.get(name) or ""

"""What the page asks for, checked before anything is sent: which variants, which units.

Each check raises the domain's InvalidRequest (422, with the field) or Conflict (409)
with a sentence the page shows as it is.
"""

from __future__ import annotations

from typing import Any

from console.topology import Column
from shop.errors import Conflict, InvalidRequest


def running_columns(columns: list[Column], snapshot: dict[str, Any]) -> list[Column]:
    running = {c["variant"] for c in snapshot.get("columns", []) if c.get("running")}
    return [column for column in columns if column.variant in running]


def chosen_variants(raw: Any, columns: list[Column], running: list[Column]) -> dict[str, str]:
    """variant -> base URL for `raw` ("all", or a list of variant names that run)."""
    known = [column.variant for column in columns]
    if raw == "all" or raw is None:
        if not running:
            raise Conflict("no variant is running; start them with `shopdemo up`")
        return {column.variant: column.base_url for column in running}
    if not isinstance(raw, list) or not raw or not all(isinstance(v, str) for v in raw):
        raise InvalidRequest('variants must be "all" or a list of variant names', "variants")
    unknown = [name for name in raw if name not in known]
    if unknown:
        raise InvalidRequest(
            f"unknown variant(s) {', '.join(unknown)}; the console knows {', '.join(known)}",
            "variants",
        )
    up = {column.variant: column.base_url for column in running}
    stopped = [name for name in raw if name not in up]
    if stopped:
        raise Conflict(f"not running: {', '.join(stopped)}; start with `shopdemo up`")
    return {name: up[name] for name in dict.fromkeys(raw)}


def payment_units(running: list[Column]) -> dict[str, str]:
    """unit name -> URL of each running variant's card-processor unit."""
    return {
        column.payment_unit: column.units[column.payment_unit]
        for column in running
        if column.payment_unit in column.units
    }


def object_body(raw: Any, fields: set[str]) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise InvalidRequest(f"send a JSON object with {', '.join(sorted(fields))}")
    unknown = sorted(set(raw) - fields)
    if unknown:
        raise InvalidRequest(
            f"unknown field(s) {', '.join(unknown)}; allowed: {', '.join(sorted(fields))}"
        )
    return raw

"""`shopdemo audit`: audit the local stack's variants, connecting as each unit's own role."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime

import psycopg

from shopdemo import postgres, stack
from shopdemo.audit.report import AuditReport
from shopdemo.audit.snapshot import AuditError, Connect
from shopdemo.audit.variant_audit import audit_variant
from shopdemo.config import LauncherConfig
from shopdemo.state import StackState

CONNECT_TIMEOUT_S = 5


def audit_stack(
    config: LauncherConfig, variant_names: Iterable[str] | None, pending_after_s: float
) -> list[AuditReport]:
    """Audit the named variants, or every running one; LauncherError when one cannot be read."""
    if not pending_after_s >= 0:  # written so that NaN is refused too
        raise stack.LauncherError(f"--pending-after is {pending_after_s:g}; it must be 0 or more")
    names = (
        [variant.name for variant in stack.select_variants(variant_names)]
        if variant_names
        else list(stack.running_variants(config))
    )
    if not names:
        raise stack.LauncherError(
            "no variant is running; start one with `shopdemo up`, or name one with --variant"
            " to audit its databases anyway"
        )
    connect = unit_connector(config)
    reports = []
    for name in names:
        try:
            # Each variant's own clock reading: its pending ages are as of its own reading.
            reports.append(audit_variant(name, connect, datetime.now(UTC), pending_after_s))
        except AuditError as error:
            hint = ""
            if isinstance(error.__cause__, psycopg.OperationalError):
                hint = " (`shopdemo status` shows whether the stack's PostgreSQL runs)"
            raise stack.LauncherError(f"audit of {name}: {error}{hint}") from None
    return reports


def unit_connector(config: LauncherConfig) -> Connect:
    """connect(database) as the unit's own role, with the password the launcher made for it."""
    host, port = postgres_address(config)

    def connect(database: str) -> psycopg.Connection:
        return psycopg.connect(
            host=host,
            port=port,
            dbname=database,
            user=database,
            password=known_password(config, database),
            connect_timeout=CONNECT_TIMEOUT_S,
        )

    return connect


def postgres_address(config: LauncherConfig) -> tuple[str, int]:
    """The server `shopdemo up` uses: the external one named by the environment, else the
    embedded one where the state file recorded it, else where the config says it listens."""
    external = postgres.external_from_env()
    if external is not None:
        return external.host, external.port
    recorded = StackState.load(config.state_file).postgres
    if recorded.get("host") and recorded.get("port"):
        return str(recorded["host"]), int(str(recorded["port"]))
    return config.host, config.pg_port


def known_password(config: LauncherConfig, database: str) -> str:
    # Not shopdemo.state.unit_password: that makes up and saves a password for a database
    # it has not seen, and an audit must change nothing.
    path = config.credentials_file
    passwords = json.loads(path.read_text()) if path.exists() else {}
    if database not in passwords:
        raise AuditError(
            f"no password for database {database!r} in {path}: `shopdemo up` has not created it"
        )
    return passwords[database]


def as_json(reports: list[AuditReport]) -> str:
    return json.dumps({report.variant: report.to_json() for report in reports}, indent=2)


def as_tables(reports: list[AuditReport]) -> str:
    return "\n\n".join(report.to_table() for report in reports)

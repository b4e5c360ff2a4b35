"""What an audit found: counts per anomaly kind with a few examples, as JSON or as a table."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shopdemo.audit.kinds import MEANING, Anomaly

# Enough to look a few up by hand; a long list would bury the table.
MAX_EXAMPLES = 5


@dataclass
class Finding:
    count: int = 0
    examples: list[str] = field(default_factory=list)


class Findings:
    """Every anomaly kind with its count, zero included, so the JSON shape never changes."""

    def __init__(self) -> None:
        self.by_kind: dict[Anomaly, Finding] = {kind: Finding() for kind in Anomaly}

    def add(self, kind: Anomaly, example: object) -> None:
        finding = self.by_kind[kind]
        finding.count += 1
        if len(finding.examples) < MAX_EXAMPLES:
            finding.examples.append(str(example))

    def count(self, kind: Anomaly) -> int:
        return self.by_kind[kind].count

    def examples(self, kind: Anomaly) -> list[str]:
        return self.by_kind[kind].examples


@dataclass(frozen=True)
class Pending:
    count: int
    oldest_age_s: float | None  # None when nothing is pending
    stuck_after_s: float


@dataclass(frozen=True)
class AuditReport:
    variant: str
    audited_at: datetime
    orders_by_status: dict[str, int]
    pending: Pending
    findings: Findings
    dead_letters_by_database: dict[str, int] | None
    notes: list[str]

    @property
    def found(self) -> dict[Anomaly, Finding]:
        """Only the kinds with a count, in the order of the Anomaly enum."""
        return {kind: finding for kind, finding in self.findings.by_kind.items() if finding.count}

    @property
    def anomaly_count(self) -> int:
        return sum(finding.count for finding in self.findings.by_kind.values())

    @property
    def clean(self) -> bool:
        return self.anomaly_count == 0

    def to_json(self) -> dict[str, Any]:
        return {
            "variant": self.variant,
            "audited_at": self.audited_at.isoformat(),
            "clean": self.clean,
            "orders": {
                "total": sum(self.orders_by_status.values()),
                "by_status": dict(sorted(self.orders_by_status.items())),
            },
            "pending": {
                "count": self.pending.count,
                "oldest_age_s": _rounded(self.pending.oldest_age_s),
                "stuck_after_s": self.pending.stuck_after_s,
            },
            "anomalies": {
                kind.value: {"count": finding.count, "examples": list(finding.examples)}
                for kind, finding in self.findings.by_kind.items()
            },
            "dead_letters_by_database": self.dead_letters_by_database,
            "notes": list(self.notes),
        }

    def to_table(self) -> str:
        total = sum(self.orders_by_status.values())
        statuses = ", ".join(f"{s} {n}" for s, n in sorted(self.orders_by_status.items()))
        lines = [f"{self.variant}: {total} orders" + (f" ({statuses})" if statuses else "")]
        if self.pending.count:
            lines.append(
                f"  pending: {self.pending.count}, the oldest for {self.pending.oldest_age_s:.1f} s"
                f" (stuck after {self.pending.stuck_after_s:g} s)"
            )
        found = list(self.found.items())
        if not found:
            lines.append("  no anomaly found")
        else:
            width = max(len(kind) for kind, _ in found)
            lines.append(f"  {'anomaly':<{width}}  {'count':>5}  examples")
            lines.append(f"  {'-' * width}  {'-' * 5}  {'-' * 8}")
            for kind, finding in found:
                lines.append(
                    f"  {kind:<{width}}  {finding.count:>5}  {', '.join(finding.examples)}"
                )
            lines.append("")
            lines.extend(f"  {kind}: {MEANING[kind]}" for kind, _ in found)
        if self.dead_letters_by_database is not None:
            figures = ", ".join(f"{db} {n}" for db, n in self.dead_letters_by_database.items())
            lines.append(f"  dead letters: {figures}")
        lines.extend(f"  note: {note}" for note in self.notes)
        return "\n".join(lines)


def _rounded(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds, 3)

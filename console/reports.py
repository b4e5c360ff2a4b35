"""The comparison reports `shopdemo compare` wrote: a list, and one report's files.

A report is a folder with a report.json (and report.md, report.html) in the reports
folder. Files are served only from a folder in that list, by the three known names.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from shop.errors import NotFound

FILES = ("report.html", "report.md", "report.json")


def list_reports(reports_dir: Path) -> list[dict[str, Any]]:
    if not reports_dir.is_dir():
        return []
    found = []
    for folder in sorted(reports_dir.iterdir(), reverse=True):
        summary = folder / "report.json"
        if not summary.is_file():
            continue
        try:
            report = json.loads(summary.read_text())
        except (OSError, ValueError):
            continue
        found.append(
            {
                "name": folder.name,
                "started_at": report.get("started_at"),
                "duration_s": report.get("duration_s"),
                "rate_per_s": report.get("rate_per_s"),
                "scenarios": list(report.get("scenarios", {})),
                "variants": report.get("variants", []),
                "reading": report.get("reading", [])[:3],
                "files": [name for name in FILES if (folder / name).is_file()],
            }
        )
    return found


def report_file(reports_dir: Path, name: str, file: str) -> Path:
    known = {report["name"]: report["files"] for report in list_reports(reports_dir)}
    if name not in known or file not in known[name]:
        raise NotFound(f"no report file {name}/{file}; the list is at /api/reports")
    return reports_dir / name / file

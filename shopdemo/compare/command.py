"""Running a whole comparison: every scenario, every variant in turn, then the report files."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from shopdemo import stack
from shopdemo.compare.figures import RunFigures
from shopdemo.compare.html_report import write_html
from shopdemo.compare.markdown import write_markdown
from shopdemo.compare.reading import reading
from shopdemo.compare.report import Comparison, write_json
from shopdemo.compare.run import LoadProfile, restore_normal, run_one
from shopdemo.compare.scenarios import select_scenarios
from shopdemo.compare.settle import SETTLE_BOUND_S
from shopdemo.config import LauncherConfig
from shopdemo.stack import Say

CHECKOUT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class CompareRequest:
    duration_s: float
    rate_per_s: float
    scenarios: list[str] | None
    variants: list[str] | None
    output: Path | None
    settle_bound_s: float = SETTLE_BOUND_S


def default_output(started_at: datetime) -> Path:
    return CHECKOUT / "reports" / started_at.strftime("%Y%m%dT%H%M%SZ")


def run_comparison(
    config: LauncherConfig, request: CompareRequest, say: Say
) -> tuple[Comparison, Path]:
    if not (request.duration_s > 0 and request.rate_per_s > 0):
        raise stack.LauncherError("--duration and --rate must be more than 0")
    try:
        scenarios = select_scenarios(request.scenarios)
    except ValueError as error:
        raise stack.LauncherError(str(error)) from None
    running = stack.running_variants(config)
    names = [variant.name for variant in stack.select_variants(request.variants)]
    if request.variants:
        missing = [name for name in names if name not in running]
        if missing:
            raise stack.LauncherError(
                f"not running: {', '.join(missing)}; start with `shopdemo up`"
            )
    else:
        names = [name for name in names if name in running]
    if not names:
        raise stack.LauncherError("no variant is running; start them with `shopdemo up`")
    started_at = datetime.now(UTC)
    folder = request.output or default_output(started_at)
    folder.mkdir(parents=True, exist_ok=True)
    profile = LoadProfile(request.duration_s, request.rate_per_s)
    runs: list[RunFigures] = []
    try:
        for scenario in scenarios:
            for name in names:
                say(f"{scenario.name}: {name} ...")
                runs.append(
                    run_one(config, scenario, name, running[name], profile, request.settle_bound_s)
                )
    finally:
        # Whatever failed above, the stack goes back to its normal state.
        restore_normal(config)
    comparison = Comparison(started_at, request.duration_s, request.rate_per_s, runs)
    comparison.reading = reading(runs)
    write_json(comparison, folder)
    write_markdown(comparison, folder)
    write_html(comparison, folder)
    return comparison, folder

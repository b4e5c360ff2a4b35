"""`shopdemo`: run the three variants locally, with an embedded PostgreSQL, no Docker needed."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from shop.errors import InvalidRequest
from shop.payment_provider import NO_FAULT, PaymentFault
from shopdemo import postgres, stack
from shopdemo.audit.launcher import as_json, as_tables, audit_stack
from shopdemo.compare.command import CompareRequest, run_comparison
from shopdemo.compare.scenarios import SCENARIOS
from shopdemo.compare.summary import summary_table
from shopdemo.config import LauncherConfig
from shopdemo.demo import run_demo
from shopdemo.faults import apply_payment_fault
from shopdemo.mesh_commands import apply_policy, reset_policies, show_counters
from shopdemo.processes import kill_hard, log_tail
from shopdemo.state import StackState
from shopdemo.units import VARIANTS


def say(message: str) -> None:
    print(message, flush=True)


def _up(config: LauncherConfig, args: argparse.Namespace) -> int:
    running = stack.up(config, args.variant, say, console=True)
    say("")
    for variant, url in running.items():
        say(f"{variant:<14} {url}   (API docs: {url}/docs)")
    say(f"{'console':<14} {stack.console_url(config)}   (the workshop console: open it)")
    say("\nStop everything with: shopdemo down")
    return 0


def _down(config: LauncherConfig, _: argparse.Namespace) -> int:
    stack.down(config, say)
    return 0


def _status(config: LauncherConfig, args: argparse.Namespace) -> int:
    if args.json and args.units:
        urls = {name: url for name, (_, url, alive) in stack.unit_records(config).items() if alive}
        print(json.dumps(urls))
        return 0
    if args.json:
        running: dict[str, str] = stack.running_variants(config)
        console = stack.console_url(config)
        if console is not None:
            running["console"] = console
        print(json.dumps(running))
        return 0
    units = stack.unit_records(config)
    pg = postgres.running_embedded(config.pg_data)
    say(f"postgres  {'running, pid ' + str(pg.pid) if pg else 'not running (embedded)'}")
    if not units:
        say("no unit started; run `shopdemo up`")
    for name, (record, url, alive) in units.items():
        say(f"{name:<26} {'up  ' if alive else 'DOWN'} pid {record.pid:<8} {url}")
    return 0


def _logs(config: LauncherConfig, args: argparse.Namespace) -> int:
    path = config.logs / f"{args.name}.log"
    if not path.exists():
        known = sorted(p.stem for p in config.logs.glob("*.log")) if config.logs.exists() else []
        raise stack.LauncherError(
            f"no log for {args.name!r}; known: {', '.join(known) or 'none (run shopdemo up)'}"
        )
    say(log_tail(path, args.lines))
    if args.follow:
        _follow(path)
    return 0


def _follow(path: Path) -> None:
    with open(path, errors="replace") as log:
        log.seek(0, 2)
        try:
            while True:
                line = log.readline()
                if line:
                    sys.stdout.write(line)
                    sys.stdout.flush()
                else:
                    time.sleep(0.2)
        except KeyboardInterrupt:
            pass


def _fault(config: LauncherConfig, args: argparse.Namespace) -> int:
    if args.target == "clear":
        fault = NO_FAULT
    else:
        fault = PaymentFault(latency_ms=args.latency_ms, failure_rate=args.failure_rate)
    apply_payment_fault(config, fault, say)
    return 0


def _mesh(config: LauncherConfig, args: argparse.Namespace) -> int:
    if args.action == "apply":
        apply_policy(config, Path(args.file), say)
    elif args.action == "reset":
        reset_policies(config, say)
    else:
        show_counters(config, say)
    return 0


def _kill(config: LauncherConfig, args: argparse.Namespace) -> int:
    record = StackState.load(config.state_file).units.get(args.name)
    if record is None or not kill_hard(record):
        raise stack.LauncherError(f"{args.name} is not running")
    say(f"{args.name}: killed with SIGKILL (pid {record.pid}); `shopdemo up` starts it again")
    return 0


def _demo(config: LauncherConfig, args: argparse.Namespace) -> int:
    running = stack.up(config, args.variant, say, console=True)
    say("")
    results = run_demo(running, say)
    say("\nThe stack is still running: try the URLs above, or stop it with `shopdemo down`.")
    return 0 if any(r.order_status == "CONFIRMED" for r in results) else 1


def _audit(config: LauncherConfig, args: argparse.Namespace) -> int:
    reports = audit_stack(config, args.variant, args.pending_after)
    print(as_json(reports) if args.json else as_tables(reports), flush=True)
    # An audit reports and does not judge: anomalies found are not an error.
    return 0


def _compare(config: LauncherConfig, args: argparse.Namespace) -> int:
    # With --json, stdout carries the report alone; progress goes to stderr.
    progress = (lambda line: print(line, file=sys.stderr, flush=True)) if args.json else say
    request = CompareRequest(
        duration_s=args.duration,
        rate_per_s=args.rate,
        scenarios=args.scenario,
        variants=args.variant,
        output=Path(args.output) if args.output else None,
    )
    comparison, folder = run_comparison(config, request, progress)
    if args.json:
        print(json.dumps(comparison.to_json(), indent=2), flush=True)
    else:
        say("")
        say(summary_table(comparison.runs))
        say("")
        for sentence in comparison.reading:
            say(f"- {sentence}")
        say("")
    progress(f"report: {folder}/report.html (and report.md, report.json)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="shopdemo", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    def variant_option(command: argparse.ArgumentParser) -> None:
        command.add_argument(
            "--variant",
            action="append",
            choices=list(VARIANTS),
            help="start only this variant (repeatable; default: all)",
        )

    up = commands.add_parser(
        "up", help="start PostgreSQL, the variants and the workshop console in the background"
    )
    variant_option(up)
    up.set_defaults(run=_up)
    commands.add_parser("down", help="stop everything `up` started").set_defaults(run=_down)
    status = commands.add_parser("status", help="what is running")
    status.add_argument("--json", action="store_true", help="variant name -> base URL, as JSON")
    status.add_argument("--units", action="store_true", help="with --json: unit name -> URL")
    status.set_defaults(run=_status)
    logs = commands.add_parser("logs", help="show a unit's log (or postgres)")
    logs.add_argument("name")
    logs.add_argument("-n", "--lines", type=int, default=100)
    logs.add_argument("-f", "--follow", action="store_true")
    logs.set_defaults(run=_logs)
    fault = commands.add_parser("fault", help="set or clear the payment fault on every variant")
    fault_targets = fault.add_subparsers(dest="target", required=True)
    payment = fault_targets.add_parser("payment", help="slow down and/or break the card processor")
    payment.add_argument("--latency-ms", type=int, default=0, help="added to every charge")
    payment.add_argument(
        "--failure-rate", type=float, default=0.0, help="share of charges that fail, 0..1"
    )
    fault_targets.add_parser("clear", help="remove every payment fault")
    fault.set_defaults(run=_fault)
    mesh = commands.add_parser("mesh", help="change the mesh's Istio policy while it runs")
    mesh_actions = mesh.add_subparsers(dest="action", required=True)
    mesh_apply = mesh_actions.add_parser("apply", help="apply one Istio resource (a YAML file)")
    mesh_apply.add_argument("file")
    mesh_actions.add_parser("reset", help="back to the files in istio/")
    mesh_actions.add_parser("counters", help="requests, attempts, retries, faults per route")
    mesh.set_defaults(run=_mesh)
    kill = commands.add_parser("kill", help="kill -9 one unit, as a crash would")
    kill.add_argument("name")
    kill.set_defaults(run=_kill)
    demo = commands.add_parser(
        "demo", help="start the stack and place a few orders on each variant"
    )
    variant_option(demo)
    demo.set_defaults(run=_demo)
    audit = commands.add_parser(
        "audit", help="check every order's effects in a settled variant's databases"
    )
    audit.add_argument(
        "--variant",
        action="append",
        choices=list(VARIANTS),
        help="audit only this variant (repeatable; default: every running variant)",
    )
    audit.add_argument("--json", action="store_true", help="counts and examples, as JSON")
    audit.add_argument(
        "--pending-after",
        type=float,
        default=30.0,
        metavar="S",
        help="a pending order older than S seconds counts as stuck_pending (default: 30)",
    )
    audit.set_defaults(run=_audit)
    compare = commands.add_parser(
        "compare", help="the same load and faults against each running variant in turn"
    )
    compare.add_argument(
        "--duration", type=float, default=10.0, metavar="S", help="seconds of load per run"
    )
    compare.add_argument(
        "--rate", type=float, default=10.0, metavar="R", help="orders per second (fixed rate)"
    )
    compare.add_argument(
        "--scenario",
        action="append",
        choices=list(SCENARIOS),
        help="run this scenario (repeatable; default: all, in this order: "
        + ", ".join(SCENARIOS)
        + ")",
    )
    compare.add_argument(
        "--variant",
        action="append",
        choices=list(VARIANTS),
        help="load only this variant (repeatable; default: every running variant)",
    )
    compare.add_argument(
        "--output", metavar="DIR", help="where the report goes (default: reports/<UTC time>/)"
    )
    compare.add_argument("--json", action="store_true", help="print report.json, not the table")
    compare.set_defaults(run=_compare)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(LauncherConfig.from_env(), args)
    except (stack.LauncherError, postgres.PostgresError, InvalidRequest) as error:
        print(f"shopdemo: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

"""`shopdemo audit` as a user runs it, against databases under their names in the stack.

No stack is started: the variants' databases are made on the test server, with the
launcher's credentials file pointing at them, which is all the audit reads.
"""

from __future__ import annotations

import json

import pytest

from shopdemo.audit import Anomaly
from tests.conftest import run_shopdemo, stack_env
from tests.integration import test_audit_event_driven as event_driven
from tests.integration import test_audit_monolith as monolith
from tests.integration.test_audit_databases import PASSWORD, UnitDatabases

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def databases(pg_server):
    made: list[UnitDatabases] = []
    try:
        for prepare in (monolith.PREPARE, event_driven.PREPARE):
            made.append(UnitDatabases(pg_server, prepare, prefix=""))
        yield made
    finally:
        for unit_databases in made:
            unit_databases.drop()


@pytest.fixture
def shops(databases) -> tuple[monolith.MonolithShop, event_driven.EventDrivenShop]:
    for unit_databases in databases:
        unit_databases.reset()
    monolith_databases, event_databases = databases
    return (
        monolith.MonolithShop(monolith_databases, "monolith"),
        event_driven.EventDrivenShop(event_databases, "event_driven"),
    )


@pytest.fixture
def env(tmp_path, pg_server) -> dict[str, str]:
    names = [*monolith.PREPARE, *event_driven.PREPARE]
    (tmp_path / "credentials.json").write_text(json.dumps(dict.fromkeys(names, PASSWORD)))
    return stack_env(tmp_path) | {
        "SHOPDEMO_HOST": pg_server.host,
        "SHOPDEMO_PG_PORT": str(pg_server.port),
    }


def audit(env: dict[str, str], *args: str):
    return run_shopdemo(env, "audit", "--variant", "monolith", "--variant", "event_driven", *args)


def test_the_json_audit_of_two_variants_reports_an_anomaly_and_still_exits_0(shops, env):
    monolith_shop, event_shop = shops
    monolith_shop.clean_run()
    event_shop.clean_run()
    unnotified = monolith_shop.confirmed(notifications=0)
    finished = audit(env, "--json")
    assert finished.returncode == 0, finished.stderr
    reports = json.loads(finished.stdout)
    assert list(reports) == ["monolith", "event_driven"]
    assert reports["monolith"]["anomalies"]["confirmed_not_notified"] == {
        "count": 1,
        "examples": [str(unnotified)],
    }
    assert reports["monolith"]["clean"] is False
    assert reports["event_driven"]["clean"] is True
    assert set(reports["event_driven"]["anomalies"]) == {kind.value for kind in Anomaly}


def test_the_table_audit_gives_each_variant_its_own_readable_block(shops, env):
    monolith_shop, event_shop = shops
    monolith_shop.clean_run()
    event_shop.clean_run()
    stuck = event_shop.place("PENDING", reservations=("RESERVED",), age_s=10)
    finished = audit(env, "--pending-after", "5")
    assert finished.returncode == 0, finished.stderr
    monolith_block, event_block = finished.stdout.strip().split("\n\n", 1)
    assert monolith_block.startswith("monolith: 5 orders (CONFIRMED 2, FAILED 1, REJECTED 2)")
    assert "no anomaly found" in monolith_block
    assert event_block.startswith("event_driven: 7 orders")
    assert f"stuck_pending      1  {stuck}" in event_block

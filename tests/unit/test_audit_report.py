"""The audit report: its JSON shape and its table, from records made in memory."""

from __future__ import annotations

import json

import shopdemo.audit as audit_package
from shopdemo.audit.kinds import MEANING, Anomaly
from shopdemo.audit.report import MAX_EXAMPLES, Findings
from tests.unit.test_audit_order_checks import NOW, clean_shop


def test_the_json_report_has_every_anomaly_kind_with_a_count_and_examples_even_when_clean():
    data = clean_shop().audit().to_json()
    json.dumps(data)  # plain JSON types only
    assert data["variant"] == "fake"
    assert data["clean"] is True
    assert data["audited_at"] == NOW.isoformat()
    assert set(data["anomalies"]) == {kind.value for kind in Anomaly}
    assert all(entry == {"count": 0, "examples": []} for entry in data["anomalies"].values())


def test_the_json_report_totals_orders_by_status_and_gives_the_pending_figures():
    data = clean_shop().audit(pending_after_s=12).to_json()
    assert data["orders"] == {
        "total": 6,
        "by_status": {"CONFIRMED": 2, "FAILED": 1, "PENDING": 1, "REJECTED": 2},
    }
    assert data["pending"] == {"count": 1, "oldest_age_s": 2.0, "stuck_after_s": 12}


def test_the_json_report_names_the_anomalies_found_and_says_it_is_not_clean():
    shop = clean_shop()
    order_id = shop.confirmed(notifications=0)
    data = shop.audit().to_json()
    assert data["clean"] is False
    assert data["anomalies"]["confirmed_not_notified"] == {"count": 1, "examples": [str(order_id)]}


def test_every_report_carries_the_note_that_an_audit_is_meant_for_a_settled_variant():
    notes = clean_shop().audit().to_json()["notes"]
    assert any("settled variant" in note for note in notes)


def test_examples_stop_at_five_while_the_count_goes_on():
    findings = Findings()
    for number in range(8):
        findings.add(Anomaly.STUCK_PENDING, f"order-{number}")
    assert findings.count(Anomaly.STUCK_PENDING) == 8
    assert findings.examples(Anomaly.STUCK_PENDING) == [f"order-{n}" for n in range(MAX_EXAMPLES)]


def test_the_table_of_a_clean_variant_says_no_anomaly_was_found():
    table = clean_shop().audit().to_table()
    assert table.splitlines()[0] == "fake: 6 orders (CONFIRMED 2, FAILED 1, PENDING 1, REJECTED 2)"
    assert "pending: 1, the oldest for 2.0 s (stuck after 30 s)" in table
    assert "no anomaly found" in table


def test_the_table_lists_each_anomaly_found_with_its_count_examples_and_meaning():
    shop = clean_shop()
    first = shop.confirmed(payments=("CAPTURED", "CAPTURED"))
    second = shop.confirmed(payments=("CAPTURED", "CAPTURED"))
    table = shop.audit().to_table()
    row = next(line for line in table.splitlines() if "confirmed_charged_more_than_once  " in line)
    assert row.split() == ["confirmed_charged_more_than_once", "2", f"{first},", str(second)]
    assert MEANING[Anomaly.CONFIRMED_CHARGED_MORE_THAN_ONCE] in table
    assert "no anomaly found" not in table


def test_every_anomaly_kind_has_a_meaning_and_is_documented_in_the_package_docstring():
    assert set(MEANING) == set(Anomaly)
    assert all(f"`{kind.value}`" in audit_package.__doc__ for kind in Anomaly)

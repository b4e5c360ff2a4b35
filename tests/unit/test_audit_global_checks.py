"""The audit's global invariants on records made in memory: stock, orphans, dead letters."""

from __future__ import annotations

import dataclasses
import uuid

from shopdemo.audit.facts import Notification, Payment, Reservation, Shipment
from shopdemo.audit.global_checks import stock_held
from shopdemo.audit.kinds import Anomaly
from tests.unit.test_audit_order_checks import TWO_MUGS, anomalies, clean_shop


def test_stock_taken_but_held_by_no_order_is_not_conserved_and_names_the_sku():
    shop = clean_shop()
    shop.take_stock({"BOOK-DDD": 1})
    assert anomalies(shop.audit()) == {Anomaly.STOCK_NOT_CONSERVED: (1, ["BOOK-DDD"])}


def test_stock_given_back_twice_is_not_conserved_either():
    shop = clean_shop()
    shop.facts.stock["MUG-LOGO"] += 1
    assert anomalies(shop.audit()) == {Anomaly.STOCK_NOT_CONSERVED: (1, ["MUG-LOGO"])}


def test_in_the_monolith_confirmed_orders_lines_are_the_stock_held():
    shop = clean_shop(reserves_stock=False)
    assert stock_held(shop.facts) == {"MUG-LOGO": 3, "BOOK-DDD": 1}
    shop.take_stock(TWO_MUGS)
    assert anomalies(shop.audit()) == {Anomaly.STOCK_NOT_CONSERVED: (1, ["MUG-LOGO"])}


def test_live_reservations_are_the_stock_held_whatever_their_orders_status():
    shop = clean_shop()
    shop.place("FAILED", reservations=("RESERVED",))
    # Pending (2 mugs), two confirmed (3 mugs, 1 book), the failed one (2 mugs).
    assert stock_held(shop.facts) == {"MUG-LOGO": 7, "BOOK-DDD": 1}


def test_a_product_missing_from_the_products_table_is_not_conserved():
    shop = clean_shop()
    del shop.facts.stock["BOOK-DDD"]
    assert anomalies(shop.audit()) == {Anomaly.STOCK_NOT_CONSERVED: (1, ["BOOK-DDD"])}


def test_a_product_the_catalog_does_not_know_is_conserved_only_while_its_stock_is_zero():
    shop = clean_shop()
    shop.facts.stock["UNSEEDED"] = 0
    assert anomalies(shop.audit()) == {}
    shop.facts.stock["UNSEEDED"] = 3
    assert anomalies(shop.audit()) == {Anomaly.STOCK_NOT_CONSERVED: (1, ["UNSEEDED"])}


def test_a_payment_for_an_order_that_does_not_exist_is_an_orphan_payment():
    shop = clean_shop()
    unknown = uuid.uuid4()
    shop.facts.payments.append(Payment(unknown, "CAPTURED", 100))
    shop.facts.payments.append(Payment(unknown, "CAPTURED", 100))
    assert anomalies(shop.audit()) == {Anomaly.ORPHAN_PAYMENT: (1, [str(unknown)])}


def test_a_reservation_for_an_order_that_does_not_exist_is_an_orphan_reservation():
    shop = clean_shop()
    unknown = uuid.uuid4()
    shop.reserve(unknown, TWO_MUGS, "RESERVED")
    assert anomalies(shop.audit()) == {Anomaly.ORPHAN_RESERVATION: (1, [str(unknown)])}


def test_a_shipment_for_an_order_that_does_not_exist_is_an_orphan_shipment():
    shop = clean_shop()
    unknown = uuid.uuid4()
    shop.facts.shipments.append(Shipment(unknown, "CANCELLED"))
    assert anomalies(shop.audit()) == {Anomaly.ORPHAN_SHIPMENT: (1, [str(unknown)])}


def test_a_notification_for_an_order_that_does_not_exist_is_an_orphan_notification():
    shop = clean_shop()
    unknown = uuid.uuid4()
    shop.facts.notifications.append(Notification(unknown))
    assert anomalies(shop.audit()) == {Anomaly.ORPHAN_NOTIFICATION: (1, [str(unknown)])}


def test_a_released_orphan_reservation_still_counts_but_holds_no_stock():
    shop = clean_shop()
    unknown = uuid.uuid4()
    shop.facts.reservations.append(Reservation(unknown, "RELEASED", TWO_MUGS))
    assert anomalies(shop.audit()) == {Anomaly.ORPHAN_RESERVATION: (1, [str(unknown)])}


def test_every_dead_letter_counts_and_each_database_gets_its_own_figure():
    shop = clean_shop()
    order_id = str(uuid.uuid4())
    letters = {"ev_order": [], "ev_payment": [order_id, order_id]}
    shop.facts = dataclasses.replace(shop.facts, dead_letters=letters)
    report = shop.audit()
    assert anomalies(report) == {Anomaly.DEAD_LETTERS: (2, [order_id, order_id])}
    assert report.dead_letters_by_database == {"ev_order": 0, "ev_payment": 2}


def test_a_variant_without_consumers_reports_no_dead_letter_figures():
    report = clean_shop().audit()
    assert report.dead_letters_by_database is None

"""The monolith against a real PostgreSQL: one transaction per order, and nothing half-written."""

from __future__ import annotations

import asyncio
import uuid
from contextlib import asynccontextmanager

import httpx
import psycopg
import pytest

from monolith.app import create_app
from monolith.config import Settings
from shopdemo import unit_databases

pytestmark = pytest.mark.integration

TABLES = ("orders", "order_lines", "payments", "shipments", "notifications", "order_timeline")


@pytest.fixture
def database(pg_server):
    name = f"mono_{uuid.uuid4().hex[:12]}"
    url = unit_databases.ensure_unit_database(pg_server, name, "test-password")
    try:
        yield url
    finally:
        unit_databases.drop_unit_database(pg_server, name)


def sql(url: str, statement: str, *params):
    with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as connection:
        cursor = connection.execute(statement, params)
        return cursor.fetchall() if cursor.description else None


def counts(url: str) -> dict[str, int]:
    return {table: sql(url, f"SELECT count(*) FROM {table}")[0][0] for table in TABLES}


@asynccontextmanager
async def monolith(url: str, pool_size: int = 10):
    app = create_app(Settings(database_url=url, host="127.0.0.1", port=1, db_pool_size=pool_size))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://monolith") as client:
            yield client


def body(sku="MUG-LOGO", quantity=1, token="tok_ok"):
    return {
        "customer_id": f"c-{uuid.uuid4().hex[:8]}",
        "items": [{"sku": sku, "quantity": quantity}],
        "payment_token": token,
    }


def test_fifty_racing_orders_on_a_stock_of_ten_never_oversell(database):
    async def race():
        async with monolith(database) as client:
            sql(database, "UPDATE products SET stock = 10 WHERE sku = 'KEYBOARD-LTD'")
            return await asyncio.gather(
                *(client.post("/orders", json=body("KEYBOARD-LTD")) for _ in range(50))
            )

    responses = asyncio.run(race())
    codes = sorted(response.status_code for response in responses)
    assert codes == [201] * 10 + [409] * 40
    assert sql(database, "SELECT stock FROM products WHERE sku = 'KEYBOARD-LTD'") == [(0,)]
    confirmed = sql(database, "SELECT count(*) FROM orders WHERE status = 'CONFIRMED'")[0][0]
    assert confirmed == 10
    assert counts(database)["payments"] == 10 == counts(database)["shipments"]
    assert sql(database, "SELECT count(*) FROM orders WHERE status = 'REJECTED'") == [(40,)]


def test_a_failure_after_the_charge_rolls_back_the_whole_order(database):
    # A real database error mid-flow: shipments refuse inserts for this test.
    async def place_with_broken_shipments():
        async with monolith(database) as client:
            sql(
                database,
                """CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS
                   $$ BEGIN RAISE EXCEPTION 'shipments are down'; END $$;
                   CREATE TRIGGER refuse BEFORE INSERT ON shipments
                   FOR EACH ROW EXECUTE FUNCTION refuse();""",
            )
            before = sql(database, "SELECT stock FROM products WHERE sku = 'MUG-LOGO'")
            failed = await client.post("/orders", json=body(quantity=3))
            assert failed.status_code == 500
            return before

    before = asyncio.run(place_with_broken_shipments())
    assert sql(database, "SELECT stock FROM products WHERE sku = 'MUG-LOGO'") == before
    assert counts(database) == dict.fromkeys(TABLES, 0)


def test_rejections_keep_only_the_order_record_with_its_timeline(database):
    async def reject_twice():
        async with monolith(database) as client:
            declined = await client.post("/orders", json=body(token="tok_declined"))
            short = await client.post("/orders", json=body("SNEAKER-RARE", 6))
            return declined, short

    declined, short = asyncio.run(reject_twice())
    assert (declined.status_code, short.status_code) == (402, 409)
    rows = counts(database)
    assert rows["orders"] == 2 and rows["order_lines"] == 2
    assert rows["payments"] == rows["shipments"] == rows["notifications"] == 0
    statuses = sql(database, "SELECT status, reason_code FROM orders ORDER BY reason_code")
    assert statuses == [("REJECTED", "out_of_stock"), ("REJECTED", "payment_declined")]


def test_bad_input_writes_nothing_at_all(database):
    bad = [
        {"customer_id": "x", "items": [{"sku": "NOPE", "quantity": 1}], "payment_token": "tok_ok"},
        {"customer_id": "x", "items": [{"sku": "MUG-LOGO", "quantity": 0}], "payment_token": "t"},
        {"customer_id": "x", "items": [], "payment_token": "tok_ok"},
        {"items": [{"sku": "MUG-LOGO", "quantity": 1}]},
    ]

    async def send_all():
        async with monolith(database) as client:
            return [await client.post("/orders", json=b) for b in bad]

    assert [r.status_code for r in asyncio.run(send_all())] == [422] * len(bad)
    assert counts(database) == dict.fromkeys(TABLES, 0)


def test_concurrent_retries_with_one_key_make_one_order(database):
    order = body(quantity=2)

    async def retry_storm():
        async with monolith(database) as client:
            headers = {"Idempotency-Key": "same-key"}
            return await asyncio.gather(
                *(client.post("/orders", json=order, headers=headers) for _ in range(10))
            )

    responses = asyncio.run(retry_storm())
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["id"] for r in responses}) == 1
    assert sum(r.headers.get("Idempotent-Replayed") == "true" for r in responses) == 9
    assert counts(database)["orders"] == 1 == counts(database)["payments"]


def test_a_restart_keeps_the_stock_that_orders_took(database):
    async def order_then_restart():
        async with monolith(database) as client:
            await client.post("/orders", json=body("BOOK-DDD", 4))
        async with monolith(database) as client:
            return {p["sku"]: p["stock"] for p in (await client.get("/products")).json()}

    assert asyncio.run(order_then_restart())["BOOK-DDD"] == 100_000 - 4

"""The workshop's Locust scenario: the traffic mix of loadtests/order_mix.py against any variant.

Interactive: `.venv/bin/locust -f loadtests/locustfile.py --host http://127.0.0.1:8002`
and open Locust's web UI (http://127.0.0.1:8089). Headless: add `--headless -u USERS
-r SPAWN_RATE -t DURATION`. Each simulated shopper acts about once a second
(constant_throughput), so USERS is roughly the arrival rate per second.

Expected business answers are successes, not failures: 201 (confirmed), 202
(accepted by the event-driven variant), 402 (declined card) and 409 (out of
stock). Anything else (5xx, timeouts, 4xx from a bug) is a failure.
"""

from __future__ import annotations

import random

from locust import FastHttpUser, constant_throughput, task

from loadtests import order_mix

_ORDER_ANSWERS = {201, 202, 402, 409}


class Shopper(FastHttpUser):
    wait_time = constant_throughput(1)

    def on_start(self) -> None:
        self.chooser = random.Random()
        self.placed: list[str] = []

    @task(order_mix.WEIGHTS["browse"])
    def browse(self) -> None:
        self.client.get("/products", name="GET /products")

    @task(order_mix.WEIGHTS["good_order"])
    def good_order(self) -> None:
        self._place(order_mix.good_order(self.chooser), "POST /orders (good card)")

    @task(order_mix.WEIGHTS["declined_card"])
    def declined_card(self) -> None:
        self._place(order_mix.declined_card(self.chooser), "POST /orders (declined card)")

    @task(order_mix.WEIGHTS["scarce_item"])
    def scarce_item(self) -> None:
        self._place(order_mix.scarce_item(self.chooser), "POST /orders (scarce item)")

    @task(order_mix.WEIGHTS["look_up_order"])
    def look_up_order(self) -> None:
        if self.placed:
            order_id = self.chooser.choice(self.placed)
            self.client.get(f"/orders/{order_id}", name="GET /orders/{id}")

    def _place(self, body: dict, name: str) -> None:
        headers = {"Idempotency-Key": order_mix.idempotency_key()}
        with self.client.post(
            "/orders", json=body, headers=headers, name=name, catch_response=True
        ) as response:
            if response.status_code not in _ORDER_ANSWERS:
                response.failure(f"unexpected {response.status_code}: {response.text[:200]}")
                return
            payload = response.json()
            order = payload.get("order", payload)
            if "id" in order:
                self.placed = (self.placed + [order["id"]])[-100:]
            response.success()

"""The workshop console's page in a real headless Chromium (Debian's), driven by Playwright.

Playwright is pointed at the machine's own `chromium`; its own browser download is
never used. Screenshots of the main states go to reports/screenshots/ (ignored by git).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from shopdemo.units import VARIANTS

playwright_api = pytest.importorskip(
    "playwright.sync_api", reason="the browser tests need Playwright: pip install -e '.[test]'"
)
expect = playwright_api.expect

CHROMIUM = shutil.which("chromium")
SHOTS = Path(__file__).resolve().parents[2] / "reports" / "screenshots"

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        CHROMIUM is None, reason="the browser tests need Chromium: apt-get install chromium"
    ),
]


@pytest.fixture(scope="module")
def page(stack):
    assert stack.console, "shopdemo up did not start the console"
    SHOTS.mkdir(parents=True, exist_ok=True)
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1100})
            page.set_default_timeout(20_000)
            page.goto(stack.console)
            yield page
        finally:
            browser.close()


@pytest.fixture
def no_fault_after(stack):
    yield
    assert stack.shopdemo("fault", "clear").returncode == 0


def shoot(page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"console-{name}.png"), full_page=True)


def place_order(page, token: str = "tok_ok") -> None:
    page.get_by_test_id("token").select_option(token)
    page.get_by_test_id("order-variants").select_option("all")
    page.get_by_test_id("place-order").click()


def test_the_page_shows_a_column_with_healthy_units_for_every_running_variant(page):
    for variant in VARIANTS:
        expect(page.get_by_test_id(f"column-{variant}")).to_be_visible()
        for unit in VARIANTS[variant].units:
            expect(page.get_by_test_id(f"health-{unit.name}")).to_have_text("ready")
    expect(page.get_by_test_id("audit-monolith")).to_contain_text("anomalies")
    shoot(page, "1-columns")


def test_an_order_placed_on_every_variant_shows_confirmed_in_each_column(page):
    place_order(page)
    for variant in VARIANTS:
        expect(page.get_by_test_id(f"last-status-{variant}")).to_have_text("CONFIRMED")
    expect(page.get_by_test_id("messages")).to_contain_text("event_driven: CONFIRMED")
    shoot(page, "2-order-confirmed")


def test_the_timeline_of_an_order_opens_next_to_the_same_order_on_the_other_variants(page):
    page.get_by_test_id("timeline-event_driven").click()
    card = page.get_by_test_id("timeline-card-event_driven")
    expect(card).to_contain_text("CONFIRMED")
    for service in ("inventory", "payment", "fulfillment", "notification"):
        expect(card).to_contain_text(service)
    expect(card).to_contain_text("pending for")
    for other in ("monolith", "distributed"):
        expect(page.get_by_test_id(f"timeline-card-{other}")).to_contain_text("the same order")
    shoot(page, "3-timeline")


def test_a_payment_fault_shows_in_every_column_and_orders_then_fail(page, no_fault_after):
    page.get_by_test_id("fault-latency").fill("0")
    page.get_by_test_id("fault-rate").fill("100")
    page.get_by_test_id("set-fault").click()
    for variant in VARIANTS:
        expect(page.get_by_test_id(f"fault-{variant}")).to_have_text("0 ms, 100 % fail")
    place_order(page)
    for variant in VARIANTS:
        expect(page.get_by_test_id(f"last-status-{variant}")).to_have_text("FAILED")
    shoot(page, "4-payment-fault")
    page.get_by_test_id("clear-fault").click()
    for variant in VARIANTS:
        expect(page.get_by_test_id(f"fault-{variant}")).to_have_text("0 ms, 0 % fail")


def test_bad_input_is_refused_in_the_page_and_the_servers_own_error_is_shown(page):
    messages = page.get_by_test_id("messages")
    page.get_by_test_id("fault-rate").fill("150")
    page.get_by_test_id("set-fault").click()
    expect(messages).to_contain_text("failure rate must be from 0 to 100 %")
    page.get_by_test_id("load-rate").fill("1")
    page.get_by_test_id("start-load").click()
    expect(messages).to_contain_text("load started: 1 orders/s")
    try:
        page.get_by_test_id("start-load").click()
        # The server refuses a second load; the page shows its answer as it is.
        expect(messages).to_contain_text("409: a load is already running")
        expect(page.get_by_test_id("load-status")).to_contain_text("running at 1 orders/s")
        shoot(page, "5-load-and-errors")
    finally:
        page.get_by_test_id("stop-load").click()
    expect(messages).to_contain_text("load stopped")

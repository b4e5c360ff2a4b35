"""The event-driven fulfillment service: its consumer and relay, and health endpoints."""

from __future__ import annotations

from fastapi import FastAPI

from event_driven.fulfillment.config import UNIT
from event_driven.fulfillment.handlers import handle
from event_driven.fulfillment.schema import prepare_database
from event_driven.settings import EventServiceSettings
from service_kit.event_worker import event_worker
from service_kit.events.topics import PAYMENTS
from service_kit.service import create_service


def create_app(settings: EventServiceSettings) -> FastAPI:
    worker = event_worker(
        UNIT, settings.database_url, settings.kafka_bootstrap_servers, [PAYMENTS], handle
    )
    service = create_service(
        UNIT,
        settings,
        prepare_database,
        "Creates the shipment on PaymentSucceeded.",
        resources=worker.running,
        ready_check=worker.ready,
    )
    return service.app

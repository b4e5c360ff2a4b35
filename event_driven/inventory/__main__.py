"""`python -m event_driven.inventory`: serve the event-driven inventory service."""

from event_driven.inventory.app import create_app
from event_driven.inventory.config import settings_from_env
from service_kit.service import serve

if __name__ == "__main__":
    settings = settings_from_env()
    serve(create_app(settings), settings)

"""`python -m event_driven.fulfillment`: serve the event-driven fulfillment service."""

from event_driven.fulfillment.app import create_app
from event_driven.fulfillment.config import settings_from_env
from service_kit.service import serve

if __name__ == "__main__":
    settings = settings_from_env()
    serve(create_app(settings), settings)

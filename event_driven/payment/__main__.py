"""`python -m event_driven.payment`: serve the event-driven payment service."""

from event_driven.payment.app import create_app
from event_driven.payment.config import settings_from_env
from service_kit.service import serve

if __name__ == "__main__":
    settings = settings_from_env()
    serve(create_app(settings), settings)

"""`python -m event_driven.order`: serve the event-driven order service."""

from event_driven.order.app import create_app
from event_driven.order.config import settings_from_env
from service_kit.service import serve

if __name__ == "__main__":
    settings = settings_from_env()
    serve(create_app(settings), settings)

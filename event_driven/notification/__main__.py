"""`python -m event_driven.notification`: serve the event-driven notification service."""

from event_driven.notification.app import create_app
from event_driven.notification.config import settings_from_env
from service_kit.service import serve

if __name__ == "__main__":
    settings = settings_from_env()
    serve(create_app(settings), settings)

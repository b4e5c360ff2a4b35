"""Order: accepts orders (202 at once), starts the saga with OrderPlaced, and follows every
service's events to know when an order is final; also keeps the catalog's read model."""

"""Fulfillment: creates (and cancels) shipments for orders."""

"""Fulfillment: creates the shipment once the payment succeeded."""

"""Notification: records the customer's message once the shipment exists (simulated)."""

"""Inventory: reserves stock when an order is placed, releases it when payment fails."""

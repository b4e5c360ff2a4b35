"""Inventory: the catalog and its stock; reserves and releases stock for orders."""

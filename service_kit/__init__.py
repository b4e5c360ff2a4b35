"""HTTP plumbing every deployable unit shares: error mapping, JSON bodies, metrics,
settings helpers and the payment-fault admin endpoint. No business rules live here."""

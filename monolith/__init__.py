"""Phase 1, the baseline: one FastAPI app, one PostgreSQL database, one transaction per order."""

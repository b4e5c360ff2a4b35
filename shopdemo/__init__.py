"""The local launcher: starts PostgreSQL and the variants in the background, no Docker needed."""

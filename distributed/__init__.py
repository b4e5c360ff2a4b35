"""The distributed monolith: the order flow split into five synchronous services,
each with its own database, every call through the mesh, with hand-written
compensation. The anti-pattern, written the way a typical team writes it."""

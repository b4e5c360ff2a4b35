"""The event-driven variant: the same five services, each with its own database,
talking only through Kafka. A choreographed saga, a transactional outbox per
service, idempotent consumers, eventual consistency."""

"""The shared domain core: the order flow's business rules, identical in every variant.

Pure by design: nothing here imports a web framework, a database driver, an HTTP
client or a Kafka client, so the three architectures differ only in how they
wire these rules together (tests/unit/test_domain_is_pure.py checks this).
"""

"""`python -m event_driven.create_topics`: create the saga's topics on the Kafka that
KAFKA_BOOTSTRAP_SERVERS names, then exit.

docker-compose.yml runs it once and k8s/ as a Job, before the event-driven services start:
the services never ask Kafka to create a topic (service_kit/events/topics.py), and `shopdemo up`
creates them itself. Safe to run again: existing topics with the right partition counts are
kept, and ones with another count are refused (the exit status is then 1).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping

from service_kit.events.kafka_admin import BrokerError, ensure_topics, wait_until_serving
from service_kit.events.topics import SAGA_TOPICS
from service_kit.settings import ConfigError, env_int, env_str, environment


def create_topics(env: Mapping[str, str]) -> dict[str, int]:
    bootstrap = env_str(env, "KAFKA_BOOTSTRAP_SERVERS")
    # A KRaft broker accepts connections a while before it serves clients: wait for that.
    wait_until_serving(bootstrap, timeout=env_int(env, "KAFKA_WAIT_S", 120, minimum=1))
    return ensure_topics(bootstrap, SAGA_TOPICS)


def main() -> int:
    try:
        counts = create_topics(environment())
    except (ConfigError, BrokerError) as error:
        print(f"create_topics: {error}", file=sys.stderr)
        return 1
    print(f"create_topics: ready: {counts}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

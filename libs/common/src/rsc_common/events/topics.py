"""Project topics, created by the project (the broker runs with auto-creation off).

One topic per producing service, keyed by the event's subject, so that all events about one
aggregate (a proposal, a case, a grant) stay ordered in one partition. Each topic has a
dead-letter twin `<topic>.dlt` where consumers park poison messages with the error.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import TopicAlreadyExistsError

log = logging.getLogger(__name__)

INTAKE = "rsc.intake.events"
APPRAISAL = "rsc.appraisal.events"
MONITORING = "rsc.monitoring.events"
NOTIFICATIONS = "rsc.notifications.events"

DOMAIN_TOPICS = (INTAKE, APPRAISAL, MONITORING, NOTIFICATIONS)
DLT_SUFFIX = ".dlt"


def dead_letter_topic(topic: str) -> str:
    return topic + DLT_SUFFIX


def all_topics(prefix: str = "") -> list[str]:
    return [prefix + t for topic in DOMAIN_TOPICS for t in (topic, dead_letter_topic(topic))]


def ensure_topics(
    bootstrap_servers: str,
    topics: list[str],
    *,
    partitions: int = 6,
    replication_factor: int = 1,
    **options: Any,
) -> list[str]:
    """Create the topics that do not exist yet; returns the ones created. Idempotent. `options`: connection
    options (`KafkaSettings.client_options()`)."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="rsc-topic-admin", **options)
    try:
        existing = set(admin.list_topics())
        missing = [t for t in topics if t not in existing]
        if missing:
            new = [NewTopic(name=t, num_partitions=partitions, replication_factor=replication_factor) for t in missing]
            with contextlib.suppress(TopicAlreadyExistsError):  # a concurrent creator won the race
                admin.create_topics(new, validate_only=False)
            log.info("created topics %s", missing)
        return missing
    finally:
        admin.close()


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description="Create RSC Kafka topics (idempotent).")
    parser.add_argument("--bootstrap-servers", default="127.0.0.1:19092")
    parser.add_argument("--partitions", type=int, default=6)
    parser.add_argument("--replication-factor", type=int, default=1)
    parser.add_argument("--prefix", default="", help="topic prefix (KafkaSettings.topic_prefix)")
    args = parser.parse_args()
    topics = all_topics(args.prefix)
    created = ensure_topics(
        args.bootstrap_servers, topics, partitions=args.partitions, replication_factor=args.replication_factor
    )
    print(f"topics ready ({len(created)} created): {', '.join(topics)}")


if __name__ == "__main__":
    main()

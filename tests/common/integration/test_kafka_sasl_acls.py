"""Kafka SASL/SCRAM and least-privilege ACLs on the real broker, as production connects.

In Kubernetes every service connects as its Strimzi KafkaUser (SCRAM-SHA-512) with the ACLs that
deploy/k8s/platform/generate.py writes into kafka-users.yaml. The local broker has the same kind of listener
(SASL_PLAINTEXT + SCRAM-SHA-512, StandardAuthorizer; deploy/local/kafka.sh): this test creates a SCRAM user,
gives it the ACLs of the generated `rsc-intake` KafkaUser (topic and group names under a fresh prefix, so other
tests' topics are untouched) and connects with the services' own client options (`KafkaSettings.client_options`,
`make_producer`): what the ACLs allow works, everything else is refused by the broker.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from kafka import KafkaConsumer, TopicPartition
from kafka.admin import (
    ACL,
    ACLOperation,
    ACLPermissionType,
    ACLResourcePatternType,
    KafkaAdminClient,
    ResourcePattern,
    ResourceType,
)
from kafka.errors import (
    GroupAuthorizationFailedError,
    KafkaError,
    TopicAuthorizationFailedError,
)

from rsc_common.events.producer import make_producer
from rsc_common.events.topics import ensure_topics
from rsc_common.settings import KafkaSettings
from tests.support.servers import KAFKA_BOOTSTRAP

ROOT = Path(__file__).resolve().parents[3]
KAFKA_USERS = ROOT / "deploy/k8s/platform/kafka-users.yaml"
SASL_BOOTSTRAP = f"127.0.0.1:{os.environ.get('RSC_KAFKA_SASL_PORT', '19094')}"
SERVICE = "rsc-intake"
RESOURCE_TYPES = {"topic": ResourceType.TOPIC, "group": ResourceType.GROUP}


def generated_acls(user: str) -> list[dict[str, Any]]:
    for document in yaml.safe_load_all(KAFKA_USERS.read_text()):
        if document and document["kind"] == "KafkaUser" and document["metadata"]["name"] == user:
            assert document["spec"]["authentication"]["type"] == "scram-sha-512"
            return document["spec"]["authorization"]["acls"]
    raise AssertionError(f"{user} is not in {KAFKA_USERS}")


def names_of(acls: list[dict[str, Any]], kind: str, operation: str) -> list[str]:
    return [a["resource"]["name"] for a in acls if a["resource"]["type"] == kind and operation in a["operations"]]


class SaslUser:
    def __init__(self, prefix: str, name: str, password: str) -> None:
        self.prefix, self.name, self.password = prefix, name, password

    def settings(self, password: str | None = None) -> KafkaSettings:
        return KafkaSettings(
            bootstrap_servers=SASL_BOOTSTRAP,
            security_protocol="SASL_PLAINTEXT",
            sasl_mechanism="SCRAM-SHA-512",
            sasl_username=self.name,
            sasl_password=password or self.password,
        )

    def producer(self):  # kafka-python's KafkaProducer
        settings = self.settings()
        return make_producer(settings.bootstrap_servers, f"{self.name}-producer", **settings.client_options())

    def consumer(self, topic: str, group: str) -> KafkaConsumer:
        settings = self.settings()
        return KafkaConsumer(
            bootstrap_servers=settings.bootstrap_servers,
            group_id=group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            consumer_timeout_ms=15_000,
            **settings.client_options(),
        )


@pytest.fixture(scope="module")
def intake_user() -> SaslUser:
    """A SCRAM user with the generated ACLs of the intake service, on prefixed copies of its resources."""
    prefix = f"sasl-{uuid.uuid4().hex[:8]}."
    user = SaslUser(prefix, f"{prefix}{SERVICE}", secrets.token_urlsafe(18))
    acls = generated_acls(SERVICE)
    topics = [prefix + a["resource"]["name"] for a in acls if a["resource"]["type"] == "topic"]
    ensure_topics(KAFKA_BOOTSTRAP, topics, partitions=1)
    subprocess.run(
        ["bash", str(ROOT / "deploy/local/kafka.sh"), "scram-user", user.name, user.password],
        check=True,
        capture_output=True,
        timeout=120,
    )
    admin = KafkaAdminClient(bootstrap_servers=KAFKA_BOOTSTRAP, client_id="sasl-test-admin")
    try:
        bindings = [
            ACL(
                principal=f"User:{user.name}",
                host="*",
                operation=ACLOperation[operation.upper()],
                permission_type=ACLPermissionType.ALLOW,
                resource_pattern=ResourcePattern(
                    RESOURCE_TYPES[acl["resource"]["type"]],
                    prefix + acl["resource"]["name"],
                    ACLResourcePatternType[acl["resource"]["patternType"].upper()],
                ),
            )
            for acl in acls
            for operation in acl["operations"]
        ]
        result = admin.create_acls(bindings)
        assert not result["failed"], result["failed"]
    finally:
        admin.close()
    return user


def eventually(action: Callable[[], Any], timeout: float = 30) -> Any:
    """ACLs and credentials reach the broker through the metadata log: retry until they are in force."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return action()
        except KafkaError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def poll_until_refused(consumer: KafkaConsumer) -> None:
    """Poll for up to 15 s: the refusal arrives when the consumer joins its group or fetches."""
    for _ in range(30):
        consumer.poll(timeout_ms=500)


def test_the_generated_intake_acls_allow_its_own_flows(intake_user: SaslUser) -> None:
    acls = generated_acls(SERVICE)
    [own_topic] = [intake_user.prefix + t for t in names_of(acls, "topic", "Write") if not t.endswith(".dlt")]
    [read_topic] = [intake_user.prefix + t for t in names_of(acls, "topic", "Read")]
    [group] = [intake_user.prefix + g for g in names_of(acls, "group", "Read")]

    producer = eventually(intake_user.producer)
    try:
        metadata = eventually(lambda: producer.send(own_topic, b"proposal.submitted").get(timeout=10))
        assert metadata.topic == own_topic
    finally:
        producer.close()

    # what it consumes is written by another service: put a record there through the PLAINTEXT listener
    other = make_producer(KAFKA_BOOTSTRAP, "sasl-test-other")
    other.send(read_topic, b"appraisal.status_changed").get(timeout=10)
    other.close()
    consumer = intake_user.consumer(read_topic, group)
    try:
        consumer.subscribe([read_topic])
        received = []
        deadline = time.monotonic() + 30
        while not received and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=1000).values():
                received.extend(r.value for r in records)
        assert received == [b"appraisal.status_changed"]
        consumer.commit()
        committed = consumer.committed(TopicPartition(read_topic, 0))
        assert committed == 1
    finally:
        consumer.close()


def test_everything_else_is_refused_by_the_broker(intake_user: SaslUser) -> None:
    acls = generated_acls(SERVICE)
    [read_topic] = [intake_user.prefix + t for t in names_of(acls, "topic", "Read")]
    [group] = [intake_user.prefix + g for g in names_of(acls, "group", "Read")]

    # writing to a topic it only reads (another service's events)
    producer = eventually(intake_user.producer)
    try:
        with pytest.raises(TopicAuthorizationFailedError):
            producer.send(read_topic, b"forged").get(timeout=15)
    finally:
        producer.close()

    # reading with another service's consumer group
    consumer = intake_user.consumer(read_topic, f"{intake_user.prefix}rsc-appraisal")
    try:
        consumer.subscribe([read_topic])
        with pytest.raises(GroupAuthorizationFailedError):
            poll_until_refused(consumer)
    finally:
        consumer.close()

    # the right group, but its own events topic is write-only for it
    own = intake_user.prefix + names_of(acls, "topic", "Write")[0]
    consumer = intake_user.consumer(own, group)
    try:
        consumer.subscribe([own])
        with pytest.raises(TopicAuthorizationFailedError):
            poll_until_refused(consumer)
    finally:
        consumer.close()


def open_producer(settings: KafkaSettings) -> None:
    producer = make_producer(
        settings.bootstrap_servers, "sasl-test-login", max_block_ms=8000, **settings.client_options()
    )
    producer.close()


def test_a_wrong_password_is_refused(intake_user: SaslUser) -> None:
    eventually(lambda: open_producer(intake_user.settings()))  # the same options with the right password connect
    # The broker closes the connection on a failed SCRAM exchange; the client retries until it gives up.
    with pytest.raises(KafkaError):
        open_producer(intake_user.settings(password="not-" + intake_user.password))

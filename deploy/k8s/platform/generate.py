"""Generate the platform resources that must not drift from the code:

- kafka-topics.yaml            one Strimzi KafkaTopic per project topic (rsc_common.events.topics, with
                               the `.dlt` twins): replicas 3, min.insync.replicas 2
- kafka-users.yaml             one Strimzi KafkaUser per service (SCRAM-SHA-512) with least-privilege ACLs
                               from the KAFKA_ACCESS table below
- keycloak-realm-import.yaml   a KeycloakRealmImport built from deploy/local/keycloak/realm-rsc.json
                               (the realm `make up` imports), stripped of everything development-only

Run from the repository root, with the workspace's interpreter (it imports rsc_common):

    .venv/bin/python deploy/k8s/platform/generate.py           # rewrite the three files
    .venv/bin/python deploy/k8s/platform/generate.py --check   # exit 1 if a committed file differs

tests/deploy/test_platform.py asserts that the committed files equal this output, and that
KAFKA_ACCESS matches what the services' workers really consume (their ConsumerSpecs).
Targets Strimzi 0.48 (kafka.strimzi.io/v1beta2) and the Keycloak operator 26.x (k8s.keycloak.org/v2alpha1).
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from rsc_common.events import topics

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
REALM_JSON = ROOT / "deploy" / "local" / "keycloak" / "realm-rsc.json"

KAFKA_CLUSTER = "rsc-kafka"  # metadata.name of the Kafka resource in kafka.yaml
KEYCLOAK_CR = "rsc-keycloak"  # metadata.name of the Keycloak resource in keycloak.yaml
TOPIC_REPLICAS = 3
MIN_INSYNC_REPLICAS = 2
DOMAIN_PARTITIONS = 12  # the unit of consumer parallelism (same as the base topics Job)
DLT_PARTITIONS = 3  # dead letters are rare and read by hand
DOMAIN_RETENTION_MS = 14 * 24 * 3600 * 1000  # room to replay two weeks (see README, Kafka restore)
DLT_RETENTION_MS = 30 * 24 * 3600 * 1000  # time to look at a poison message

SERVICES = ("intake", "appraisal", "monitoring", "notifications")


@dataclass(frozen=True)
class KafkaAccess:
    """What one service's worker does on Kafka (the API pods do not talk to Kafka, only a TCP probe)."""

    produces: tuple[str, ...] = ()  # topics its outbox relay writes (its own topic)
    consumer_groups: dict[str, tuple[str, ...]] = field(default_factory=dict)  # group id -> topics read

    def consumed(self) -> list[str]:
        return sorted({t for ts in self.consumer_groups.values() for t in ts})

    def dead_letter_topics(self) -> list[str]:
        # A consumer parks a poison message in the dead-letter twin of the topic it came from
        # (rsc_common.events.consumer: dead_letter_topic(record.topic)), so it writes those DLTs.
        return [topics.dead_letter_topic(t) for t in self.consumed()]


# Declared per service; checked against services/*/src/*/cli.py (WorkerSpec) by the tests.
KAFKA_ACCESS: dict[str, KafkaAccess] = {
    "intake": KafkaAccess(
        produces=(topics.INTAKE,),
        consumer_groups={"rsc-intake": (topics.APPRAISAL,)},
    ),
    "appraisal": KafkaAccess(
        produces=(topics.APPRAISAL,),
        consumer_groups={"rsc-appraisal": (topics.INTAKE, topics.APPRAISAL, topics.MONITORING)},
    ),
    "monitoring": KafkaAccess(
        produces=(topics.MONITORING,),
        consumer_groups={
            "rsc-monitoring": (topics.INTAKE, topics.APPRAISAL, topics.MONITORING),
            # the audit log chains every event of every topic
            "rsc-monitoring-audit": topics.DOMAIN_TOPICS,
        },
    ),
    # notifications runs no outbox relay (WorkerSpec(relay=False)): it publishes nothing, so it gets no
    # Write on rsc.notifications.events. Give it one here (and in its WorkerSpec) when that changes.
    "notifications": KafkaAccess(
        produces=(),
        consumer_groups={"rsc-notifications": topics.DOMAIN_TOPICS},
    ),
}

# Realm import: what production must not get from the development realm.
DEV_ONLY_CLIENTS = {"rsc-cli"}  # password grant for scripts and tests ("Must not exist in production realms")
PORTAL_CLIENT = "rsc-portal"
DEFAULT_PORTAL_URL = "https://rsc.example.org"  # = RSC_PORTAL_PUBLIC_URL in base/portal/api-deployment.yaml


def k8s_name(text: str) -> str:
    """A topic name as a Kubernetes object name (lower case, dots and underscores to dashes)."""
    return re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")


def secret_placeholder(client_id: str) -> str:
    """Environment variable the realm import job gets the client's secret in (spec.placeholders)."""
    return k8s_name(client_id).replace("-", "_").upper() + "_CLIENT_SECRET"


def service_secret(client_id: str) -> str:
    """The service's own Secret: its AUTH__CLIENT_SECRET is the one source of the client secret."""
    return f"{client_id}-secrets"


def _labels(component: str) -> dict[str, str]:
    return {
        "strimzi.io/cluster": KAFKA_CLUSTER,
        "app.kubernetes.io/part-of": "rsc",
        "app.kubernetes.io/component": component,
    }


# --------------------------------------------------------------------------------------------- Kafka


def kafka_topics(prefix: str = "") -> list[dict]:
    docs = []
    for topic in topics.all_topics(prefix):
        dlt = topic.endswith(topics.DLT_SUFFIX)
        docs.append(
            {
                "apiVersion": "kafka.strimzi.io/v1beta2",
                "kind": "KafkaTopic",
                "metadata": {"name": k8s_name(topic), "labels": _labels("kafka-topic")},
                "spec": {
                    "topicName": topic,
                    "partitions": DLT_PARTITIONS if dlt else DOMAIN_PARTITIONS,
                    "replicas": TOPIC_REPLICAS,
                    "config": {
                        "min.insync.replicas": MIN_INSYNC_REPLICAS,
                        "cleanup.policy": "delete",
                        "retention.ms": DLT_RETENTION_MS if dlt else DOMAIN_RETENTION_MS,
                    },
                },
            }
        )
    return docs


def _acl(kind: str, name: str, operations: list[str]) -> dict:
    return {"resource": {"type": kind, "name": name, "patternType": "literal"}, "operations": operations}


def kafka_user_acls(service: str, prefix: str = "") -> list[dict]:
    access = KAFKA_ACCESS[service]
    acls = []
    # Write on any topic also allows the idempotent producer's InitProducerId (KIP-679, Kafka 3.0+):
    # no cluster-level IdempotentWrite is needed.
    acls += [_acl("topic", prefix + t, ["Write", "Describe"]) for t in access.produces]
    acls += [_acl("topic", prefix + t, ["Read", "Describe"]) for t in access.consumed()]
    acls += [_acl("topic", prefix + t, ["Write", "Describe"]) for t in access.dead_letter_topics()]
    acls += [_acl("group", g, ["Read"]) for g in sorted(access.consumer_groups)]
    return acls


def kafka_users(prefix: str = "") -> list[dict]:
    return [
        {
            "apiVersion": "kafka.strimzi.io/v1beta2",
            "kind": "KafkaUser",
            "metadata": {"name": f"rsc-{service}", "labels": _labels("kafka-user")},
            "spec": {
                # The User Operator writes the password into the Secret rsc-<service> (keys `password`
                # and `sasl.jaas.config`); the SCRAM user name is the KafkaUser's name.
                "authentication": {"type": "scram-sha-512"},
                "authorization": {"type": "simple", "acls": kafka_user_acls(service, prefix)},
            },
        }
        for service in SERVICES
    ]


# ------------------------------------------------------------------------------------------ Keycloak


def production_realm(realm: dict, portal_url: str = DEFAULT_PORTAL_URL) -> dict:
    """The development realm made fit for production (see README: "Keycloak realm")."""
    realm = copy.deepcopy(realm)
    realm["sslRequired"] = "all"
    clients = []
    for client in realm["clients"]:
        if client["clientId"] in DEV_ONLY_CLIENTS:
            continue
        if "secret" in client:
            # No value in git: the import job reads it from the service's own Secret (spec.placeholders).
            client["secret"] = "${" + secret_placeholder(client["clientId"]) + "}"
            client["description"] = (
                f"Service account of {client['clientId']} (client credentials). Secret: "
                f"{service_secret(client['clientId'])}/AUTH__CLIENT_SECRET, rotated with Keycloak's client "
                "secret rotation (deploy/k8s/README.md)."
            )
        if client["clientId"] == PORTAL_CLIENT:
            client["redirectUris"] = [portal_url.rstrip("/") + "/auth/callback"]
            client["webOrigins"] = ["+"]  # the redirect URIs' origins
        clients.append(client)
    realm["clients"] = clients
    # Demo people (with their passwords) stay in development; the service-account users carry the
    # `service` role and notifications' realm-management roles, so they are kept.
    realm["users"] = [u for u in realm.get("users", []) if u.get("serviceAccountClientId")]
    return realm


def realm_import(realm: dict, portal_url: str = DEFAULT_PORTAL_URL) -> dict:
    prod = production_realm(realm, portal_url)
    placeholders = {
        secret_placeholder(c["clientId"]): {
            "secret": {"name": service_secret(c["clientId"]), "key": "AUTH__CLIENT_SECRET"}
        }
        for c in prod["clients"]
        if "secret" in c
    }
    return {
        "apiVersion": "k8s.keycloak.org/v2alpha1",
        "kind": "KeycloakRealmImport",
        "metadata": {
            "name": f"{prod['realm']}-realm",
            "labels": {"app.kubernetes.io/part-of": "rsc", "app.kubernetes.io/component": "keycloak-realm"},
        },
        "spec": {"keycloakCRName": KEYCLOAK_CR, "placeholders": placeholders, "realm": prod},
    }


# ---------------------------------------------------------------------------------------------- output

HEADER = """\
# GENERATED by deploy/k8s/platform/generate.py - do not edit; change the generator and re-run it:
#   .venv/bin/python deploy/k8s/platform/generate.py
# {what}
"""


def render(docs: list[dict], what: str) -> str:
    body = yaml.safe_dump_all(docs, sort_keys=False, default_flow_style=False, width=120, allow_unicode=True)
    return HEADER.format(what=what) + "---\n" + body


def outputs(prefix: str = "", portal_url: str = DEFAULT_PORTAL_URL) -> dict[str, str]:
    realm = json.loads(REALM_JSON.read_text(encoding="utf-8"))
    return {
        "kafka-topics.yaml": render(
            kafka_topics(prefix),
            "Strimzi KafkaTopics (v1beta2, Strimzi 0.48): every topic of rsc_common.events.topics and its .dlt twin.",
        ),
        "kafka-users.yaml": render(
            kafka_users(prefix),
            "Strimzi KafkaUsers (v1beta2, Strimzi 0.48): one per service, SCRAM-SHA-512, least-privilege ACLs.",
        ),
        "keycloak-realm-import.yaml": render(
            [realm_import(realm, portal_url)],
            "KeycloakRealmImport (k8s.keycloak.org/v2alpha1) from deploy/local/keycloak/realm-rsc.json, without\n"
            "# demo users, the dev-only rsc-cli client and the dev client secrets (they come from Secrets).",
        ),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="compare with the files on disk, write nothing")
    parser.add_argument("--prefix", default="", help="KAFKA__TOPIC_PREFIX of the target environment")
    parser.add_argument("--portal-url", default=DEFAULT_PORTAL_URL, help="RSC_PORTAL_PUBLIC_URL (OIDC redirect)")
    parser.add_argument("--out-dir", type=Path, default=HERE, help="where to write (default: next to this script)")
    args = parser.parse_args(argv)
    stale = []
    for name, text in outputs(args.prefix, args.portal_url).items():
        path = args.out_dir / name
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        if args.check:
            stale.append(name)
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
    if stale:
        print(f"out of date: {', '.join(stale)} (run {Path(__file__).relative_to(ROOT)})", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

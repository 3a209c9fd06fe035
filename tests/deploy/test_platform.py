"""The platform resources in deploy/k8s/platform (Strimzi, CloudNativePG, Keycloak operator, Temporal values,
OpenTelemetry Collector), checked in pure Python against the code they serve:

- the generated files equal generate.py's output (they cannot drift from rsc_common or the realm);
- every topic of docs/events.md has a KafkaTopic with replicas 3 and min.insync.replicas 2;
- every service's KafkaUser grants exactly what its worker does (from the services' WorkerSpecs, not from
  the generator's table): no wildcard, no other topic or group;
- CloudNativePG has a database and an owner role per service, as the Secret templates' DATABASE_URL expects;
- the realm import has the realm json's roles, clients and mappers and no demo user or development secret;
- the collector is hardened like the RSC pods.
"""

from __future__ import annotations

import copy
import importlib
import importlib.util
import json
import os
import re
import sys
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from rsc_common.events import topics
from tests.deploy.validation import build

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
BASE = K8S / "base"
PLATFORM = K8S / "platform"
REALM_JSON = ROOT / "deploy" / "local" / "keycloak" / "realm-rsc.json"
SERVICES = sorted(
    p.name for p in (ROOT / "services").iterdir() if (p / "pyproject.toml").is_file() and p.name != "portal"
)
# YAML under platform/ that is not a kustomize resource (each for a stated reason).
NOT_RESOURCES = {
    "kustomization.yaml",
    "postgres-backup.example.yaml",  # applied by hand once an object store exists
    "temporal/values.yaml",  # Helm values
    "otel-collector/config.yaml",  # collector configuration, via configMapGenerator
    "components/single-node/kustomization.yaml",  # a Component for development overlays
}
READ_ONLY_OPS = {"Read", "Describe"}
WRITE_OPS = {"Write", "Describe"}

Obj = dict[str, Any]


# --------------------------------------------------------------------------------------------- loading


def _docs(path: Path) -> list[Obj]:
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]


def _kustomization() -> Obj:
    return yaml.safe_load((PLATFORM / "kustomization.yaml").read_text(encoding="utf-8"))


@cache
def _objects() -> tuple[Obj, ...]:
    return tuple(doc for entry in _kustomization()["resources"] for doc in _docs(PLATFORM / entry))


def _of_kind(kind: str) -> list[Obj]:
    return [o for o in _objects() if o["kind"] == kind]


def _one(kind: str) -> Obj:
    (obj,) = _of_kind(kind)
    return obj


@cache
def _generator():
    spec = importlib.util.spec_from_file_location("rsc_platform_generate", PLATFORM / "generate.py")
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _realm() -> Obj:
    return json.loads(REALM_JSON.read_text(encoding="utf-8"))


def _documented_topics() -> dict[str, tuple[str, str]]:
    """docs/events.md, section Topics: topic -> (producer, dead-letter twin)."""
    text = (ROOT / "docs" / "events.md").read_text(encoding="utf-8")
    section = text.split("## Topics", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\|\s*`([^`]+)`\s*\|\s*([a-z]+)\s*\|\s*`([^`]+)`\s*\|\s*$", section, re.MULTILINE)
    assert rows, "no topic table found in docs/events.md"
    return {topic: (producer, dlt) for topic, producer, dlt in rows}


@cache
def _worker_specs() -> dict[str, Any]:
    """Each service's real WorkerSpec, built from its cli.DEFINITION (nothing connects: no engine is used)."""
    specs = {}
    with pytest.MonkeyPatch.context() as mp:
        for service in SERVICES:
            mp.setenv(f"RSC_{service.upper()}_DATABASE_URL", "postgresql://u:p@127.0.0.1:1/x")
            definition = importlib.import_module(f"rsc_{service}.cli").DEFINITION
            specs[service] = definition.worker(definition.settings(), None)
    return specs


def _expected_acls(service: str) -> set[tuple[str, str, frozenset[str]]]:
    """What the worker needs, derived from its WorkerSpec and rsc_common (independently of generate.py)."""
    spec = _worker_specs()[service]
    own = f"rsc.{service}.events"
    assert own in topics.DOMAIN_TOPICS
    expected = set()
    if spec.relay:
        expected.add(("topic", own, frozenset(WRITE_OPS)))
    for consumer in spec.consumers:
        expected.add(("group", consumer.group_id, frozenset({"Read"})))
        for topic in consumer.topics:
            expected.add(("topic", topic, frozenset(READ_ONLY_OPS)))
            expected.add(("topic", topics.dead_letter_topic(topic), frozenset(WRITE_OPS)))
    return expected


def _least_privilege_violations(user: Obj, expected: set[tuple[str, str, frozenset[str]]]) -> list[str]:
    problems = []
    auth = user["spec"].get("authentication", {}).get("type")
    if auth not in ("scram-sha-512", "tls"):
        problems.append(f"authentication {auth!r}")
    authz = user["spec"].get("authorization", {})
    if authz.get("type") != "simple":
        problems.append("no simple authorization")
    granted = set()
    for acl in authz.get("acls", []):
        resource = acl["resource"]
        ops = acl.get("operations") or [acl.get("operation")]
        if resource.get("patternType", "literal") != "literal":
            problems.append(f"{resource}: only literal resource patterns")
        if resource["type"] not in ("topic", "group") or "*" in resource.get("name", "*"):
            problems.append(f"{resource}: wildcard or non topic/group resource")
        if acl.get("type", "allow") != "allow" or acl.get("host", "*") != "*":
            problems.append(f"{resource}: unexpected type/host")
        granted.add((resource["type"], resource.get("name"), frozenset(ops)))
    if granted != expected:
        problems.append(f"extra: {sorted(granted - expected, key=str)}; missing: {sorted(expected - granted, key=str)}")
    return problems


# --------------------------------------------------------------------------------------------- files


def test_generated_files_equal_the_generator_output() -> None:
    for name, text in _generator().outputs().items():
        path = PLATFORM / name
        assert path.is_file(), f"{name} missing: run .venv/bin/python deploy/k8s/platform/generate.py"
        assert path.read_text(encoding="utf-8") == text, f"{name} is stale: run deploy/k8s/platform/generate.py"


def test_generator_check_mode_detects_drift(tmp_path: Path) -> None:
    generator = _generator()
    assert generator.main(["--out-dir", str(tmp_path)]) == 0
    assert generator.main(["--check", "--out-dir", str(tmp_path)]) == 0
    (tmp_path / "kafka-users.yaml").write_text("# edited by hand\n", encoding="utf-8")
    assert generator.main(["--check", "--out-dir", str(tmp_path)]) == 1


def test_kustomization_lists_every_resource_and_only_existing_files() -> None:
    kust = _kustomization()
    assert kust["apiVersion"] == "kustomize.config.k8s.io/v1beta1"
    assert kust["kind"] == "Kustomization"
    assert "namespace" not in kust, "namespace-agnostic: the overlay sets it"
    listed = set(kust["resources"])
    for entry in listed:
        assert (PLATFORM / entry).is_file(), f"{entry} listed but missing"
    for generator in kust.get("configMapGenerator", []):
        for entry in generator.get("files", []):
            assert (PLATFORM / entry.rpartition("=")[2]).is_file(), entry
    on_disk = {str(p.relative_to(PLATFORM)) for p in PLATFORM.rglob("*.yaml")}
    assert on_disk - listed - NOT_RESOURCES == set(), "YAML in platform/ that nothing uses"
    assert on_disk >= NOT_RESOURCES


def test_every_yaml_file_parses_and_resources_are_namespace_agnostic() -> None:
    for path in PLATFORM.rglob("*.yaml"):
        _docs(path)  # valid YAML
    for obj in _objects():
        assert {"apiVersion", "kind", "metadata"} <= obj.keys(), obj
        assert "namespace" not in obj["metadata"], f"{obj['kind']} {obj['metadata']['name']}: namespace set"


def test_no_secret_objects_or_values_in_platform() -> None:
    dev_secrets = {c["secret"] for c in _realm()["clients"] if c.get("secret")}
    demo_passwords = {c["value"] for u in _realm()["users"] for c in u.get("credentials", [])}
    assert dev_secrets
    assert demo_passwords
    for path in PLATFORM.rglob("*"):
        if not path.is_file() or path.suffix == ".pyc":
            continue
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".yaml":
            # Secrets are created out of band (README); a Secret here would overwrite the real one on apply.
            assert all(d.get("kind") != "Secret" for d in _docs(path) if isinstance(d, dict)), path.name
        for secret in dev_secrets:
            assert secret not in text, f"{path.name} contains a development client secret"
        assert not re.search(r"(?i)(password|secret)\s*[:=]\s*[\"']?(?!REPLACE_ME)[A-Za-z0-9+/]{16,}", text), path.name


# --------------------------------------------------------------------------------------------- Kafka


def test_kafka_cluster_is_kraft_replicated_and_enforces_acls() -> None:
    kafka = _one("Kafka")
    assert kafka["apiVersion"] == "kafka.strimzi.io/v1beta2"
    pools = _of_kind("KafkaNodePool")
    roles = {role for pool in pools for role in pool["spec"]["roles"]}
    assert roles == {"controller", "broker"}
    for pool in pools:
        assert pool["metadata"]["labels"]["strimzi.io/cluster"] == kafka["metadata"]["name"]
        assert pool["spec"]["replicas"] == 3, "production: three controllers and three brokers"
    config = kafka["spec"]["kafka"]["config"]
    assert config["auto.create.topics.enable"] is False
    assert config["min.insync.replicas"] == 2
    assert config["default.replication.factor"] == 3
    assert config["offsets.topic.replication.factor"] == 3
    assert kafka["spec"]["kafka"]["authorization"]["type"] == "simple"
    for listener in kafka["spec"]["kafka"]["listeners"]:
        assert listener.get("authentication", {}).get("type") in ("scram-sha-512", "tls"), listener["name"]
    assert "userOperator" in kafka["spec"]["entityOperator"]
    assert "topicOperator" in kafka["spec"]["entityOperator"]


def test_every_documented_topic_has_a_kafka_topic() -> None:
    documented = _documented_topics()
    expected = set(documented) | {dlt for _, dlt in documented.values()}
    assert expected == set(topics.all_topics()), "docs/events.md and rsc_common.events.topics disagree"
    kafka = _one("Kafka")["metadata"]["name"]
    by_topic = {t["spec"].get("topicName", t["metadata"]["name"]): t for t in _of_kind("KafkaTopic")}
    assert set(by_topic) == expected
    for name, topic in by_topic.items():
        assert topic["metadata"]["labels"]["strimzi.io/cluster"] == kafka
        assert topic["spec"]["replicas"] == 3, name
        assert topic["spec"]["config"]["min.insync.replicas"] == 2, name
        assert topic["spec"]["partitions"] >= 1
    for topic, (_, dlt) in documented.items():
        assert dlt == topics.dead_letter_topic(topic)
        # consumers scale up to the partition count of the domain topics
        assert by_topic[topic]["spec"]["partitions"] >= 12


def test_generator_table_matches_the_workers() -> None:
    """KAFKA_ACCESS is declared by hand; it must say what the services' WorkerSpecs do."""
    access = _generator().KAFKA_ACCESS
    assert set(access) == set(SERVICES)
    for service, spec in _worker_specs().items():
        declared = access[service]
        assert {g: set(ts) for g, ts in declared.consumer_groups.items()} == {
            c.group_id: set(c.topics) for c in spec.consumers
        }, service
        assert set(declared.produces) == ({f"rsc.{service}.events"} if spec.relay else set()), service


def test_every_service_has_a_least_privilege_kafka_user() -> None:
    users = {u["metadata"]["name"]: u for u in _of_kind("KafkaUser")}
    assert set(users) == {f"rsc-{s}" for s in SERVICES}
    kafka = _one("Kafka")["metadata"]["name"]
    for service in SERVICES:
        user = users[f"rsc-{service}"]
        assert user["metadata"]["labels"]["strimzi.io/cluster"] == kafka
        assert _least_privilege_violations(user, _expected_acls(service)) == [], service


def test_documented_producers_may_write_their_topic_and_nobody_else() -> None:
    writers: dict[str, set[str]] = {}
    for user in _of_kind("KafkaUser"):
        for acl in user["spec"]["authorization"]["acls"]:
            if "Write" in acl["operations"]:
                writers.setdefault(acl["resource"]["name"], set()).add(user["metadata"]["name"])
    for topic, (producer, _) in _documented_topics().items():
        relay = _worker_specs()[producer].relay
        assert writers.get(topic, set()) == ({f"rsc-{producer}"} if relay else set()), topic


@pytest.mark.parametrize(
    "mutate",
    [
        lambda acls: acls.append(
            {"resource": {"type": "topic", "name": "*", "patternType": "literal"}, "operations": ["Read"]}
        ),
        lambda acls: acls.append(
            {"resource": {"type": "topic", "name": "rsc.", "patternType": "prefix"}, "operations": ["Read"]}
        ),
        lambda acls: acls.append({"resource": {"type": "cluster"}, "operations": ["Alter"]}),
        lambda acls: acls[0]["operations"].append("Delete"),
        lambda acls: acls.pop(),
    ],
    ids=["wildcard-topic", "prefix-pattern", "cluster-alter", "extra-operation", "missing-acl"],
)
def test_least_privilege_check_catches_excess_and_gaps(mutate) -> None:
    user = copy.deepcopy(next(u for u in _of_kind("KafkaUser") if u["metadata"]["name"] == "rsc-intake"))
    mutate(user["spec"]["authorization"]["acls"])
    assert _least_privilege_violations(user, _expected_acls("intake")) != []


# --------------------------------------------------------------------------------------------- PostgreSQL


def _database_url_template(service: str) -> str:
    (secret,) = _docs(BASE / service / "secret.template.yaml")
    return secret["stringData"]["DATABASE_URL"]


def test_cnpg_has_a_database_and_owner_role_per_service() -> None:
    cluster = _one("Cluster")
    assert cluster["apiVersion"] == "postgresql.cnpg.io/v1"
    assert cluster["spec"]["instances"] == 3
    assert cluster["spec"].get("enableSuperuserAccess") is False
    roles = {r["name"]: r for r in cluster["spec"]["managed"]["roles"]}
    databases = {d["spec"]["name"]: d for d in _of_kind("Database")}
    for service in SERVICES:
        name = f"rsc_{service}"
        # the service's DATABASE_URL (Secret template) names this database
        assert urlsplit(_database_url_template(service).replace("REPLACE_ME_HOST", "h")).path == f"/{name}"
        assert name in roles, service
        assert name in databases, service
        assert databases[name]["spec"]["owner"] == name
    for name, db in databases.items():
        assert db["spec"]["cluster"]["name"] == cluster["metadata"]["name"], name
        assert db["spec"]["owner"] in roles, name
        assert db["spec"].get("ensure", "present") == "present"
        assert db["spec"].get("databaseReclaimPolicy") == "retain", f"{name}: deleting the CR must keep the data"
    for name, role in roles.items():
        assert role["login"] is True, name
        assert role.get("superuser", False) is False, name
        assert role.get("ensure", "present") == "present"
        assert role["passwordSecret"]["name"].startswith("rsc-pg-"), name
        assert "password" not in role, f"{name}: passwords only from Secrets"


def test_keycloak_and_temporal_use_cnpg_databases() -> None:
    databases = {d["spec"]["name"]: d["spec"]["owner"] for d in _of_kind("Database")}
    roles = {r["name"]: r for r in _one("Cluster")["spec"]["managed"]["roles"]}
    keycloak = _one("Keycloak")
    db = keycloak["spec"]["db"]
    assert db["vendor"] == "postgres"
    assert db["host"] == f"{_one('Cluster')['metadata']['name']}-rw"
    assert databases[db["database"]] == db["database"]
    assert db["passwordSecret"]["name"] == roles[databases[db["database"]]]["passwordSecret"]["name"]
    values = yaml.safe_load((PLATFORM / "temporal" / "values.yaml").read_text(encoding="utf-8"))
    persistence = values["server"]["config"]["persistence"]
    for store in (persistence["defaultStore"], persistence["visibilityStore"]):
        sql = persistence["datastores"][store]["sql"]
        assert sql["pluginName"].startswith("postgres")
        assert databases[sql["databaseName"]] == sql["user"], store
        assert sql["connectAddr"].startswith(f"{_one('Cluster')['metadata']['name']}-rw.")
        assert sql["createDatabase"] is False, "the Database resources create them"
        assert "password" not in sql, "password from a Secret"
        assert sql["existingSecret"]
    namespaces = {n["name"] for n in values["server"]["config"]["namespaces"]["namespace"]}
    assert "rsc" in namespaces, "the production overlay's TEMPORAL__NAMESPACE"


# --------------------------------------------------------------------------------------------- Keycloak


def _realm_import() -> Obj:
    return _one("KeycloakRealmImport")


def _keys_named(node: Any, key: str) -> list[Any]:
    if isinstance(node, dict):
        return ([node[key]] if key in node else []) + [v for x in node.values() for v in _keys_named(x, key)]
    if isinstance(node, list):
        return [v for x in node for v in _keys_named(x, key)]
    return []


def _without(client: Obj, *keys: str) -> Obj:
    return {k: v for k, v in client.items() if k not in keys}


def test_realm_import_keeps_roles_clients_and_mappers() -> None:
    source = _realm()
    realm_import = _realm_import()
    assert realm_import["spec"]["keycloakCRName"] == _one("Keycloak")["metadata"]["name"]
    realm = realm_import["spec"]["realm"]
    assert realm["realm"] == source["realm"]
    assert realm["roles"] == source["roles"]
    assert realm["components"] == source["components"], "the user profile (organisation_id) is part of the model"
    dev_only = _generator().DEV_ONLY_CLIENTS
    assert dev_only == {"rsc-cli"}, "only the client the realm itself marks development-only is dropped"
    expected = {c["clientId"]: c for c in source["clients"] if c["clientId"] not in dev_only}
    clients = {c["clientId"]: c for c in realm["clients"]}
    assert set(clients) == set(expected)
    for client_id, client in clients.items():
        changed = ("secret", "description", "redirectUris", "webOrigins")
        assert _without(client, *changed) == _without(expected[client_id], *changed), client_id
        assert client.get("protocolMappers") == expected[client_id].get("protocolMappers"), client_id
    assert all(not c.get("redirectUris") or all("localhost" not in u and "127.0.0.1" not in u
                                                 for u in c["redirectUris"]) for c in clients.values())  # fmt: skip
    assert realm["sslRequired"] == "all"


def test_realm_import_has_no_demo_user_or_development_secret() -> None:
    source = _realm()
    realm = _realm_import()["spec"]["realm"]
    accounts = {u["username"] for u in source["users"] if u.get("serviceAccountClientId")}
    assert {u["username"] for u in realm["users"]} == accounts, "service accounts only (they carry the roles)"
    assert all("credentials" not in u for u in realm["users"])
    text = (PLATFORM / "keycloak-realm-import.yaml").read_text(encoding="utf-8")
    for user in source["users"]:
        for credential in user.get("credentials", []):
            assert f"value: {credential['value']}\n" not in text, user["username"]
    assert not _keys_named(realm, "credentials"), "no credentials of any kind in the import"
    for client in source["clients"]:
        if client.get("secret"):
            assert client["secret"] not in text


def test_client_secrets_come_from_the_services_secrets() -> None:
    spec = _realm_import()["spec"]
    placeholders = spec["placeholders"]
    confidential = [c for c in spec["realm"]["clients"] if "secret" in c]
    assert {c["clientId"] for c in confidential} == {f"rsc-{s}" for s in SERVICES}
    for client in confidential:
        match = re.fullmatch(r"\$\{([A-Z0-9_]+)\}", client["secret"])
        assert match, f"{client['clientId']}: the secret must be a placeholder"
        ref = placeholders[match.group(1)]["secret"]
        service = client["clientId"].removeprefix("rsc-")
        # the very Secret the service reads its AUTH__CLIENT_SECRET from
        (template,) = _docs(BASE / service / "secret.template.yaml")
        assert ref == {"name": template["metadata"]["name"], "key": "AUTH__CLIENT_SECRET"}
        assert ref["key"] in template["stringData"]
    assert len(placeholders) == len(confidential)


def test_keycloak_instance() -> None:
    keycloak = _one("Keycloak")
    assert keycloak["apiVersion"] == "k8s.keycloak.org/v2alpha1"
    assert keycloak["spec"]["instances"] >= 2
    assert keycloak["spec"]["hostname"]["hostname"].startswith("https://")
    assert keycloak["spec"]["http"].get("tlsSecret") or keycloak["spec"]["http"].get("httpEnabled") is not True


# --------------------------------------------------------------------------------------------- collector


def _quantity(value: str | int) -> float:
    text = str(value)
    units = {"m": 1e-3, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30}
    for suffix, factor in units.items():
        if text.endswith(suffix):
            return float(text[: -len(suffix)]) * factor
    return float(text)


def test_collector_is_hardened() -> None:
    (deployment,) = [d for d in _of_kind("Deployment") if d["metadata"]["name"] == "otel-collector"]
    pod = deployment["spec"]["template"]["spec"]
    assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
    assert pod["automountServiceAccountToken"] is False
    volumes = {v["name"] for v in pod["volumes"]}
    (container,) = pod["containers"]
    security = pod["securityContext"] | container["securityContext"]
    assert security["runAsNonRoot"] is True
    assert security["runAsUser"] > 0
    assert security["allowPrivilegeEscalation"] is False
    assert security["readOnlyRootFilesystem"] is True
    assert security.get("privileged", False) is False
    assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]
    assert ":" in container["image"], "pin the image"
    assert not container["image"].endswith(":latest"), "pin the image"
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert container[probe]["httpGet"]["port"] in {p["name"] for p in container["ports"]}, probe
    for kind in ("cpu", "memory"):
        request, limit = container["resources"]["requests"][kind], container["resources"]["limits"][kind]
        assert 0 < _quantity(request) <= _quantity(limit), kind
    for mount in container["volumeMounts"]:
        assert mount["name"] in volumes


def test_collector_receives_otlp_http_on_4318() -> None:
    (deployment,) = [d for d in _of_kind("Deployment") if d["metadata"]["name"] == "otel-collector"]
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    service = next(s for s in _of_kind("Service") if s["metadata"]["name"] == "otel-collector")
    (port,) = service["spec"]["ports"]
    assert port["port"] == 4318
    assert {"name": "otlp-http", "containerPort": 4318, "protocol": "TCP"} in container["ports"]
    assert service["spec"]["selector"].items() <= deployment["spec"]["template"]["metadata"]["labels"].items()
    config = yaml.safe_load((PLATFORM / "otel-collector" / "config.yaml").read_text(encoding="utf-8"))
    assert config["receivers"]["otlp"]["protocols"]["http"]["endpoint"].endswith(":4318")
    traces = config["service"]["pipelines"]["traces"]
    assert set(traces["exporters"]) <= set(config["exporters"])
    assert "memory_limiter" in traces["processors"]
    exporter_env = config["exporters"]["otlphttp"]["endpoint"]
    assert exporter_env == "${env:OTLP_EXPORT_ENDPOINT}"
    assert "OTLP_EXPORT_ENDPOINT" in {e["name"] for e in container["env"]}, "the exporter is configurable"
    # the pod mounts the generated ConfigMap
    names = {g["name"] for g in _kustomization()["configMapGenerator"]}
    mounted = {v["configMap"]["name"] for v in deployment["spec"]["template"]["spec"]["volumes"] if "configMap" in v}
    assert mounted <= names


# --------------------------------------------------------------------------------------------- kustomize


def _build(directory: Path) -> list[Obj]:
    """`kustomize build` with the kustomize that `make bootstrap` installed from the Go module proxy."""
    return build(directory)


def test_platform_builds_in_a_namespace_and_the_single_node_component_applies(tmp_path: Path) -> None:
    overlay = tmp_path / "dev"
    overlay.mkdir()
    (overlay / "kustomization.yaml").write_text(
        yaml.safe_dump(
            {
                "apiVersion": "kustomize.config.k8s.io/v1beta1",
                "kind": "Kustomization",
                "namespace": "rsc",
                "resources": [os.path.relpath(PLATFORM, overlay)],
                "components": [os.path.relpath(PLATFORM / "components" / "single-node", overlay)],
            }
        ),
        encoding="utf-8",
    )
    plain = _build(PLATFORM)
    assert {(d["kind"], d["metadata"]["name"]) for d in plain if d["kind"] != "ConfigMap"} == {
        (o["kind"], o["metadata"]["name"]) for o in _objects()
    }
    rendered = _build(overlay)
    assert all(d["metadata"]["namespace"] == "rsc" for d in rendered)
    for doc in rendered:
        if doc["kind"] == "KafkaNodePool":
            assert doc["spec"]["replicas"] == 1
        if doc["kind"] == "KafkaTopic":
            assert doc["spec"]["replicas"] == 1
            assert doc["spec"]["config"]["min.insync.replicas"] == 1
        if doc["kind"] == "Kafka":
            config = doc["spec"]["kafka"]["config"]
            assert config["min.insync.replicas"] == 1
            assert config["default.replication.factor"] == 1
        if doc["kind"] in ("Cluster", "Keycloak"):
            assert doc["spec"]["instances"] == 1
    (config_map,) = [d for d in rendered if d["kind"] == "ConfigMap"]
    (deployment,) = [d for d in rendered if d["kind"] == "Deployment"]
    assert config_map["metadata"]["name"] in json.dumps(deployment), "the hashed name is referenced"

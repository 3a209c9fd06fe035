"""Every overlay of deploy/k8s builds with kustomize and every resource it renders fits its schema.

Offline: `make bootstrap` installed kustomize and the operators' CRDs (deploy/local/kustomize.sh and
crds.sh); the built-in kinds' schemas come with kubernetes-validate. See tests/deploy/validation.py.
The second half proves the validator catches mistakes: an overlay copied to a temporary folder, with a
typo'd field and a wrong type injected into a Deployment and into custom resources, must be reported.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.version import Version

from tests.deploy import validation
from tests.deploy.validation import K8S, KUBERNETES_VERSION, Problem, Validator

Obj = dict[str, Any]

OVERLAYS = validation.overlays()
# The operators' kinds the platform uses: each must have a schema.
OPERATOR_KINDS = [
    ("kafka.strimzi.io/v1beta2", "Kafka"),
    ("kafka.strimzi.io/v1beta2", "KafkaNodePool"),
    ("kafka.strimzi.io/v1beta2", "KafkaTopic"),
    ("kafka.strimzi.io/v1beta2", "KafkaUser"),
    ("postgresql.cnpg.io/v1", "Cluster"),
    ("postgresql.cnpg.io/v1", "Database"),
    ("k8s.keycloak.org/v2alpha1", "Keycloak"),
    ("k8s.keycloak.org/v2alpha1", "KeycloakRealmImport"),
]


@pytest.fixture(scope="module")
def validator() -> Validator:
    return Validator.default()


def _report(problems: list[Problem]) -> str:
    return "\n".join(map(str, problems))


# --------------------------------------------------------------------------------------------- the machinery


def test_the_tools_are_installed() -> None:
    out = subprocess.run([validation.kustomize(), "version"], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("v5."), out.stdout
    names = {p.name for p in validation.crd_files()}
    assert {"postgresql.cnpg.io_clusters.yaml", "postgresql.cnpg.io_databases.yaml"} <= names
    assert {"kafka.yaml", "kafkanodepool.yaml", "kafkatopic.yaml", "kafkauser.yaml"} <= names


def test_the_kubernetes_version_is_one_kubernetes_validate_knows() -> None:
    from kubernetes_validate.utils import all_versions

    assert KUBERNETES_VERSION in {".".join(v.split(".")[:2]) for v in all_versions()}
    assert Version(KUBERNETES_VERSION) >= Version("1.30"), "a Kubernetes version still supported upstream"


@pytest.mark.parametrize(("api_version", "kind"), OPERATOR_KINDS)
def test_every_operator_kind_has_a_schema(validator: Validator, api_version: str, kind: str) -> None:
    assert validator.knows(api_version, kind)


def test_the_overlays_are_discovered() -> None:
    assert "production" in [o.name for o in OVERLAYS]
    for overlay in OVERLAYS:
        assert (overlay / "kustomization.yaml").is_file() or (overlay / "kustomization.yml").is_file()


# --------------------------------------------------------------------------------------------- the overlays


@pytest.mark.parametrize("overlay", OVERLAYS, ids=lambda d: d.name)
def test_overlay_builds_and_every_resource_is_valid(validator: Validator, overlay: Path) -> None:
    rendered = validation.build(overlay)
    assert rendered, "the overlay renders nothing"
    problems = validator.validate_all(rendered)
    assert not problems, f"{len(problems)} problem(s) in {overlay.relative_to(K8S)}:\n{_report(problems)}"


# --------------------------------------------------------------------------------------------- valid custom resources

VALID_CUSTOM_RESOURCES = """
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata: {name: pg, namespace: rsc, labels: {app: pg}}
spec:
  instances: 3
  imageName: ghcr.io/cloudnative-pg/postgresql:17
  storage: {size: 10Gi}
  postgresql:
    parameters: {max_connections: "200"}
  resources:
    requests: {cpu: 500m, memory: 1Gi}
---
apiVersion: postgresql.cnpg.io/v1
kind: Database
metadata: {name: intake}
spec: {name: intake, owner: intake, cluster: {name: pg}}
---
apiVersion: kafka.strimzi.io/v1beta2
kind: KafkaNodePool
metadata: {name: brokers, labels: {strimzi.io/cluster: kafka}}
spec:
  replicas: 3
  roles: [controller, broker]
  storage:
    type: jbod
    volumes: [{id: 0, type: persistent-claim, size: 20Gi, deleteClaim: false}]
---
apiVersion: kafka.strimzi.io/v1beta2
kind: Kafka
metadata:
  name: kafka
  annotations: {strimzi.io/node-pools: enabled, strimzi.io/kraft: enabled}
spec:
  kafka:
    version: 3.9.0
    listeners: [{name: plain, port: 9092, type: internal, tls: false}]
    config: {offsets.topic.replication.factor: 3, min.insync.replicas: 2}
  entityOperator: {topicOperator: {}, userOperator: {}}
---
apiVersion: kafka.strimzi.io/v1beta2
kind: KafkaTopic
metadata: {name: events, labels: {strimzi.io/cluster: kafka}}
spec: {partitions: 12, replicas: 3, config: {retention.ms: 604800000}}
---
apiVersion: kafka.strimzi.io/v1beta2
kind: KafkaUser
metadata: {name: intake, labels: {strimzi.io/cluster: kafka}}
spec:
  authentication: {type: scram-sha-512}
  authorization:
    type: simple
    acls: [{resource: {type: topic, name: rsc., patternType: prefix}, operations: [Read, Write]}]
---
apiVersion: k8s.keycloak.org/v2alpha1
kind: Keycloak
metadata: {name: keycloak}
spec:
  instances: 2
  db: {vendor: postgres, host: pg-rw}
  hostname: {hostname: login.example.org}
  http: {tlsSecret: keycloak-tls}
---
apiVersion: k8s.keycloak.org/v2alpha1
kind: KeycloakRealmImport
metadata: {name: realm}
spec: {keycloakCRName: keycloak, realm: {realm: rsc, enabled: true}}
"""


def test_valid_custom_resources_pass(validator: Validator) -> None:
    resources = [d for d in yaml.safe_load_all(VALID_CUSTOM_RESOURCES) if d]
    assert {(r["apiVersion"], r["kind"]) for r in resources} == set(OPERATOR_KINDS)
    assert not validator.validate_all(resources), _report(validator.validate_all(resources))


# --------------------------------------------------------------------------------------------- broken manifests

BROKEN_CUSTOM_RESOURCES = """
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata: {name: broken-pg}
spec:
  instances: 3
  enableSuperuserAccess: "yes"   # wrong type
  storage: {size: 10Gi, storageClas: fast}   # typo
---
apiVersion: kafka.strimzi.io/v1beta2
kind: KafkaTopic
metadata: {name: broken-topic, labels: {strimzi.io/cluster: kafka}}
spec: {partitions: twelve, replica: 3}   # wrong type, typo
---
apiVersion: k8s.keycloak.org/v2alpha1
kind: Keycloak
metadata: {name: broken-keycloak}
spec: {instnces: 2}   # typo
---
apiVersion: kafka.strimzi.io/v1
kind: KafkaTopic
metadata: {name: future-topic}
spec: {partitions: 1}   # a version the pinned Strimzi does not serve
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: nobody-knows-me}
spec: {}
"""


def _first(rendered: list[Obj], kind: str) -> Obj:
    return next(d for d in rendered if d["kind"] == kind)


def _broken_copy(overlay: Path, tmp_path: Path) -> tuple[Path, list[Obj]]:
    """deploy/k8s copied to a temporary folder, with a kustomization on top of the copied overlay that adds
    broken resources and patches a Deployment and a custom resource of the overlay (on top, so that the
    overlay's own patches by kind do not touch the broken resources)."""
    shutil.copytree(K8S, tmp_path / "k8s")
    copy = tmp_path / "k8s" / overlay.relative_to(K8S)
    rendered = validation.build(copy)
    deployment = _first(rendered, "Deployment")
    patches = [
        {
            "target": {"kind": "Deployment", "name": deployment["metadata"]["name"]},
            "patch": yaml.safe_dump(
                [
                    {"op": "add", "path": "/spec/template/spec/containers/0/imagePullPolicyy", "value": "Always"},
                    {"op": "add", "path": "/spec/minReadySeconds", "value": "ten"},
                ]
            ),
        }
    ]
    custom = [d for d in rendered if d["apiVersion"].startswith(("kafka.strimzi.io/", "postgresql.cnpg.io/"))]
    if custom:  # the platform's own custom resources, when the overlay has them
        patches.append(
            {
                "target": {"kind": custom[0]["kind"], "name": custom[0]["metadata"]["name"]},
                "patch": yaml.safe_dump([{"op": "add", "path": "/spec/bogusField", "value": 1}]),
            }
        )
    broken = tmp_path / "k8s" / "broken"
    broken.mkdir()
    (broken / "broken.yaml").write_text(BROKEN_CUSTOM_RESOURCES)
    kustomization = {"resources": [f"../{overlay.relative_to(K8S)}", "broken.yaml"], "patches": patches}
    (broken / "kustomization.yaml").write_text(yaml.safe_dump(kustomization, sort_keys=False))
    return broken, [deployment, *custom[:1]]


@pytest.mark.parametrize("overlay", OVERLAYS, ids=lambda d: d.name)
def test_a_broken_overlay_is_reported(validator: Validator, overlay: Path, tmp_path: Path) -> None:
    copy, (deployment, *custom) = _broken_copy(overlay, tmp_path)
    problems = validator.validate_all(validation.build(copy))
    found = {(p.resource, p.path) for p in problems}
    deployment_name = validation.describe(deployment)
    expected = {
        (deployment_name, "$.spec.template.spec.containers[0]"),  # imagePullPolicyy
        (deployment_name, "$.spec.minReadySeconds"),
        ("postgresql.cnpg.io/v1 Cluster/broken-pg", "$.spec.enableSuperuserAccess"),
        ("postgresql.cnpg.io/v1 Cluster/broken-pg", "$.spec.storage"),  # storageClas
        ("kafka.strimzi.io/v1beta2 KafkaTopic/broken-topic", "$.spec"),  # replica
        ("kafka.strimzi.io/v1beta2 KafkaTopic/broken-topic", "$.spec.partitions"),
        ("k8s.keycloak.org/v2alpha1 Keycloak/broken-keycloak", "$.spec"),  # instnces
        ("kafka.strimzi.io/v1 KafkaTopic/future-topic", "$.apiVersion"),
        ("example.com/v1 Widget/nobody-knows-me", "$"),
    }
    if custom:
        expected.add((validation.describe(custom[0]), "$.spec"))  # bogusField
    assert found == expected, _report(problems)
    messages = _report(problems)
    for word in ("imagePullPolicyy", "storageClas", "'replica'", "instnces", "'ten'", "'yes'", "'twelve'"):
        assert word in messages
    assert "no schema for Widget" in messages
    assert "not served" in messages


def test_a_kustomization_that_does_not_build_is_reported(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text("resources: [missing.yaml]\n")
    with pytest.raises(validation.BuildError, match=r"missing\.yaml"):
        validation.build(tmp_path)


def test_invalid_metadata_of_a_custom_resource_is_reported(validator: Validator) -> None:
    topic = {
        "apiVersion": "kafka.strimzi.io/v1beta2",
        "kind": "KafkaTopic",
        "metadata": {"name": "t", "label": {"a": "b"}, "annotations": {"n": 1}},
        "spec": {"partitions": 1},
    }
    paths = {p.path for p in validator.validate(topic)}
    assert paths == {"$.metadata", "$.metadata.annotations.n"}


# --------------------------------------------------------------------------------------------- CRD schema translation


def _crd(schema: Obj) -> Obj:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "things.example.com"},
        "spec": {
            "group": "example.com",
            "names": {"kind": "Thing", "plural": "things"},
            "scope": "Namespaced",
            "versions": [
                {"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": schema}},
                {"name": "v0", "served": False, "storage": False, "schema": {"openAPIV3Schema": schema}},
            ],
        },
    }


THING_SCHEMA = {
    "type": "object",
    "properties": {
        "spec": {
            "type": "object",
            "required": ["port"],
            "properties": {
                "port": {"x-kubernetes-int-or-string": True, "anyOf": [{"type": "integer"}, {"type": "string"}]},
                "mode": {"type": "string", "enum": ["a", "b"]},
                "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                "template": {"type": "object", "x-kubernetes-embedded-resource": True, "properties": {}},
                "ports": {
                    "type": "array",
                    "x-kubernetes-list-type": "map",
                    "x-kubernetes-list-map-keys": ["name"],
                    "items": {"type": "object", "properties": {"name": {"type": "string"}}},
                },
                "tags": {"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "string"}},
                "either": {
                    "type": "object",
                    "properties": {"x": {"type": "string"}, "y": {"type": "string"}},
                    "oneOf": [{"required": ["x"]}, {"required": ["y"]}],
                },
                "rule": {"type": "string", "x-kubernetes-validations": [{"rule": "self != ''"}]},
            },
        },
    },
}


@pytest.mark.parametrize(
    ("spec", "paths"),
    [
        ({"port": 80}, set()),
        ({"port": "http", "mode": None, "free": {"any": {"thing": 1}}, "labels": {"a": "b"}}, set()),
        ({"port": 80, "template": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}}}, set()),
        ({"port": 80, "ports": [{"name": "a"}, {"name": "b"}], "tags": ["x", "y"], "either": {"x": "1"}}, set()),
        ({"port": 80.5}, {"$.spec.port"}),
        ({"port": 80, "mode": "c"}, {"$.spec.mode"}),
        ({"port": 80, "labels": {"a": 1}}, {"$.spec.labels.a"}),
        ({"port": 80, "typo": 1}, {"$.spec"}),
        ({}, {"$.spec"}),
        ({"port": 80, "template": {"kind": "Pod", "other": 1}}, {"$.spec.template"}),
        ({"port": 80, "ports": [{"name": "a"}, {"name": "a"}]}, {"$.spec.ports"}),
        ({"port": 80, "tags": ["x", "x"]}, {"$.spec.tags"}),
        ({"port": 80, "either": {"x": "1", "y": "2"}}, {"$.spec.either"}),
    ],
)
def test_crd_schemas_are_read_like_the_api_server(spec: Obj, paths: set[str]) -> None:
    validator = Validator([_crd(THING_SCHEMA)])
    thing = {"apiVersion": "example.com/v1", "kind": "Thing", "metadata": {"name": "t"}, "spec": spec}
    assert {p.path for p in validator.validate(thing)} == paths
    assert validator.validate({**thing, "status": {}}) != [], "a field the schema does not list is unknown"
    (problem,) = validator.validate({**thing, "apiVersion": "example.com/v0"})
    assert "not served" in problem.message


def test_crds_in_the_build_define_their_kinds() -> None:
    thing = {"apiVersion": "example.com/v1", "kind": "Thing", "metadata": {"name": "t"}, "spec": {"port": 1}}
    assert Validator().validate_all([thing]) != []
    assert Validator().validate_all([_crd(THING_SCHEMA), thing]) == []


def test_built_in_kinds_are_strict(validator: Validator) -> None:
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "s"},
        "spec": {"ports": [{"port": 80, "targetPort": "http"}], "selector": {"app": "a"}},
    }
    assert validator.validate(service) == []
    broken = {**service, "spec": {**service["spec"], "clusterIp": "None", "ports": [{"port": "eighty"}]}}
    assert {p.path for p in validator.validate(broken)} == {"$.spec", "$.spec.ports[0].port"}
    # A custom group whose first word is a built-in group's is not mistaken for it.
    impostor = {"apiVersion": "apps.example.com/v1", "kind": "Deployment", "metadata": {"name": "d"}}
    (problem,) = validator.validate(impostor)
    assert "no schema" in problem.message

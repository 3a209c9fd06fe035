"""Deployment policies over deploy/k8s: the base and every overlay, as rendered from the files in git.

Rendering is `kustomize build` with the kustomize that `make bootstrap` installs (tests/deploy/validation.py).
Each policy is a function that returns the violations it finds, and the last tests run the same functions
on deliberately broken copies.

Policies: every container has requests and limits, the restricted security context and a pinned
image; HTTP servers have liveness and readiness probes; every Deployment has topology spread, a
PodDisruptionBudget and NetworkPolicies; the namespace denies by default and allows exactly the
architecture's flows; Secrets in git hold only REPLACE_ME placeholders; every Kafka topic of
docs/events.md is created (the topics Job, and KafkaTopics once platform/kafka-topics.yaml exists).
"""

from __future__ import annotations

import ipaddress
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.validation import build

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
BASE = K8S / "base"
OVERLAYS = sorted(p for p in (K8S / "overlays").iterdir() if (p / "kustomization.yaml").is_file())
TARGETS = [BASE, *OVERLAYS]
PLACEHOLDER = "REPLACE_ME"
NAMESPACE = "rsc"
SERVICES = ["intake", "appraisal", "monitoring", "notifications"]
TEMPORAL_SERVICES = ["intake", "appraisal", "monitoring"]

Obj = dict[str, Any]


# --------------------------------------------------------------------------------------------- rendering


def _docs(path: Path) -> list[Obj]:
    return [d for d in yaml.safe_load_all(path.read_text()) if isinstance(d, dict)]


def _pod_specs(obj: Obj) -> Iterator[Obj]:
    if obj["kind"] in ("Deployment", "StatefulSet", "DaemonSet", "Job"):
        yield obj["spec"]["template"]["spec"]
    elif obj["kind"] == "CronJob":
        yield obj["spec"]["jobTemplate"]["spec"]["template"]["spec"]


def _containers(obj: Obj) -> Iterator[Obj]:
    for pod in _pod_specs(obj):
        yield from pod.get("initContainers", [])
        yield from pod.get("containers", [])


def render(directory: Path) -> list[Obj]:
    """`kustomize build` with the kustomize that `make bootstrap` installed from the Go module proxy."""
    return build(directory)


@cache
def _rendered(directory: Path) -> tuple[Obj, ...]:
    return tuple(render(directory))


def _ids(paths: list[Path]) -> list[str]:
    return [str(p.relative_to(K8S)) for p in paths]


# --------------------------------------------------------------------------------------------- selectors


def selects(selector: Obj | None, labels: dict[str, str]) -> bool:
    """A Kubernetes LabelSelector (matchLabels and matchExpressions); {} selects everything."""
    selector = selector or {}
    if any(labels.get(k) != v for k, v in selector.get("matchLabels", {}).items()):
        return False
    for expression in selector.get("matchExpressions", []):
        key, operator, values = expression["key"], expression["operator"], expression.get("values", [])
        ok = {
            "In": key in labels and labels[key] in values,
            "NotIn": key not in labels or labels[key] not in values,
            "Exists": key in labels,
            "DoesNotExist": key not in labels,
        }[operator]
        if not ok:
            return False
    return True


def _pod_labels(obj: Obj) -> dict[str, str]:
    return obj["spec"]["template"]["metadata"].get("labels", {})


# --------------------------------------------------------------------------------------------- policy: containers

SECURITY = "runAsNonRoot", "readOnlyRootFilesystem", "allowPrivilegeEscalation", "capabilities", "seccompProfile"


def _quantity(value: str | int) -> float:
    text = str(value)
    for suffix, factor in {"m": 1e-3, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30}.items():
        if text.endswith(suffix):
            return float(text[: -len(suffix)]) * factor
    return float(text)


def image_violations(image: str) -> list[str]:
    name, _, digest = image.partition("@")
    tag = name.rpartition(":")[2] if ":" in name.rpartition("/")[2] else ""
    if digest:
        return [] if re.fullmatch(r"sha256:[0-9a-f]{64}", digest) else [f"{image}: malformed digest"]
    if not tag or tag == "latest":
        return [f"{image}: not pinned (no tag, or `latest`)"]
    return []


def container_violations(objects: list[Obj] | tuple[Obj, ...]) -> list[str]:
    """Resources, the restricted security context, pinned images and probes of every container."""
    problems = []
    for obj in objects:
        for pod in _pod_specs(obj):
            where = f"{obj['kind']} {obj['metadata']['name']}"
            for flag in ("hostNetwork", "hostPID", "hostIPC"):
                if pod.get(flag):
                    problems.append(f"{where}: {flag}")
            pod_security = pod.get("securityContext", {})
            for container in pod.get("initContainers", []) + pod.get("containers", []):
                at = f"{where}/{container['name']}"
                problems += [f"{at}: {p}" for p in image_violations(container.get("image", ""))]
                resources = container.get("resources", {})
                for kind in ("cpu", "memory"):
                    request = resources.get("requests", {}).get(kind)
                    limit = resources.get("limits", {}).get(kind)
                    if request is None or limit is None:
                        problems.append(f"{at}: no {kind} request and limit")
                    elif not 0 < _quantity(request) <= _quantity(limit):
                        problems.append(f"{at}: {kind} request {request} above limit {limit}")
                security = {k: v for k, v in pod_security.items() if k in SECURITY or k == "runAsUser"}
                security |= container.get("securityContext", {})
                if security.get("runAsNonRoot") is not True or security.get("runAsUser") == 0:
                    problems.append(f"{at}: may run as root")
                if security.get("readOnlyRootFilesystem") is not True:
                    problems.append(f"{at}: writable root filesystem")
                if security.get("allowPrivilegeEscalation") is not False:
                    problems.append(f"{at}: privilege escalation allowed")
                if security.get("privileged"):
                    problems.append(f"{at}: privileged")
                if "ALL" not in security.get("capabilities", {}).get("drop", []):
                    problems.append(f"{at}: capabilities not dropped (ALL)")
                if security.get("capabilities", {}).get("add"):
                    problems.append(f"{at}: adds capabilities")
                if security.get("seccompProfile", {}).get("type") != "RuntimeDefault":
                    problems.append(f"{at}: seccomp profile is not RuntimeDefault")
                problems += [f"{at}: {p}" for p in _probe_violations(obj, container)]
    return problems


def _probe_violations(obj: Obj, container: Obj) -> list[str]:
    """HTTP servers (containers with ports, in Deployments) need HTTP liveness and readiness probes.

    Workers and Jobs serve nothing: no probes (decision documented in the worker manifests and the README:
    a wedged worker would need an application heartbeat; a dead one restarts)."""
    ports = container.get("ports", [])
    if obj["kind"] != "Deployment":
        return []
    if not ports:
        component = _pod_labels(obj).get("app.kubernetes.io/component")
        return [] if component == "worker" else ["no ports and not a worker: what does it serve?"]
    names = {p.get("name") for p in ports} | {p["containerPort"] for p in ports}
    problems = []
    for kind in ("livenessProbe", "readinessProbe"):
        probe = container.get(kind, {}).get("httpGet")
        if probe is None:
            problems.append(f"no HTTP {kind}")
        elif probe["port"] not in names:
            problems.append(f"{kind} on {probe['port']}, not a declared port")
    return problems


@pytest.mark.parametrize("directory", TARGETS, ids=_ids(TARGETS))
def test_every_container_is_hardened(directory: Path) -> None:
    objects = _rendered(directory)
    assert [o for o in objects if o["kind"] == "Deployment"], "nothing rendered"
    assert container_violations(objects) == []


# --------------------------------------------------------------------------------------------- policy: deployments


def deployment_violations(objects: list[Obj] | tuple[Obj, ...]) -> list[str]:
    """Topology spread, exactly one PodDisruptionBudget and at least one own NetworkPolicy per Deployment."""
    problems = []
    pdbs = [o for o in objects if o["kind"] == "PodDisruptionBudget"]
    policies = [o for o in objects if o["kind"] == "NetworkPolicy"]
    for deployment in (o for o in objects if o["kind"] == "Deployment"):
        name, labels = deployment["metadata"]["name"], _pod_labels(deployment)
        if not selects(deployment["spec"]["selector"], labels):
            problems.append(f"{name}: selector does not select its pods")
        spread = deployment["spec"]["template"]["spec"].get("topologySpreadConstraints", [])
        if not spread or not all(selects(c.get("labelSelector"), labels) for c in spread):
            problems.append(f"{name}: no topology spread over its own pods")
        covering = [p for p in pdbs if selects(p["spec"]["selector"], labels)]
        if len(covering) != 1:
            problems.append(f"{name}: {len(covering)} PodDisruptionBudgets")
        own = [p for p in policies if p["spec"]["podSelector"] and selects(p["spec"]["podSelector"], labels)]
        if not own:
            problems.append(f"{name}: no NetworkPolicy of its own (only the default deny)")
    return problems


@pytest.mark.parametrize("directory", TARGETS, ids=_ids(TARGETS))
def test_every_deployment_has_spread_a_budget_and_network_policies(directory: Path) -> None:
    assert deployment_violations(_rendered(directory)) == []


@pytest.mark.parametrize("directory", TARGETS, ids=_ids(TARGETS))
def test_every_job_has_network_policies(directory: Path) -> None:
    objects = _rendered(directory)
    policies = [o for o in objects if o["kind"] == "NetworkPolicy"]
    for job in (o for o in objects if o["kind"] == "Job"):
        labels = _pod_labels(job)
        own = [p for p in policies if p["spec"]["podSelector"] and selects(p["spec"]["podSelector"], labels)]
        assert own, job["metadata"]["name"]


# --------------------------------------------------------------------------------------------- policy: network


@dataclass
class Endpoint:
    """A pod (labels, namespace, named ports) or an address outside the cluster (ip)."""

    labels: dict[str, str] = field(default_factory=dict)
    namespace: str | None = NAMESPACE
    ports: dict[str, int] = field(default_factory=dict)
    ip: str | None = None


def _peer_matches(peer: Obj, other: Endpoint) -> bool:
    if "ipBlock" in peer:
        if other.ip is None:
            return False
        address = ipaddress.ip_address(other.ip)
        block = peer["ipBlock"]
        if address.version != ipaddress.ip_network(block["cidr"]).version:
            return False
        excluded = [ipaddress.ip_network(e) for e in block.get("except", [])]
        return address in ipaddress.ip_network(block["cidr"]) and not any(
            address in e for e in excluded if e.version == address.version
        )
    if other.namespace is None:
        return False
    if "namespaceSelector" in peer:
        namespace_labels = {"kubernetes.io/metadata.name": other.namespace}
        if not selects(peer["namespaceSelector"], namespace_labels):
            return False
    elif other.namespace != NAMESPACE:
        return False
    return "podSelector" not in peer or selects(peer["podSelector"], other.labels)


def _port_matches(rule: Obj, destination: Endpoint, port: int, protocol: str) -> bool:
    if not rule.get("ports"):
        return True
    for entry in rule["ports"]:
        if entry.get("protocol", "TCP") != protocol:
            continue
        wanted = entry.get("port")
        if wanted is None or wanted == port or destination.ports.get(str(wanted)) == port:
            return True
    return False


def allowed(
    objects: list[Obj] | tuple[Obj, ...], source: Endpoint, destination: Endpoint, port: int, protocol: str = "TCP"
) -> bool:
    """Whether the NetworkPolicies of namespace rsc let source open a connection to destination:port."""
    policies = [o for o in objects if o["kind"] == "NetworkPolicy"]

    def direction(endpoint: Endpoint, kind: str, peers_key: str, peer: Endpoint) -> bool:
        if endpoint.namespace != NAMESPACE:
            return True  # not ours to decide
        relevant = [
            p
            for p in policies
            if kind in p["spec"].get("policyTypes", ["Ingress"]) and selects(p["spec"]["podSelector"], endpoint.labels)
        ]
        if not relevant:
            return True
        return any(
            _port_matches(rule, destination, port, protocol)
            and (peers_key not in rule or any(_peer_matches(p, peer) for p in rule[peers_key]))
            for policy in relevant
            for rule in policy["spec"].get(kind.lower(), [])
        )

    return direction(source, "Egress", "to", destination) and direction(destination, "Ingress", "from", source)


def _pod(name: str, component: str) -> Endpoint:
    return Endpoint({"app.kubernetes.io/name": name, "app.kubernetes.io/component": component}, ports={"http": 8000})


PORTAL = _pod("rsc-portal", "api")
POSTGRES = Endpoint({"cnpg.io/cluster": "rsc-pg", "cnpg.io/podRole": "instance"})
KAFKA = Endpoint({"strimzi.io/cluster": "rsc-kafka", "strimzi.io/kind": "Kafka", "strimzi.io/broker-role": "true"})
KEYCLOAK = Endpoint({"app": "keycloak", "app.kubernetes.io/managed-by": "keycloak-operator"})
COLLECTOR = Endpoint({"app.kubernetes.io/name": "otel-collector", "app.kubernetes.io/component": "telemetry"})
TEMPORAL = Endpoint({"app.kubernetes.io/name": "temporal"}, namespace="temporal")
INGRESS = Endpoint({"app.kubernetes.io/name": "ingress-nginx"}, namespace="ingress-nginx")
DNS = Endpoint({"k8s-app": "kube-dns"}, namespace="kube-system")
ELSEWHERE = Endpoint({"app": "anything"}, namespace="default")
INTERNET = Endpoint(namespace=None, ip="203.0.113.25")
PRIVATE = Endpoint(namespace=None, ip="10.20.30.40")
TOPICS_JOB = _pod("rsc-kafka-topics", "kafka-topics")


def network_violations(objects: list[Obj] | tuple[Obj, ...]) -> list[str]:
    """The architecture's flows are allowed, and the ones it does not need are not."""
    problems: list[str] = []

    def expect(source: Endpoint, destination: Endpoint, port: int, want: bool, what: str, proto: str = "TCP") -> None:
        if allowed(objects, source, destination, port, proto) != want:
            problems.append(f"{what}:{port} should be {'allowed' if want else 'denied'}")

    policies = [o for o in objects if o["kind"] == "NetworkPolicy"]
    if not [
        p
        for p in policies
        if p["spec"]["podSelector"] == {}
        and set(p["spec"].get("policyTypes", [])) == {"Ingress", "Egress"}
        and not p["spec"].get("ingress")
        and not p["spec"].get("egress")
    ]:
        problems.append("no default deny (empty podSelector, Ingress and Egress, no rules)")

    apis = {s: _pod(f"rsc-{s}", "api") for s in SERVICES}
    workers = {s: _pod(f"rsc-{s}", "worker") for s in SERVICES}
    migrations = {s: _pod(f"rsc-{s}", "migration") for s in SERVICES}
    everyone = [PORTAL, TOPICS_JOB, *apis.values(), *workers.values(), *migrations.values()]

    expect(INGRESS, PORTAL, 8000, True, "ingress controller -> portal")
    expect(ELSEWHERE, PORTAL, 8000, False, "another namespace -> portal")
    for service in SERVICES:
        api, worker, migration = apis[service], workers[service], migrations[service]
        expect(PORTAL, api, 8000, True, f"portal -> {service} api")
        expect(INGRESS, api, 8000, False, f"ingress controller -> {service} api")
        expect(ELSEWHERE, api, 8000, False, f"another namespace -> {service} api")
        for other in SERVICES:
            if other != service:
                expect(apis[other], api, 8000, False, f"{other} api -> {service} api")
                expect(workers[other], api, 8000, False, f"{other} worker -> {service} api")
        for pod, role in ((api, "api"), (worker, "worker")):
            expect(pod, POSTGRES, 5432, True, f"{service} {role} -> PostgreSQL")
            expect(pod, KAFKA, 9092, True, f"{service} {role} -> Kafka")
            expect(pod, KAFKA, 9093, True, f"{service} {role} -> Kafka (TLS)")
            expect(pod, KEYCLOAK, 8443, True, f"{service} {role} -> Keycloak")
            expect(pod, INGRESS, 443, True, f"{service} {role} -> Keycloak's public URL")
            expect(pod, COLLECTOR, 4318, True, f"{service} {role} -> OTLP collector")
            expect(pod, TEMPORAL, 7233, service in TEMPORAL_SERVICES, f"{service} {role} -> Temporal")
            expect(pod, ELSEWHERE, 8080, False, f"{service} {role} -> another namespace")
            expect(pod, PRIVATE, 5432, False, f"{service} {role} -> a private address")
        expect(migration, POSTGRES, 5432, True, f"{service} migration -> PostgreSQL")
        expect(migration, KAFKA, 9092, False, f"{service} migration -> Kafka")
        expect(migration, INTERNET, 443, False, f"{service} migration -> the internet")
        deliver = service == "notifications"
        for port in (25, 587, 443):
            expect(worker, INTERNET, port, deliver, f"{service} worker -> outside the cluster")
        expect(worker, PRIVATE, 587, False, f"{service} worker -> a private address")
        expect(api, INTERNET, 443, False, f"{service} api -> the internet")
    expect(TOPICS_JOB, KAFKA, 9092, True, "topics Job -> Kafka")
    expect(TOPICS_JOB, POSTGRES, 5432, False, "topics Job -> PostgreSQL")
    expect(PORTAL, KEYCLOAK, 8443, True, "portal -> Keycloak")
    expect(PORTAL, COLLECTOR, 4318, True, "portal -> OTLP collector")
    expect(PORTAL, POSTGRES, 5432, False, "portal -> PostgreSQL")
    expect(PORTAL, KAFKA, 9092, False, "portal -> Kafka")
    expect(PORTAL, INTERNET, 443, False, "portal -> the internet")
    for pod in everyone:
        name = pod.labels["app.kubernetes.io/name"] + " " + pod.labels["app.kubernetes.io/component"]
        expect(pod, DNS, 53, True, f"{name} -> DNS", "UDP")
        expect(pod, DNS, 53, True, f"{name} -> DNS over TCP")
        expect(pod, DNS, 443, False, f"{name} -> kube-system")
        expect(ELSEWHERE, pod, 8000, False, f"another namespace -> {name}")
    # The platform keeps working under the default deny.
    expect(KAFKA, KAFKA, 9091, True, "Kafka replication")
    expect(POSTGRES, POSTGRES, 5432, True, "PostgreSQL replication")
    expect(KEYCLOAK, POSTGRES, 5432, True, "Keycloak -> PostgreSQL")
    expect(TEMPORAL, POSTGRES, 5432, True, "Temporal -> PostgreSQL")
    expect(KEYCLOAK, KEYCLOAK, 7800, True, "Keycloak cluster")
    return problems


@pytest.mark.parametrize("directory", TARGETS, ids=_ids(TARGETS))
def test_network_policies_allow_exactly_the_architecture(directory: Path) -> None:
    assert network_violations(_rendered(directory)) == []


def test_network_policies_explain_themselves() -> None:
    text = (BASE / "network-policies.yaml").read_text()
    assert "compartmentalisation" in text
    assert "kubernetes.io/metadata.name: ingress-nginx" in text, "the assumed ingress namespace label"
    assert "network-policies.yaml" in yaml.safe_load((BASE / "kustomization.yaml").read_text())["resources"]


# --------------------------------------------------------------------------------------------- policy: secrets


def secret_violations(
    objects: list[Obj] | tuple[Obj, ...], kustomizations: list[Obj] | tuple[Obj, ...] = ()
) -> list[str]:
    """Secrets in git hold nothing but REPLACE_ME placeholders (stringData, never opaque base64 data)."""
    problems = []
    for obj in objects:
        if obj.get("kind") != "Secret" or obj.get("$patch") == "delete":
            continue
        name = obj["metadata"]["name"]
        if obj.get("data"):
            problems.append(f"Secret {name}: base64 data")
        for key, value in (obj.get("stringData") or {}).items():
            if PLACEHOLDER not in str(value):
                problems.append(f"Secret {name}: {key} is not a {PLACEHOLDER} placeholder")
    for kust in kustomizations:
        for generator in kust.get("secretGenerator", []):
            for literal in generator.get("literals", []):
                if PLACEHOLDER not in literal.partition("=")[2]:
                    problems.append(f"secretGenerator {generator['name']}: {literal.partition('=')[0]} is a value")
            if generator.get("files") or generator.get("envs"):
                problems.append(f"secretGenerator {generator['name']}: values from files in git")
    return problems


def test_no_secret_values_in_git() -> None:
    files = sorted(K8S.rglob("*.yaml")) + sorted(K8S.rglob("*.yml"))
    objects = [d for path in files for d in _docs(path)]
    kustomizations = [d for d in objects if d.get("kind") in ("Kustomization", "Component") or "resources" in d]
    assert secret_violations(objects, kustomizations) == []
    for directory in TARGETS:
        assert secret_violations(_rendered(directory)) == []


# --------------------------------------------------------------------------------------------- policy: images


@pytest.mark.parametrize("directory", TARGETS, ids=_ids(TARGETS))
def test_images_are_pinned_and_listed(directory: Path) -> None:
    kust = yaml.safe_load((directory / "kustomization.yaml").read_text())
    listed = {i["name"] for i in kust.get("images", [])}
    for image in kust.get("images", []):
        assert image.get("digest") or image.get("newTag") not in (None, "", "latest"), image
    for obj in _rendered(directory):
        for container in _containers(obj):
            assert image_violations(container["image"]) == []
            name = re.split(r"[:@]", container["image"])[0]
            if name.startswith("ghcr.io/rsc-project/"):
                assert name in listed, f"{name}: not in {directory.name}'s images: (one place to change the tag)"


def test_no_latest_anywhere() -> None:
    for path in [*K8S.rglob("*.yaml"), *ROOT.glob("services/*/Dockerfile")]:
        assert not re.search(r"(image:\s*\S+:latest\b|newTag:\s*latest\b|FROM\s+\S+:latest\b)", path.read_text()), path


# --------------------------------------------------------------------------------------------- policy: topics


def documented_topics() -> list[str]:
    """The topics table of docs/events.md: each topic and its dead-letter twin."""
    text = (ROOT / "docs" / "events.md").read_text()
    section = text.split("## Topics", 1)[1].split("\n## ", 1)[0]
    topics = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) == 3 and cells[0].startswith("`"):
            topics += [cells[0].strip("`"), cells[2].strip("`")]
    return topics


def topic_violations(objects: list[Obj] | tuple[Obj, ...], require_kafka_topics: bool) -> list[str]:
    """Every documented topic is created: by KafkaTopic resources when required, else by the topics Job."""
    from rsc_common.events.topics import all_topics

    wanted = documented_topics()
    problems = []
    declared = {
        o.get("spec", {}).get("topicName") or o["metadata"]["name"] for o in objects if o["kind"] == "KafkaTopic"
    }
    if require_kafka_topics:
        problems += [f"no KafkaTopic for {t}" for t in wanted if t not in declared]
    else:
        jobs = [o for o in objects if o["kind"] == "Job" and o["metadata"]["name"] == "rsc-kafka-topics"]
        commands = [c.get("command", []) for j in jobs for c in _containers(j)]
        if ["python", "-m", "rsc_common.events"] not in commands and not declared:
            problems.append("neither the topics Job nor KafkaTopics")
        problems += [f"{t}: the topics CLI does not create it" for t in wanted if t not in all_topics("")]
    return problems


def test_the_documentation_lists_topics() -> None:
    topics = documented_topics()
    assert len(topics) >= 8, topics
    assert all(t.startswith("rsc.") for t in topics), topics


@pytest.mark.parametrize("directory", TARGETS, ids=_ids(TARGETS))
def test_every_documented_topic_is_created(directory: Path) -> None:
    platform_topics = K8S / "platform" / "kafka-topics.yaml"
    objects = _rendered(directory)
    includes_platform = any(o["kind"].startswith("Kafka") for o in objects)
    assert topic_violations(objects, require_kafka_topics=False) == []
    if platform_topics.is_file():
        assert topic_violations(_docs(platform_topics), require_kafka_topics=True) == []
        if includes_platform:
            assert topic_violations(objects, require_kafka_topics=True) == []


# --------------------------------------------------------------------------------------------- overlays


def _replicas(objects: tuple[Obj, ...], deployment: Obj) -> int:
    """The replica count the Deployment runs with: its own, or its autoscaler's minimum."""
    hpas = [
        o
        for o in objects
        if o["kind"] == "HorizontalPodAutoscaler"
        and o["spec"]["scaleTargetRef"]["name"] == deployment["metadata"]["name"]
    ]
    if hpas:
        return hpas[0]["spec"]["minReplicas"]
    return deployment["spec"].get("replicas", 1)


def _platform_count(objects: tuple[Obj, ...], kind: str, field_name: str) -> list[int]:
    return [o["spec"][field_name] for o in objects if o["kind"] == kind]


def test_production_is_highly_available() -> None:
    objects = _rendered(K8S / "overlays" / "production")
    kust = yaml.safe_load((K8S / "overlays" / "production" / "kustomization.yaml").read_text())
    assert "../../platform" in kust["resources"]
    for deployment in (o for o in objects if o["kind"] == "Deployment"):
        assert _replicas(objects, deployment) >= 2, deployment["metadata"]["name"]
    for api in (o for o in objects if o["kind"] == "Deployment" and o["metadata"]["name"].endswith("-api")):
        name = api["metadata"]["name"]
        hpas = [o for o in objects if o["kind"] == "HorizontalPodAutoscaler"]
        assert [h for h in hpas if h["spec"]["scaleTargetRef"]["name"] == name], f"{name}: no autoscaler"
    assert all(n == 3 for n in _platform_count(objects, "KafkaNodePool", "replicas"))
    assert all(n == 3 for n in _platform_count(objects, "Cluster", "instances"))
    assert all(n >= 2 for n in _platform_count(objects, "Keycloak", "instances"))
    # The overlay says so itself, whatever the platform's defaults.
    patched = {p["target"]["kind"]: yaml.safe_load((K8S / "overlays" / "production" / p["path"]).read_text())
               for p in kust["patches"] if p.get("target", {}).get("group")}  # fmt: skip
    assert patched["KafkaNodePool"] == [{"op": "add", "path": "/spec/replicas", "value": 3}]
    assert patched["Cluster"] == [{"op": "add", "path": "/spec/instances", "value": 3}]


def test_dev_is_small() -> None:
    dev = K8S / "overlays" / "dev"
    objects = _rendered(dev)
    kust = yaml.safe_load((dev / "kustomization.yaml").read_text())
    assert "../../platform" in kust["resources"]
    for deployment in (o for o in objects if o["kind"] == "Deployment"):
        assert _replicas(objects, deployment) == 1, deployment["metadata"]["name"]
    for hpa in (o for o in objects if o["kind"] == "HorizontalPodAutoscaler"):
        assert hpa["spec"]["minReplicas"] == 1
    for pdb in (o for o in objects if o["kind"] == "PodDisruptionBudget"):
        assert pdb["spec"].get("maxUnavailable") in ("100%", 1) or pdb["spec"].get("minAvailable") in (0, "0%")
    assert [o for o in objects if o["kind"] == "Secret"], "dev uses the base's Secret templates"
    assert all(n == 1 for n in _platform_count(objects, "KafkaNodePool", "replicas"))
    assert all(n == 1 for n in _platform_count(objects, "Cluster", "instances"))
    assert all(n == 1 for n in _platform_count(objects, "Keycloak", "instances"))
    for topic in (o for o in objects if o["kind"] == "KafkaTopic"):
        assert topic["spec"]["replicas"] == 1
    assert [o for o in objects if o["kind"] == "KafkaTopic"]
    # on the platform the KafkaTopics create the topics; the topics Job (no Kafka user) is dropped
    assert not [o for o in objects if o["kind"] == "Job" and o["metadata"]["name"] == "rsc-kafka-topics"]


# --------------------------------------------------------------------------------------------- cross-check


# --------------------------------------------------------------------------------------------- the checks can fail


def _broken_copy(tmp_path: Path, edit: Callable[[Path], None]) -> tuple[Obj, ...]:
    shutil.copytree(K8S, tmp_path / "k8s")
    edit(tmp_path / "k8s")
    return tuple(render(tmp_path / "k8s" / "base"))


def _edit_yaml(path: Path, change: Callable[[list[Obj]], None]) -> None:
    docs = _docs(path)
    change(docs)
    path.write_text(yaml.safe_dump_all(docs, sort_keys=False))


def _api_container(docs: list[Obj]) -> Obj:
    return docs[0]["spec"]["template"]["spec"]["containers"][0]


BROKEN: dict[str, tuple[Callable[[Path], None], Callable[[tuple[Obj, ...]], list[str]], str]] = {
    "no limits": (
        lambda k8s: _edit_yaml(
            k8s / "base/intake/api-deployment.yaml", lambda d: _api_container(d)["resources"].pop("limits")
        ),
        container_violations,
        "rsc-intake-api/api: no cpu request and limit",
    ),
    "writable root": (
        lambda k8s: _edit_yaml(
            k8s / "base/appraisal/worker-deployment.yaml",
            lambda d: _api_container(d)["securityContext"].update(readOnlyRootFilesystem=False),
        ),
        container_violations,
        "rsc-appraisal-worker/worker: writable root filesystem",
    ),
    "no readiness probe": (
        lambda k8s: _edit_yaml(
            k8s / "base/portal/api-deployment.yaml", lambda d: _api_container(d).pop("readinessProbe")
        ),
        container_violations,
        "rsc-portal-api/api: no HTTP readinessProbe",
    ),
    "latest": (
        lambda k8s: _edit_yaml(
            k8s / "base/monitoring/migrate-job.yaml",
            lambda d: _api_container(d).update(image="ghcr.io/rsc-project/other:latest"),
        ),
        container_violations,
        "not pinned",
    ),
    "no PDB": (
        lambda k8s: (k8s / "base/notifications/worker-pdb.yaml").write_text(""),
        deployment_violations,
        "rsc-notifications-worker: 0 PodDisruptionBudgets",
    ),
    "no network policies": (
        lambda k8s: (k8s / "base/network-policies.yaml").write_text(""),
        deployment_violations,
        "no NetworkPolicy of its own",
    ),
    "api open to everyone": (
        lambda k8s: _edit_yaml(
            k8s / "base/network-policies.yaml",
            lambda d: [
                p["spec"]["ingress"][0].pop("from") for p in d if p["metadata"]["name"] == "rsc-apis-from-portal"
            ],
        ),
        network_violations,
        "another namespace -> intake api:8000 should be denied",
    ),
    "real secret": (
        lambda k8s: _edit_yaml(
            k8s / "base/intake/secret.template.yaml", lambda d: d[0]["stringData"].update(AUTH__CLIENT_SECRET="s3cr3t")
        ),
        secret_violations,
        "rsc-intake-secrets: AUTH__CLIENT_SECRET is not a REPLACE_ME placeholder",
    ),
}


@pytest.mark.parametrize("case", BROKEN)
def test_a_broken_copy_is_caught(case: str, tmp_path: Path) -> None:
    assert network_violations(_rendered(BASE)) == []  # the real base passes the same functions
    edit, check, expected = BROKEN[case]
    problems = check(_broken_copy(tmp_path, edit))
    assert any(expected in p for p in problems), problems


def test_missing_kafka_topics_are_caught() -> None:
    assert topic_violations([], require_kafka_topics=True) == [f"no KafkaTopic for {t}" for t in documented_topics()]
    assert topic_violations([], require_kafka_topics=False) == ["neither the topics Job nor KafkaTopics"]

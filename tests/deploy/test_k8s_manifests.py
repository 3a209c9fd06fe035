"""The Kubernetes manifests (deploy/k8s) against the services' real contract.

The base's files are read as written (kustomize only adds the namespace, labels, the ConfigMap hash and the
image override) and checked against the code they run: the settings classes (env prefixes and field names),
the service CLI, the topics CLI and the health routes. The base and the overlays are also built with the
kustomize that `make bootstrap` installs (tests/deploy/validation.py validates what they render).
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import os
import re
import sys
import tomllib
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from pydantic import BaseModel

from rsc_common.settings import ServiceSettings

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
BASE = K8S / "base"
OVERLAY = K8S / "overlays" / "production"
KUSTOMIZATIONS = [BASE, OVERLAY]
IMAGE_PREFIX = "ghcr.io/rsc-project/rsc-"
SHARED_SETTINGS = "rsc-shared-settings"
PLACEHOLDER = "REPLACE_ME"
API_PORT = 8000
# Every package under services/ must be deployed: the list comes from the repository, not from the manifests.
PACKAGES = sorted(p.name for p in (ROOT / "services").iterdir() if (p / "pyproject.toml").is_file())
# The back-end services (a database, migrations, a worker); the portal is an API Deployment alone.
SERVICES = [s for s in PACKAGES if s != "portal"]
# One image per package (services/<package>/Dockerfile).
IMAGES = sorted(IMAGE_PREFIX + p for p in PACKAGES)

Obj = dict[str, Any]


# --------------------------------------------------------------------------------------------- loading


def _docs(path: Path) -> list[Obj]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def _kustomization(directory: Path) -> Obj:
    return yaml.safe_load((directory / "kustomization.yaml").read_text())


def _env_file(path: Path) -> dict[str, str]:
    """A kustomize `envs:` file: KEY=VALUE lines, `#` comments and blank lines ignored."""
    pairs = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, sep, value = line.partition("=")
            assert sep, f"{path.name}: not KEY=VALUE: {line!r}"
            pairs[key] = value
    return pairs


@cache
def _objects() -> tuple[Obj, ...]:
    """The base's resources in the order listed (directories with their own kustomization recurse)."""

    def collect(directory: Path) -> Iterator[Obj]:
        for entry in _kustomization(directory).get("resources", []):
            path = directory / entry
            yield from collect(path) if path.is_dir() else _docs(path)

    return tuple(collect(BASE))


def _get(kind: str, name: str) -> Obj:
    found = [o for o in _objects() if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(found) == 1, f"expected exactly one {kind} {name} in the base, found {len(found)}"
    return found[0]


@cache
def _shared_settings() -> dict[str, str]:
    (generator,) = [g for g in _kustomization(BASE).get("configMapGenerator", []) if g["name"] == SHARED_SETTINGS]
    data: dict[str, str] = {}
    for env in generator.get("envs", []):
        data |= _env_file(BASE / env)
    for literal in generator.get("literals", []):
        key, _, value = literal.partition("=")
        data[key] = value
    return data


def _secret_data(name: str) -> dict[str, str]:
    return _get("Secret", name).get("stringData", {})


def _workloads() -> list[Obj]:
    return [o for o in _objects() if o["kind"] in ("Deployment", "Job")]


def _pod(workload: Obj) -> Obj:
    return workload["spec"]["template"]["spec"]


def _containers(workload: Obj) -> list[Obj]:
    pod = _pod(workload)
    return pod.get("initContainers", []) + pod["containers"]


def _selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


def _resolve_env(container: Obj) -> dict[str, str]:
    """The container's environment as the kubelet builds it (ConfigMap: the generator; Secrets: the templates)."""
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        assert "configMapRef" in source, "only the shared ConfigMap is read with envFrom"
        assert source["configMapRef"]["name"] == SHARED_SETTINGS
        env |= {source.get("prefix", "") + k: v for k, v in _shared_settings().items()}
    for var in container.get("env", []):
        if "value" in var:
            env[var["name"]] = str(var["value"])
        elif "configMapKeyRef" in var["valueFrom"]:
            ref = var["valueFrom"]["configMapKeyRef"]
            assert ref["name"] == SHARED_SETTINGS
            env[var["name"]] = _shared_settings()[ref["key"]]
        else:
            ref = var["valueFrom"]["secretKeyRef"]
            env[var["name"]] = _secret_data(ref["name"])[ref["key"]]
    return env


def _expand(arg: str, env: dict[str, str]) -> str:
    """Kubernetes `$(VAR)` expansion in command and args."""

    def var(match: re.Match[str]) -> str:
        assert match.group(1) in env, f"$({match.group(1)}) is not defined in the container's env"
        return env[match.group(1)]

    return re.sub(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", var, arg)


def _settings_class(service: str) -> type[ServiceSettings]:
    module = importlib.import_module(f"rsc_{service}.settings")
    (cls,) = [
        c
        for c in vars(module).values()
        if isinstance(c, type) and issubclass(c, ServiceSettings) and c is not ServiceSettings
    ]
    return cls


def _is_setting(model: type[BaseModel], key: str) -> bool:
    """`AUTH__CLIENT_SECRET` names ServiceSettings.auth.client_secret."""
    *blocks, leaf = key.lower().split("__")
    for block in blocks:
        field = model.model_fields.get(block)
        if field is None or not (isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel)):
            return False
        model = field.annotation
    return leaf in model.model_fields


def _service_of(workload: Obj) -> str | None:
    name = workload["metadata"]["labels"].get("app.kubernetes.io/name", "")
    service = name.removeprefix("rsc-")
    return service if service in SERVICES else None


def _quantity(value: str | int) -> float:
    """Kubernetes quantities as used here: 100m, 1, 256Mi, 1Gi."""
    text = str(value)
    units = {"m": 1e-3, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30}
    for suffix, factor in units.items():
        if text.endswith(suffix):
            return float(text[: -len(suffix)]) * factor
    return float(text)


def _service_workloads() -> list[Obj]:
    return [w for w in _workloads() if _service_of(w)]


def _ids(workloads: list[Obj]) -> list[str]:
    return [w["metadata"]["name"] for w in workloads]


# --------------------------------------------------------------------------------------------- kustomizations


@pytest.mark.parametrize("directory", KUSTOMIZATIONS, ids=lambda d: str(d.relative_to(K8S)))
def test_everything_a_kustomization_lists_exists(directory: Path) -> None:
    kust = _kustomization(directory)
    assert kust["apiVersion"] == "kustomize.config.k8s.io/v1beta1"
    assert kust["kind"] == "Kustomization"
    assert kust.get("resources"), "a kustomization without resources"
    for entry in kust["resources"]:
        path = (directory / entry).resolve()
        assert path.is_file() or (path / "kustomization.yaml").is_file(), f"{entry} listed but missing"
    for generator in kust.get("configMapGenerator", []) + kust.get("secretGenerator", []):
        for entry in generator.get("envs", []) + generator.get("files", []):
            assert (directory / entry.rpartition("=")[2]).is_file(), f"{entry} listed but missing"
    for patch in kust.get("patches", []):
        if "path" in patch:
            assert (directory / patch["path"]).is_file(), f"patch {patch['path']} listed but missing"


def test_no_manifest_is_left_out_of_the_base() -> None:
    listed = {(BASE / entry).resolve() for entry in _kustomization(BASE)["resources"]}
    on_disk = {p.resolve() for p in BASE.rglob("*.yaml") if p.name != "kustomization.yaml"}
    assert on_disk - listed == set(), "manifests in base/ that kustomization.yaml does not list"


def test_no_patch_is_left_out_of_the_overlay() -> None:
    listed = {(OVERLAY / p["path"]).resolve() for p in _kustomization(OVERLAY).get("patches", []) if "path" in p}
    on_disk = {p.resolve() for p in (OVERLAY / "patches").glob("*.yaml")}
    assert on_disk - listed == set(), "patch files the overlay does not use"


def test_everything_lives_in_namespace_rsc() -> None:
    assert _kustomization(BASE)["namespace"] == "rsc"
    assert _get("Namespace", "rsc")["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    for obj in _objects():
        assert obj["metadata"].get("namespace") in (None, "rsc"), obj["metadata"]["name"]


def test_the_images_can_be_overridden_in_one_place() -> None:
    images = {i["name"]: i["newTag"] for i in _kustomization(BASE)["images"]}
    assert sorted(images) == IMAGES, "one image per service, each listed once in the kustomization"
    for workload in _workloads():
        service = workload["metadata"]["labels"]["app.kubernetes.io/name"].removeprefix("rsc-")
        for container in _containers(workload):
            name, _, tag = container["image"].partition(":")
            assert name in images, f"{workload['metadata']['name']}: {name} is not in the kustomization's images"
            if service in PACKAGES:
                assert name == IMAGE_PREFIX + service, f"{workload['metadata']['name']}: the service's own image"
            assert tag == images[name], "the manifests' tag and the kustomization's newTag disagree"


# --------------------------------------------------------------------------------------------- per service


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_has_its_resources(service: str) -> None:
    for kind, name in [
        ("Deployment", f"rsc-{service}-api"),
        ("Deployment", f"rsc-{service}-worker"),
        ("Service", f"rsc-{service}"),
        ("HorizontalPodAutoscaler", f"rsc-{service}-api"),
        ("PodDisruptionBudget", f"rsc-{service}-api"),
        ("PodDisruptionBudget", f"rsc-{service}-worker"),
        ("Job", f"rsc-{service}-migrate"),
        ("Secret", f"rsc-{service}-secrets"),
    ]:
        _get(kind, name)


@pytest.mark.parametrize("service", SERVICES)
def test_commands_are_the_service_cli(service: str) -> None:
    pyproject = tomllib.loads((ROOT / "services" / service / "pyproject.toml").read_text())
    assert pyproject["project"]["scripts"] == {f"rsc-{service}": f"rsc_{service}.cli:main"}
    assert importlib.import_module(f"rsc_{service}.cli").DEFINITION.name == f"rsc-{service}"
    for name, command in [
        (f"rsc-{service}-api", "api"),
        (f"rsc-{service}-worker", "worker"),
        (f"rsc-{service}-migrate", "migrate"),
    ]:
        kind = "Job" if name.endswith("-migrate") else "Deployment"
        (container,) = _pod(_get(kind, name))["containers"]
        assert container["command"] == [f"rsc-{service}", command]
        assert "args" not in container


@pytest.mark.parametrize("service", SERVICES)
def test_api_deployment(service: str) -> None:
    from rsc_common.http.health import router

    health_paths = {route.path for route in router.routes}
    assert {"/healthz", "/readyz"} <= health_paths

    deployment = _get("Deployment", f"rsc-{service}-api")
    spec = deployment["spec"]
    pod = _pod(deployment)
    labels = spec["template"]["metadata"]["labels"]
    assert spec["replicas"] == 2
    assert spec["strategy"]["rollingUpdate"]["maxUnavailable"] == 0, "old pods must keep serving during a rollout"
    assert _selects(spec["selector"]["matchLabels"], labels)

    (container,) = pod["containers"]
    (port,) = container["ports"]
    assert port == {"name": "http", "containerPort": API_PORT, "protocol": "TCP"}
    env = _resolve_env(container)
    prefix = f"RSC_{service.upper()}_"
    assert env[prefix + "HTTP_HOST"] == "0.0.0.0"
    assert int(env[prefix + "HTTP_PORT"]) == API_PORT

    probes = {kind: container[f"{kind}Probe"]["httpGet"] for kind in ("startup", "liveness", "readiness")}
    assert probes["liveness"]["path"] == "/healthz", "liveness must not depend on other servers"
    assert probes["startup"]["path"] == "/healthz"
    assert probes["readiness"]["path"] == "/readyz"
    for probe in probes.values():
        assert probe["port"] in (port["name"], port["containerPort"])
    # /readyz bounds each check to 3 s in the app; the probe must wait longer than that.
    assert container["readinessProbe"]["timeoutSeconds"] > 3

    constraints = pod["topologySpreadConstraints"]
    assert {c["topologyKey"] for c in constraints} >= {"topology.kubernetes.io/zone", "kubernetes.io/hostname"}
    for constraint in constraints:
        assert _selects(constraint["labelSelector"]["matchLabels"], labels)


@pytest.mark.parametrize("service", SERVICES)
def test_worker_deployment(service: str) -> None:
    deployment = _get("Deployment", f"rsc-{service}-worker")
    pod = _pod(deployment)
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert _selects(deployment["spec"]["selector"]["matchLabels"], labels)
    assert deployment["spec"]["replicas"] >= 2
    assert pod["terminationGracePeriodSeconds"] == 60, "consumers finish their record, Temporal drains"
    (container,) = pod["containers"]
    assert "ports" not in container
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert probe not in container, "the worker serves no HTTP"
    assert pod["topologySpreadConstraints"]
    services = [o for o in _objects() if o["kind"] == "Service"]
    assert not [s for s in services if _selects(s["spec"]["selector"], labels)], "no Service for the worker"


@pytest.mark.parametrize("service", SERVICES)
def test_service_routes_to_the_api_only(service: str) -> None:
    svc = _get("Service", f"rsc-{service}")
    api = _get("Deployment", f"rsc-{service}-api")
    worker = _get("Deployment", f"rsc-{service}-worker")
    assert _selects(svc["spec"]["selector"], api["spec"]["template"]["metadata"]["labels"])
    assert not _selects(svc["spec"]["selector"], worker["spec"]["template"]["metadata"]["labels"])
    (port,) = svc["spec"]["ports"]
    (container_port,) = _pod(api)["containers"][0]["ports"]
    assert port["targetPort"] in (container_port["name"], container_port["containerPort"])


@pytest.mark.parametrize("service", SERVICES)
def test_api_autoscaler(service: str) -> None:
    hpa = _get("HorizontalPodAutoscaler", f"rsc-{service}-api")
    assert hpa["apiVersion"] == "autoscaling/v2"
    target = hpa["spec"]["scaleTargetRef"]
    assert target == {"apiVersion": "apps/v1", "kind": "Deployment", "name": f"rsc-{service}-api"}
    assert hpa["spec"]["minReplicas"] >= 2
    assert hpa["spec"]["maxReplicas"] > hpa["spec"]["minReplicas"]
    assert hpa["spec"]["metrics"]
    api = _get("Deployment", f"rsc-{service}-api")
    # Utilisation targets are relative to requests: without them the HPA cannot compute anything.
    assert _pod(api)["containers"][0]["resources"]["requests"]["cpu"]


def test_portal_deployment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The portal: stateless API pods (no worker, no migration), settings that are real PortalSettings fields
    and validate, the session key from its Secret, the APIs through their Services, Keycloak shared."""
    from rsc_portal.settings import PortalSettings

    assert "portal" in PACKAGES
    for kind, name in [("Service", "rsc-portal"), ("HorizontalPodAutoscaler", "rsc-portal-api"),
                       ("PodDisruptionBudget", "rsc-portal-api"), ("Secret", "rsc-portal-secrets")]:  # fmt: skip
        _get(kind, name)
    assert not [o for o in _workloads() if o["metadata"]["name"] in ("rsc-portal-worker", "rsc-portal-migrate")]
    deployment = _get("Deployment", "rsc-portal-api")
    (container,) = _pod(deployment)["containers"]
    assert container["command"] == ["rsc-portal", "api"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    env = _resolve_env(container)
    for name in env:
        assert name.startswith("RSC_PORTAL_")
        assert _is_setting(PortalSettings, name.removeprefix("RSC_PORTAL_")), f"{name}: no such setting"
    for var in container["env"]:
        if var["name"] == "RSC_PORTAL_SESSION_SECRET":
            assert var["valueFrom"]["secretKeyRef"] == {"name": "rsc-portal-secrets", "key": "SESSION_SECRET"}
    for name in [n for n in list(os.environ) if n.startswith("RSC_PORTAL_")]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value if value != PLACEHOLDER else "x" * 48)
    settings = PortalSettings()
    assert (settings.http_host, settings.http_port) == ("0.0.0.0", API_PORT)
    assert settings.keycloak_url == _shared_settings()["AUTH__KEYCLOAK_URL"].rstrip("/")
    for service in SERVICES:
        svc = _get("Service", f"rsc-{service}")
        assert getattr(settings, f"{service}_url") == f"http://{svc['metadata']['name']}"
        assert svc["spec"]["ports"][0]["port"] == 80
    assert settings.telemetry.exporter == "otlp"


def test_every_disruption_budget_covers_exactly_one_deployment() -> None:
    deployments = [o for o in _objects() if o["kind"] == "Deployment"]
    for pdb in (o for o in _objects() if o["kind"] == "PodDisruptionBudget"):
        selector = pdb["spec"]["selector"]["matchLabels"]
        covered = [d for d in deployments if _selects(selector, d["spec"]["template"]["metadata"]["labels"])]
        assert len(covered) == 1, pdb["metadata"]["name"]
        assert ("maxUnavailable" in pdb["spec"]) != ("minAvailable" in pdb["spec"])


@pytest.mark.parametrize("service", SERVICES)
def test_migration_job(service: str) -> None:
    path = BASE / service / "migrate-job.yaml"
    job = _get("Job", f"rsc-{service}-migrate")
    assert job in _docs(path)
    assert "not at head" in path.read_text(), "say why a rollout waits for the migration"
    assert job["spec"]["parallelism"] == 1, "one Alembic run per database at a time"
    assert job["spec"]["backoffLimit"] >= 1
    assert _pod(job)["restartPolicy"] in ("Never", "OnFailure")


# --------------------------------------------------------------------------------------------- CLI contract


@pytest.mark.parametrize("workload", _service_workloads(), ids=_ids(_service_workloads()))
def test_the_cli_runs_the_manifest_command_with_the_manifest_env(
    workload: Obj, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run the real service CLI with the container's command and environment; stop where it would reach a server."""
    import uvicorn

    import rsc_common.service as service_cli

    service = _service_of(workload)
    assert service
    (container,) = _pod(workload)["containers"]
    env = _resolve_env(container)
    prefix = f"RSC_{service.upper()}_"
    for name in [n for n in list(os.environ) if n.startswith(prefix)]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    calls: dict[str, Any] = {}
    monkeypatch.setattr(service_cli, "configure_logging", lambda *a: None)
    monkeypatch.setattr(service_cli, "configure_tracing", lambda *a: None)
    monkeypatch.setattr(service_cli, "make_engine", lambda url, **kw: ("engine", url))
    monkeypatch.setattr(service_cli, "upgrade_to_head", lambda d, url: calls.update(migrate=(d, url)))
    monkeypatch.setattr(service_cli, "run_worker", lambda s, e, spec, d: calls.update(worker=(s, spec)))
    monkeypatch.setattr(uvicorn, "run", lambda app, host, port, **kw: calls.update(api=(host, port)))
    definition = importlib.import_module(f"rsc_{service}.cli").DEFINITION
    definition = dataclasses.replace(definition, app=lambda settings: "app")

    service_cli.main(definition, container["command"][1:])

    command = container["command"][1]
    assert set(calls) == {command}
    if command == "api":
        assert calls["api"] == ("0.0.0.0", container["ports"][0]["containerPort"])
    elif command == "migrate":
        assert calls["migrate"][0] == definition.migrations_dir
        assert urlsplit(calls["migrate"][1]).path == f"/rsc_{service}", "one database per service"


@pytest.mark.parametrize("workload", _service_workloads(), ids=_ids(_service_workloads()))
def test_env_names_carry_the_service_prefix_and_name_real_settings(
    workload: Obj, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = _service_of(workload)
    assert service
    settings_class = _settings_class(service)
    prefix = settings_class.model_config["env_prefix"]
    assert prefix == f"RSC_{service.upper()}_"
    for container in _containers(workload):
        for source in container.get("envFrom", []):
            assert source["prefix"] == prefix
        for var in container.get("env", []):
            assert var["name"].startswith(prefix), f"{var['name']} is not read by {service}"
        env = _resolve_env(container)
        for name in env:
            assert _is_setting(settings_class, name.removeprefix(prefix)), f"{name}: no such setting"

        # And the values validate: build the settings exactly from this environment.
        for name in [n for n in list(os.environ) if n.startswith(prefix)]:
            monkeypatch.delenv(name)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        settings = settings_class()
        assert settings.telemetry.exporter == "otlp"
        assert settings.telemetry.json_logs is True
        assert settings.kafka.bootstrap_servers == _shared_settings()["KAFKA__BOOTSTRAP_SERVERS"]
        assert settings.temporal.address == _shared_settings()["TEMPORAL__ADDRESS"]
        assert settings.auth.keycloak_url == _shared_settings()["AUTH__KEYCLOAK_URL"].rstrip("/")
        assert urlsplit(str(settings.database_url)).path == f"/rsc_{service}"
        if container["command"][1] != "migrate":
            assert settings.auth.client_id == f"rsc-{service}"
            assert settings.auth.client_secret is not None


def test_shared_settings() -> None:
    shared = _shared_settings()
    for key in ("KAFKA__BOOTSTRAP_SERVERS", "TEMPORAL__ADDRESS", "AUTH__KEYCLOAK_URL", "TELEMETRY__OTLP_ENDPOINT"):
        assert shared[key], key
    assert shared["TELEMETRY__EXPORTER"] == "otlp"
    assert shared["TELEMETRY__JSON_LOGS"] == "true"
    for key in shared:
        assert _is_setting(ServiceSettings, key), f"{key}: no such setting"
        assert not re.search(r"SECRET|PASSWORD|DATABASE_URL|TOKEN", key), f"{key} belongs in a Secret"
    # Per-service values do not belong in the shared settings.
    assert not {"HTTP_HOST", "HTTP_PORT", "AUTH__CLIENT_ID", "SERVICE_NAME"} & set(shared)


def test_kafka_topics_job_runs_the_topics_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    import rsc_common.events.topics as topics

    job = _get("Job", "rsc-kafka-topics")
    (container,) = _pod(job)["containers"]
    assert container["command"] == ["python", "-m", "rsc_common.events"]
    env = _resolve_env(container)
    argv = [_expand(arg, env) for arg in container["args"]]

    calls = []
    monkeypatch.setattr(topics, "ensure_topics", lambda servers, names, **kw: calls.append((servers, names, kw)) or [])
    monkeypatch.setattr(sys, "argv", ["python -m rsc_common.events", *argv])
    topics.main()

    ((servers, names, options),) = calls
    assert servers == _shared_settings()["KAFKA__BOOTSTRAP_SERVERS"]
    assert options == {"partitions": 12, "replication_factor": 3}
    # The services prepend the same shared prefix to the topics they use.
    assert names == topics.all_topics(_shared_settings().get("KAFKA__TOPIC_PREFIX", ""))


# --------------------------------------------------------------------------------------------- hardening


@pytest.mark.parametrize("workload", _workloads(), ids=_ids(_workloads()))
def test_every_pod_is_hardened(workload: Obj) -> None:
    pod = _pod(workload)
    pod_security = pod.get("securityContext", {})
    assert pod_security.get("seccompProfile", {}).get("type") == "RuntimeDefault"
    assert pod["automountServiceAccountToken"] is False
    assert pod["enableServiceLinks"] is False, "link variables would land in the RSC_<SERVICE>_ prefix"
    _get("ServiceAccount", pod["serviceAccountName"])
    volumes = {v["name"] for v in pod.get("volumes", [])}
    for container in _containers(workload):
        security = pod_security | container.get("securityContext", {})
        assert security.get("runAsNonRoot") is True
        assert isinstance(security.get("runAsUser"), int)
        assert security["runAsUser"] > 0, "uid 0 is root"
        assert security.get("allowPrivilegeEscalation") is False
        assert security.get("readOnlyRootFilesystem") is True
        assert "ALL" in security.get("capabilities", {}).get("drop", [])
        assert "privileged" not in security or security["privileged"] is False
        for mount in container.get("volumeMounts", []):
            assert mount["name"] in volumes

        resources = container["resources"]
        for kind in ("cpu", "memory"):
            request, limit = resources["requests"][kind], resources["limits"][kind]
            assert 0 < _quantity(request) <= _quantity(limit), f"{kind}: request {request}, limit {limit}"
    if workload["kind"] == "Job":
        assert workload["spec"]["backoffLimit"] >= 1
        assert workload["spec"].get("activeDeadlineSeconds"), "a stuck Job must end"


# --------------------------------------------------------------------------------------------- secrets


def _realm_dev_secrets() -> set[str]:
    realm = json.loads((ROOT / "deploy" / "local" / "keycloak" / "realm-rsc.json").read_text())
    return {c["secret"] for c in realm["clients"] if c.get("secret")}


def test_secrets_hold_only_placeholders() -> None:
    secrets = [
        (path, doc)
        for path in K8S.rglob("*.yaml")
        for doc in _docs(path)
        if isinstance(doc, dict) and doc.get("kind") == "Secret" and doc.get("$patch") != "delete"
    ]
    assert {doc["metadata"]["name"] for _, doc in secrets} == {f"rsc-{s}-secrets" for s in PACKAGES}
    for path, doc in secrets:
        assert "data" not in doc, f"{path.name}: base64 data hides what is in it; use stringData placeholders"
        assert doc["metadata"]["annotations"]["rsc/template"] == "true"
        assert "NOT A REAL SECRET" in path.read_text(), f"{path.name}: say loudly that it is a template"
        assert doc["stringData"]
        for key, value in doc["stringData"].items():
            assert PLACEHOLDER in value, f"{path.name}: {key} is not an obvious placeholder"
            # Nothing but the placeholder where the credentials go.
            if "://" in value:
                credentials = urlsplit(value).netloc.rpartition("@")[0]
                assert set(credentials.split(":")) <= {f"{PLACEHOLDER}_USER", f"{PLACEHOLDER}_PASSWORD"}


def test_no_secret_value_anywhere_in_the_manifests() -> None:
    dev_secrets = _realm_dev_secrets()
    assert dev_secrets, "the realm's dev secrets are the canary"
    for path in K8S.rglob("*"):
        if path.is_file():
            text = path.read_text()
            for secret in dev_secrets:
                assert secret not in text, f"{path.relative_to(K8S)} contains a development secret"
            assert not re.search(r"(?i)(password|secret)\s*[:=]\s*[\"']?(?!REPLACE_ME)[A-Za-z0-9+/]{16,}", text), (
                f"{path.relative_to(K8S)} looks like it holds a credential"
            )
    for workload in _workloads():
        for container in _containers(workload):
            for var in container.get("env", []):
                if re.search(r"SECRET|PASSWORD|DATABASE_URL|TOKEN", var["name"]):
                    assert "secretKeyRef" in var.get("valueFrom", {}), f"{var['name']} must come from a Secret"
                    ref = var["valueFrom"]["secretKeyRef"]
                    assert ref["key"] in _secret_data(ref["name"]), f"{ref['name']} has no key {ref['key']}"
                    assert not ref.get("optional"), "a missing Secret must stop the pod, not fall back to defaults"


# --------------------------------------------------------------------------------------------- overlay


def test_production_overlay_patches_what_exists() -> None:
    kust = _kustomization(OVERLAY)
    assert kust["resources"] == ["../../base", "../../platform"]
    assert sorted(i["name"] for i in kust["images"]) == IMAGES
    deployments = {o["metadata"]["name"] for o in _objects() if o["kind"] == "Deployment"}
    for replica in kust.get("replicas", []):
        assert replica["name"] in deployments
    for generator in kust.get("configMapGenerator", []):
        assert generator["name"] == SHARED_SETTINGS
        assert generator["behavior"] == "merge"
        for literal in generator.get("literals", []):
            assert _is_setting(ServiceSettings, literal.partition("=")[0]), literal

    for patch in kust["patches"]:
        target = patch.get("target")
        docs = _docs(OVERLAY / patch["path"])
        if target is None:  # strategic merge patches name their objects
            for doc in docs:
                _get(doc["kind"], doc["metadata"]["name"])
            continue
        selector = dict(pair.split("=") for pair in target.get("labelSelector", "").split(",") if pair)
        if "group" in target:  # the platform's custom resources: may not be declared yet (kustomize skips them)
            assert target["group"] in {"kafka.strimzi.io", "postgresql.cnpg.io", "k8s.keycloak.org"}, target
            continue
        matched = [
            o
            for o in _objects()
            if o["kind"] == target["kind"]
            and target.get("name", o["metadata"]["name"]) == o["metadata"]["name"]
            and _selects(selector, o["metadata"].get("labels", {}))
        ]
        assert matched, f"{patch['path']} matches nothing in the base"


def test_production_overlay_keeps_secrets_out_and_the_topics_job_whole() -> None:
    kust = _kustomization(OVERLAY)
    deleted = {
        doc["metadata"]["name"]
        for patch in kust["patches"]
        if "target" not in patch
        for doc in _docs(OVERLAY / patch["path"])
        if doc.get("$patch") == "delete" and doc["kind"] == "Secret"
    }
    assert deleted == {f"rsc-{s}-secrets" for s in PACKAGES}, "applying production must not overwrite real Secrets"

    (topics_patch,) = [p for p in kust["patches"] if p.get("target", {}).get("name") == "rsc-kafka-topics"]
    ops = yaml.safe_load((OVERLAY / topics_patch["path"]).read_text())
    (args,) = [o["value"] for o in ops if o["path"].endswith("/args")]
    base_args = _pod(_get("Job", "rsc-kafka-topics"))["containers"][0]["args"]
    flags = lambda argv: {a.partition("=")[0] for a in argv if a.startswith("--")}  # noqa: E731
    assert flags(args) == flags(base_args), "the overlay must not drop a topics option"
    assert args[args.index("--replication-factor") + 1] == "3"


# --------------------------------------------------------------------------------------------- kustomize build


def _kustomize_build(directory: Path) -> list[Obj]:
    """`kustomize build` with the kustomize that `make bootstrap` built from the Go module proxy."""
    from tests.deploy.validation import build

    return build(directory)


@pytest.mark.parametrize("directory", KUSTOMIZATIONS, ids=lambda d: str(d.relative_to(K8S)))
def test_kustomize_builds(directory: Path) -> None:
    rendered = _kustomize_build(directory)
    (config_map,) = [d for d in rendered if d["metadata"]["name"].startswith(SHARED_SETTINGS)]
    assert config_map["kind"] == "ConfigMap"
    assert config_map["metadata"]["name"].startswith(SHARED_SETTINGS + "-"), "hashed name rolls pods on change"
    base = {(o["kind"], o["metadata"]["name"]) for o in _objects()}
    expected = set(base)
    if directory == OVERLAY:
        expected -= {("Secret", f"rsc-{s}-secrets") for s in PACKAGES}
        # On the platform, KafkaTopics create the topics (components/kafka-scram drops the topics Job).
        expected -= {("Job", "rsc-kafka-topics")}
        # The overlay adds the platform as it is (its own build), by kind and name.
        expected |= {(d["kind"], d["metadata"]["name"]) for d in _kustomize_build(K8S / "platform")}
    assert {(d["kind"], d["metadata"]["name"]) for d in rendered if d is not config_map} == expected
    for doc in rendered:
        if doc["kind"] != "Namespace":
            assert doc["metadata"]["namespace"] == "rsc"
        if doc["kind"] in ("Deployment", "Job") and (doc["kind"], doc["metadata"]["name"]) in base:
            pod = doc["spec"]["template"]["spec"]
            assert SHARED_SETTINGS + "-" in json.dumps(pod), "references follow the generated name"
            assert SHARED_SETTINGS + '"' not in json.dumps(pod)
        if directory == OVERLAY and doc["kind"] == "Deployment" and doc["metadata"]["name"].endswith("-api"):
            assert "replicas" not in doc["spec"], "the HPA owns the API replica count in production"

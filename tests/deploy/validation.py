"""Offline validation of the Kubernetes manifests: kustomize builds them, schemas check every resource.

No cluster is needed, and nothing is downloaded here (`make bootstrap` installs the tools, see README
"Kubernetes"):

- kustomize: built from its Go module by deploy/local/kustomize.sh (cached under .local/cache/);
- built-in kinds (Deployment, Service, NetworkPolicy, ...): the Kubernetes API's own OpenAPI schemas for
  KUBERNETES_VERSION, as shipped by the PyPI package kubernetes-validate, in their strict form (an
  unknown field fails, as with `kubectl apply --validate=strict`);
- operator kinds (CloudNativePG, Strimzi): the `openAPIV3Schema` of the served version in the operator's
  CustomResourceDefinition, fetched by deploy/local/crds.sh, translated to JSON Schema the way the API
  server reads it (see `crd_to_jsonschema`); CRDs in a build's own output count too;
- Keycloak operator kinds: its CRDs are on no registry reachable here, so KEYCLOAK_CRDS below is a
  hand-written schema of their top-level fields (typos and wrong types there fail; the nested blocks
  are not checked).

A kind without a schema is a problem, never skipped.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import re
import subprocess
from collections.abc import Iterable, Iterator
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from referencing import Registry, Resource

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
OVERLAYS = K8S / "overlays"
LOCAL = ROOT / "deploy" / "local"

# The Kubernetes version the manifests are validated for (the schemas of kubernetes-validate): the one place.
KUBERNETES_VERSION = "1.33"

KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")

Obj = dict[str, Any]


@dataclasses.dataclass(frozen=True)
class Problem:
    """One finding: which resource, where in it, what is wrong."""

    resource: str  # apiVersion kind/name
    path: str  # JSON path inside the resource, `$` for the whole
    message: str

    def __str__(self) -> str:
        return f"{self.resource}: {self.path}: {self.message}"


# --------------------------------------------------------------------------------------------- tools


def _script(name: str, *args: str) -> str:
    out = subprocess.run(["bash", str(LOCAL / name), *args], capture_output=True, text=True, timeout=60, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"deploy/local/{name} {' '.join(args)} failed: {out.stderr.strip()}")
    return out.stdout


@cache
def kustomize() -> str:
    """The kustomize binary that `make bootstrap` installed (deploy/local/kustomize.sh)."""
    return _script("kustomize.sh", "path").strip()


@cache
def crd_files() -> tuple[Path, ...]:
    """The operators' CRD files that `make bootstrap` fetched (deploy/local/crds.sh)."""
    return tuple(Path(line) for line in _script("crds.sh", "paths").splitlines() if line.strip())


def overlays() -> list[Path]:
    """Every overlay: the directories under deploy/k8s/overlays/ with a kustomization."""
    return sorted(d for d in OVERLAYS.iterdir() if d.is_dir() and any((d / f).is_file() for f in KUSTOMIZATION_FILES))


class BuildError(Exception):
    pass


def build(directory: Path) -> list[Obj]:
    """`kustomize build DIRECTORY`, parsed."""
    out = subprocess.run(
        [kustomize(), "build", str(directory)], capture_output=True, text=True, timeout=120, check=False
    )
    if out.returncode != 0:
        raise BuildError(f"kustomize build {directory} failed:\n{out.stderr}")
    return [d for d in yaml.safe_load_all(out.stdout) if d]


def describe(obj: Obj) -> str:
    name = obj.get("metadata", {}).get("name", "?") if isinstance(obj.get("metadata"), dict) else "?"
    return f"{obj.get('apiVersion', '?')} {obj.get('kind', '?')}/{name}"


# --------------------------------------------------------------------------------------------- built-in kinds

_SCHEMAS = resources.files("kubernetes_validate") / "kubernetes-json-schema"
_DEFINITIONS_URI = "https://kubernetes.io/api/_definitions.json"
_OBJECT_META = f"{_DEFINITIONS_URI}#/$defs/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"


def _schema_dir() -> Any:
    directory = _SCHEMAS / f"v{KUBERNETES_VERSION}.0-local-strict"
    if not directory.is_dir():
        raise RuntimeError(f"kubernetes-validate has no schemas for Kubernetes {KUBERNETES_VERSION}")
    return directory


@cache
def _registry() -> Registry:
    definitions = json.loads((_schema_dir() / "_definitions.json").read_text())
    return Registry().with_resource(_DEFINITIONS_URI, Resource.from_contents(definitions))


def _split(api_version: str) -> tuple[str, str]:
    group, _, version = api_version.rpartition("/")
    return group, version


@cache
def _builtin_validator(api_version: str, kind: str) -> jsonschema.protocols.Validator | None:
    """The strict schema of a built-in kind, or None when the API has no such kind (not confused with a CRD
    whose group starts with the same word: the schema must name exactly this group, version and kind)."""
    group, version = _split(api_version)
    prefix = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    path = _schema_dir() / f"{kind.lower()}-{prefix}.json"
    if not path.is_file():
        return None
    schema = json.loads(path.read_text())
    gvks = schema.get("x-kubernetes-group-version-kind", [])
    if {"group": group, "version": version, "kind": kind} not in gvks:
        return None
    return jsonschema.Draft202012Validator(schema, registry=_registry())


@cache
def _object_meta_validator() -> jsonschema.protocols.Validator:
    return jsonschema.Draft202012Validator({"$ref": _OBJECT_META}, registry=_registry())


# --------------------------------------------------------------------------------------------- CRD schemas


def crd_to_jsonschema(schema: Obj) -> Obj:
    """A CRD's structural `openAPIV3Schema` as JSON Schema (draft 4, as OpenAPI 3.0), read like the API server:

    - an object lists its fields (`properties`) or a map's values (`additionalProperties`); any other field
      is unknown and fails (the server would prune it; `kubectl apply` validates strictly), unless
      `x-kubernetes-preserve-unknown-fields: true` keeps it;
    - `x-kubernetes-int-or-string: true`: an integer or a string;
    - `x-kubernetes-embedded-resource: true`: apiVersion, kind and metadata are allowed besides the fields;
    - null is accepted everywhere (the server prunes nulls before validating: `nullable` only keeps them);
    - `x-kubernetes-list-type: set` items are unique; `map` items are unique by `x-kubernetes-list-map-keys`;
    - oneOf/anyOf/allOf/not branches are value constraints and are kept as written;
    - `x-kubernetes-validations` (CEL rules) are not evaluated.
    """
    node = json.loads(json.dumps(schema))  # a copy without shared nodes: _structural edits in place
    _structural(node)
    return node


def _structural(node: Obj) -> None:
    preserve = node.pop("x-kubernetes-preserve-unknown-fields", False)
    node.pop("x-kubernetes-validations", None)
    node.pop("nullable", None)
    if node.pop("x-kubernetes-int-or-string", False):
        node["type"] = ["integer", "string"]
        # The structural form repeats the two types as anyOf; they would refuse null.
        for junctor in ("anyOf", "oneOf"):
            branches = node.get(junctor, [])
            if branches and all(set(b) <= {"type"} for b in branches):
                del node[junctor]
    if node.pop("x-kubernetes-embedded-resource", False):
        node.setdefault("properties", {})
        node["properties"].setdefault("apiVersion", {"type": "string"})
        node["properties"].setdefault("kind", {"type": "string"})
        node["properties"].setdefault("metadata", {"type": "object", "x-kubernetes-preserve-unknown-fields": True})
    if isinstance(node.get("type"), str):
        node["type"] = [node["type"], "null"]
    elif isinstance(node.get("type"), list) and "null" not in node["type"]:
        node["type"] = [*node["type"], "null"]
    if "enum" in node and None not in node["enum"]:
        node["enum"] = [*node["enum"], None]

    types = node.get("type") or []
    if "object" in types or "properties" in node:
        for child in node.get("properties", {}).values():
            _structural(child)
        if isinstance(node.get("additionalProperties"), dict):
            _structural(node["additionalProperties"])
        elif "additionalProperties" not in node and not preserve:
            node["additionalProperties"] = False
    if isinstance(node.get("items"), dict):
        _structural(node["items"])
    if node.get("x-kubernetes-list-type") == "set":
        node["uniqueItems"] = True


def _unique_map_keys(_validator: Any, keys: list[str], instance: Any, schema: Obj) -> Iterator[Any]:
    if schema.get("x-kubernetes-list-type") != "map" or not isinstance(instance, list):
        return
    seen: set[str] = set()
    for item in instance:
        if isinstance(item, dict):
            key = {k: item.get(k) for k in keys}
            if json.dumps(key) in seen:
                yield jsonschema.ValidationError(f"duplicate entry for key {key}")
            seen.add(json.dumps(key))


_CRDValidator = jsonschema.validators.extend(
    jsonschema.Draft4Validator, {"x-kubernetes-list-map-keys": _unique_map_keys}
)


# Keycloak operator (k8s.keycloak.org/v2alpha1, Keycloak 26): hand-written, since its CRDs are on no
# registry reachable here (org.keycloak:keycloak-operator is not on Maven Central). Only the top-level
# fields of `spec` are listed (from the operator's documentation); the blocks inside them are not checked.
# A field missing here fails as unknown: check it against the Keycloak operator's documentation, then add it.
_OPEN = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
_OPEN_LIST = {"type": "array", "items": _OPEN}
_KEYCLOAK_SPEC = {
    "type": "object",
    "properties": {
        "instances": {"type": "integer", "minimum": 0},
        "image": {"type": "string"},
        "imagePullSecrets": _OPEN_LIST,
        "startOptimized": {"type": "boolean"},
        "additionalOptions": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name"],
                "properties": {"name": {"type": "string"}, "value": {"type": "string"}, "secret": _OPEN},
            },
        },
        "env": _OPEN_LIST,
        "automountServiceAccountToken": {"type": "boolean"},
        **{
            block: _OPEN
            for block in (
                "http",
                "httpManagement",
                "unsupported",
                "features",
                "transaction",
                "db",
                "cache",
                "resources",
                "proxy",
                "hostname",
                "ingress",
                "truststores",
                "scheduling",
                "bootstrapAdmin",
                "networkPolicy",
                "tracing",
                "update",
                "serviceMonitor",
                "readinessProbe",
                "livenessProbe",
                "startupProbe",
            )
        },
    },
}
_KEYCLOAK_REALM_IMPORT_SPEC = {
    "type": "object",
    "required": ["keycloakCRName", "realm"],
    "properties": {
        "keycloakCRName": {"type": "string"},
        "realm": {
            "type": "object",
            "required": ["realm"],
            "properties": {"realm": {"type": "string"}},
            "x-kubernetes-preserve-unknown-fields": True,
        },
        "resources": _OPEN,
        "placeholders": {"type": "object", "additionalProperties": _OPEN},
    },
}


def _hand_written_crd(kind: str, plural: str, spec: Obj) -> Obj:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.k8s.keycloak.org"},
        "spec": {
            "group": "k8s.keycloak.org",
            "names": {"kind": kind, "plural": plural},
            "scope": "Namespaced",
            "versions": [
                {
                    "name": "v2alpha1",
                    "served": True,
                    "storage": True,
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "properties": {
                                "apiVersion": {"type": "string"},
                                "kind": {"type": "string"},
                                "metadata": {"type": "object"},
                                "spec": spec,
                                "status": _OPEN,
                            },
                        }
                    },
                }
            ],
        },
    }


KEYCLOAK_CRDS = (
    _hand_written_crd("Keycloak", "keycloaks", _KEYCLOAK_SPEC),
    _hand_written_crd("KeycloakRealmImport", "keycloakrealmimports", _KEYCLOAK_REALM_IMPORT_SPEC),
)


# --------------------------------------------------------------------------------------------- validator


@dataclasses.dataclass
class _CustomKind:
    versions: dict[str, Any]  # version -> its validator (None: the version is not served)
    source: str


class Validator:
    """Validates resources: built-in kinds against the API's schemas, custom kinds against their CRDs."""

    def __init__(self, crds: Iterable[Obj] = ()) -> None:
        self._custom: dict[tuple[str, str], _CustomKind] = {}
        for crd in crds:
            self.add_crd(crd)

    @classmethod
    def default(cls) -> Validator:
        """The operators' CRDs that bootstrap fetched, and the hand-written Keycloak ones."""
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        crds = [doc for path in crd_files() for doc in yaml.load_all(path.read_text(), Loader=loader) if doc]
        return cls([*crds, *KEYCLOAK_CRDS])

    def add_crd(self, crd: Obj, source: str = "") -> None:
        spec = crd["spec"]
        kind = _CustomKind({}, source or crd["metadata"]["name"])
        for version in spec["versions"]:
            schema = copy.deepcopy(version.get("schema", {}).get("openAPIV3Schema") or {"type": "object"})
            # The root's apiVersion and kind are always allowed; metadata is checked as ObjectMeta (validate).
            properties = schema.setdefault("properties", {})
            properties["apiVersion"] = {"type": "string"}
            properties["kind"] = {"type": "string"}
            properties["metadata"] = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
            served = version.get("served", True)
            kind.versions[version["name"]] = _CRDValidator(crd_to_jsonschema(schema)) if served else None
        self._custom[(spec["group"], spec["names"]["kind"])] = kind

    def knows(self, api_version: str, kind: str) -> bool:
        group, _ = _split(api_version)
        return (group, kind) in self._custom or _builtin_validator(api_version, kind) is not None

    def validate(self, obj: Obj) -> list[Problem]:
        name = describe(obj)
        api_version, kind = obj.get("apiVersion"), obj.get("kind")
        if not isinstance(api_version, str) or not isinstance(kind, str):
            return [Problem(name, "$", "apiVersion and kind must be strings")]
        group, version = _split(api_version)
        builtin = _builtin_validator(api_version, kind)
        if builtin is not None:
            return self._errors(name, builtin, obj)
        custom = self._custom.get((group, kind))
        if custom is None:
            return [
                Problem(
                    name,
                    "$",
                    f"no schema for {kind} of {api_version}: not a built-in kind of Kubernetes {KUBERNETES_VERSION} "
                    "and no CRD known (add the operator's CRD to deploy/local/crds.sh)",
                )
            ]
        if custom.versions.get(version) is None:
            served = sorted(v for v, s in custom.versions.items() if s is not None)
            return [Problem(name, "$.apiVersion", f"{api_version} is not served by {custom.source} (served: {served})")]
        problems = self._errors(name, custom.versions[version], obj)
        if isinstance(obj.get("metadata"), dict):  # the API server checks metadata as ObjectMeta
            problems += [
                dataclasses.replace(p, path=p.path.replace("$", "$.metadata", 1))
                for p in self._errors(name, _object_meta_validator(), obj["metadata"])
            ]
        return problems

    def validate_all(self, objs: Iterable[Obj]) -> list[Problem]:
        objs = list(objs)
        for obj in objs:  # CRDs shipped in the same build define kinds for it
            if obj.get("kind") == "CustomResourceDefinition" and obj.get("apiVersion") == "apiextensions.k8s.io/v1":
                self.add_crd(obj)
        return [p for obj in objs for p in self.validate(obj)]

    @staticmethod
    def _errors(name: str, validator: Any, instance: Any) -> list[Problem]:
        problems = []
        for error in sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.absolute_path))):
            message = error.message
            if error.context:  # oneOf/anyOf: name the closest branch's complaint
                message += f" ({jsonschema.exceptions.best_match(error.context).message})"
            problems.append(Problem(name, error.json_path, message))
        return problems

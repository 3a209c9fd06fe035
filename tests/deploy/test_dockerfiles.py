"""Lint of the per-service Dockerfiles (services/<service>/Dockerfile), in pure Python.

No container engine is needed (none is available where these were written): the files are parsed into
stages and instructions and checked against the build contract: multi-stage, uv with the frozen lock for
exactly the service's package, a final stage with the venv only (no uv, pip or compilers), a numeric
non-root user, pinned base images, and the service's console script as the ENTRYPOINT. The checking
function is also run on broken variants, so the lint can fail.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = sorted(p.name for p in (ROOT / "services").iterdir() if (p / "pyproject.toml").is_file())
UNINSTALL = re.compile(r"\s*(python[\d.]* -m )?pip uninstall\b")
BUILD_TOOLS = re.compile(r"\b(uv|uvx|pip|gcc|g\+\+|cc|clang|make|build-essential|apt-get|apk|git)\b")
# The final stage may install shared libraries a compiled dependency links to (e.g. libicu72 for PyICU) with
# apt-get, and clean the lists; never compilers, headers (-dev) or other build tools.
APT_RUNTIME = re.compile(
    r"^\s*(apt-get update"
    r"|apt-get install -y --no-install-recommends(?P<packages>( [a-z0-9.+-]+)+)"
    r"|rm -rf /var/lib/apt/lists/\*)\s*$"
)
NOT_RUNTIME = re.compile(r"(-dev|-dbg)$|^(gcc|g\+\+|cpp|clang|make|build-essential|pkg-config|git|python3?-pip)$")


def is_runtime_apt(command: str) -> bool:
    match = APT_RUNTIME.match(command)
    if match is None:
        return False
    return not any(NOT_RUNTIME.search(p) for p in (match.group("packages") or "").split())


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)


def parse(text: str) -> tuple[dict[str, str], list[Stage]]:
    """Global ARG defaults and the stages, each a list of (INSTRUCTION, arguments); comments dropped."""
    logical, buffer = [], ""
    for raw in text.splitlines():
        line = raw.strip()
        if not buffer and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            buffer += line[:-1] + " "
            continue
        logical.append(buffer + line)
        buffer = ""
    args: dict[str, str] = {}
    stages: list[Stage] = []
    for line in logical:
        instruction, _, rest = line.partition(" ")
        instruction, rest = instruction.upper(), rest.strip()
        if instruction == "FROM":
            parts = rest.split()
            base = re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: args.get(m.group(1) or m.group(2), m.group(0)), parts[0])
            name = parts[2] if len(parts) == 3 and parts[1].upper() == "AS" else None
            stages.append(Stage(base, name))
        elif instruction == "ARG" and not stages:
            key, _, default = rest.partition("=")
            args[key] = default
        elif stages:
            stages[-1].instructions.append((instruction, rest))
    return args, stages


def _pinned(image: str, stage_names: set[str]) -> bool:
    if image in stage_names:
        return True
    if "@sha256:" in image:
        return True
    tag = image.rpartition(":")[2] if ":" in image.rpartition("/")[2] else ""
    # A tag with a full version (python:3.11.13-slim-bookworm), never latest or a bare major/minor.
    return bool(re.match(r"\d+\.\d+\.\d+", tag))


def violations(text: str, package: str) -> list[str]:
    """What is wrong with the Dockerfile of services/<package>."""
    _, stages = parse(text)
    problems = []
    if len(stages) < 2:
        return ["not multi-stage"]
    names = {s.name for s in stages if s.name}
    for stage in stages:
        if not _pinned(stage.base, names):
            problems.append(f"base image {stage.base} is not pinned to a patch release or digest")
    build, final = stages[:-1], stages[-1]
    build_runs = " ".join(args for s in build for i, args in s.instructions if i == "RUN")
    build_copies = [args for s in build for i, args in s.instructions if i == "COPY"]
    if not any("uv.lock" in c.split() for c in build_copies):
        problems.append("the lock file is not copied")
    syncs = re.findall(r"uv sync([^&;]*)", build_runs)
    if not syncs:
        problems.append("no uv sync in the build stage")
    for sync in syncs:
        flags = sync.split()
        if "--frozen" not in flags:
            problems.append(f"uv sync without --frozen: {sync.strip()}")
        if "--no-dev" not in flags:
            problems.append(f"uv sync with dev dependencies: {sync.strip()}")
        if f"--package rsc-{package}" not in sync:
            problems.append(f"uv sync not limited to rsc-{package}: {sync.strip()}")
    if syncs and "--no-editable" not in syncs[-1].split():
        problems.append("the final uv sync is editable: the venv would point into /src")
    for instruction, args in final.instructions:
        # Removing pip is fine; installing or using build tools in the final stage is not.
        commands = [c for c in re.split(r"&&|;", args) if not UNINSTALL.match(c) and not is_runtime_apt(c)]
        if instruction == "RUN" and any(BUILD_TOOLS.search(c) for c in commands):
            problems.append(f"build tools in the final stage: RUN {args}")
        if instruction == "COPY" and "--from=" not in args:
            problems.append(f"the final stage copies from the context, not the build: COPY {args}")
        if instruction == "COPY" and re.search(r"\buv\b", args):
            problems.append(f"uv copied into the final stage: COPY {args}")
    users = [args for instruction, args in final.instructions if instruction == "USER"]
    if not users:
        problems.append("the final stage runs as root (no USER)")
    elif not re.fullmatch(r"[1-9]\d*(:\d+)?", users[-1]):
        problems.append(f"USER {users[-1]} is not a numeric non-root uid")
    entrypoints = [args for instruction, args in final.instructions if instruction == "ENTRYPOINT"]
    script = f"rsc-{package}"
    if not entrypoints:
        problems.append("no ENTRYPOINT")
    else:
        try:
            entrypoint = json.loads(entrypoints[-1])
        except json.JSONDecodeError:
            entrypoint = None
        if entrypoint != [script]:
            problems.append(f'ENTRYPOINT {entrypoints[-1]} is not ["{script}"] (exec form)')
    return problems


def _dockerfile(package: str) -> str:
    return (ROOT / "services" / package / "Dockerfile").read_text()


def test_every_service_has_a_dockerfile() -> None:
    assert PACKAGES == ["appraisal", "intake", "monitoring", "notifications", "portal"]
    for package in PACKAGES:
        assert (ROOT / "services" / package / "Dockerfile").is_file(), package


@pytest.mark.parametrize("package", PACKAGES)
def test_dockerfile(package: str) -> None:
    assert violations(_dockerfile(package), package) == []


@pytest.mark.parametrize("package", PACKAGES)
def test_the_entrypoint_is_the_services_console_script(package: str) -> None:
    scripts = tomllib.loads((ROOT / "services" / package / "pyproject.toml").read_text())["project"]["scripts"]
    _, stages = parse(_dockerfile(package))
    (entrypoint,) = [json.loads(a) for i, a in stages[-1].instructions if i == "ENTRYPOINT"]
    assert entrypoint[0] in scripts


@pytest.mark.parametrize("package", PACKAGES)
def test_the_build_copies_what_uv_needs(package: str) -> None:
    """Every workspace member's pyproject.toml (uv reads the whole workspace) and the sources installed."""
    workspace = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["uv"]["workspace"]["members"]
    text = _dockerfile(package)
    for member in workspace:
        assert f"COPY {member}/pyproject.toml {member}/" in text, member
    assert "COPY libs/common/src libs/common/src" in text
    assert f"COPY services/{package}/src services/{package}/src" in text
    others = [p for p in PACKAGES if p != package]
    assert not [p for p in others if f"services/{p}/src" in text], "other services' code in the image"


def test_every_manifest_image_has_a_dockerfile() -> None:
    manifests = "\n".join(p.read_text() for p in (ROOT / "deploy" / "k8s" / "base").rglob("*.yaml"))
    images = set(re.findall(r"image:\s*ghcr\.io/rsc-project/(rsc-[a-z]+):", manifests))
    assert images == {f"rsc-{p}" for p in PACKAGES}


BROKEN = {
    "single stage": ("FROM ${PYTHON_IMAGE} AS build\n", "FROM scratch AS nothing\n", "not multi-stage"),
    "no --frozen": ("--no-install-workspace", "--no-install-workspace --upgrade", None),
    "unpinned base": ("python:3.11.13-slim-bookworm", "python:3.11-slim", "not pinned"),
    "latest base": ("python:3.11.13-slim-bookworm", "python:latest", "not pinned"),
    "root user": ("USER 10001:10001", "USER root", "not a numeric non-root uid"),
    "uv at run time": (
        "WORKDIR /app\nUSER",
        "RUN pip install uv\nWORKDIR /app\nUSER",
        "build tools in the final stage",
    ),
    "compiler at run time": ("WORKDIR /app\nUSER", "RUN apt-get install -y gcc\nWORKDIR /app\nUSER", "build tools"),
    "headers at run time": (
        "WORKDIR /app\nUSER",
        "RUN apt-get update && apt-get install -y --no-install-recommends libicu72 libicu-dev\nWORKDIR /app\nUSER",
        "build tools",
    ),
    "pkg-config at run time": (
        "WORKDIR /app\nUSER",
        "RUN apt-get install -y --no-install-recommends pkg-config\nWORKDIR /app\nUSER",
        "build tools",
    ),
    "shell entrypoint": ('ENTRYPOINT ["rsc-intake"]', "ENTRYPOINT rsc-intake", "exec form"),
    "wrong entrypoint": ('ENTRYPOINT ["rsc-intake"]', 'ENTRYPOINT ["python"]', "is not"),
    "no lock": ("COPY pyproject.toml uv.lock ./", "COPY pyproject.toml ./", "the lock file is not copied"),
}


def test_runtime_libraries_may_be_installed_in_the_final_stage() -> None:
    text = _dockerfile("intake").replace(
        "WORKDIR /app\nUSER",
        "RUN apt-get update \\\n && apt-get install -y --no-install-recommends libicu72 \\\n"
        " && rm -rf /var/lib/apt/lists/*\nWORKDIR /app\nUSER",
    )
    assert violations(text, "intake") == []


@pytest.mark.parametrize("case", BROKEN)
def test_a_broken_dockerfile_is_caught(case: str) -> None:
    old, new, expected = BROKEN[case]
    text = _dockerfile("intake")
    assert old in text
    if case == "single stage":  # drop the runtime stage entirely
        broken = text.split("FROM ${PYTHON_IMAGE} AS runtime")[0]
        expected = "not multi-stage"
    elif case == "no --frozen":
        broken = text.replace("uv sync --frozen", "uv sync")
        expected = "without --frozen"
    else:
        broken = text.replace(old, new)
    problems = violations(broken, "intake")
    assert any(expected in p for p in problems), problems

"""The services' container images, built here with buildah from the unchanged Dockerfiles (deploy/local/images.sh)
and run: the contract the Dockerfile lint checks on paper (test_dockerfiles.py) is checked on the built images,
and the intake image migrates a database and serves its API against the real servers.

Building all five takes a few minutes the first time (a Debian base made with debootstrap, then `uv sync`
from the lock per service); later runs reuse buildah's layer cache.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect

from tests.support.databases import temporary_database
from tests.support.servers import KAFKA_BOOTSTRAP, KEYCLOAK_URL, TEMPORAL_ADDRESS, free_port

ROOT = Path(__file__).resolve().parents[3]
IMAGES = ROOT / "deploy/local/images.sh"
SERVICES = sorted(p.name for p in (ROOT / "services").iterdir() if (p / "Dockerfile").is_file())
TAG = "0.1.0"


def image(service: str) -> str:
    return f"ghcr.io/rsc-project/rsc-{service}:{TAG}"


def images_sh(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(IMAGES), *args], capture_output=True, text=True, timeout=timeout)


def run_in(service: str, *command: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    options = [f"--env={k}={v}" for k, v in (env or {}).items()]
    return images_sh("run", image(service), *options, "--", *command, timeout=300)


@pytest.fixture(scope="module", autouse=True)
def built() -> None:
    result = images_sh("build", timeout=3600)
    assert result.returncode == 0, result.stderr[-4000:]


@pytest.mark.parametrize("service", SERVICES)
def test_the_image_config_runs_the_service_as_a_non_root_user(service: str) -> None:
    result = images_sh("inspect", image(service))
    assert result.returncode == 0, result.stderr
    config = json.loads(result.stdout)["OCIv1"]["config"]
    assert config["User"] == "10001:10001"
    assert config["Entrypoint"] == [f"rsc-{service}"]
    assert config["WorkingDir"] == "/app"
    path = next(e for e in config["Env"] if e.startswith("PATH="))
    assert path.startswith("PATH=/app/.venv/bin:")


@pytest.mark.parametrize("service", SERVICES)
def test_the_image_holds_its_service_and_nothing_to_build_with(service: str) -> None:
    others = [s for s in SERVICES if s != service]
    probe = (
        "import importlib.util, os, shutil, sys\n"
        f"print(os.getuid(), os.getgid())\n"
        f"print([m for m in ['rsc_common', 'rsc_{service}'] if importlib.util.find_spec(m) is None])\n"
        f"print([m for m in {[f'rsc_{o}' for o in others]!r} if importlib.util.find_spec(m)])\n"
        "print([m for m in ['pip', 'setuptools', 'uv'] if importlib.util.find_spec(m)])\n"
        "print([t for t in ['uv', 'pip', 'gcc', 'cc', 'g++', 'make'] if shutil.which(t)])\n"
        "print(sys.prefix)\n"
        # every module of the service and of rsc_common imports: each import is a declared dependency
        "import importlib, pkgutil\n"
        "failed = []\n"
        f"for package in ['rsc_common', 'rsc_{service}']:\n"
        "    root = importlib.import_module(package)\n"
        "    for info in pkgutil.walk_packages(root.__path__, package + '.'):\n"
        "        if info.name.endswith('__main__'):\n"
        "            continue\n"
        "        try:\n"
        "            importlib.import_module(info.name)\n"
        "        except Exception as exc:\n"
        "            failed.append(f'{info.name}: {exc!r}')\n"
        "print(failed)\n"
    )
    result = run_in(service, "python", "-c", probe)
    assert result.returncode == 0, result.stderr
    uid_gid, missing, foreign, packaging, tools, prefix, failed = result.stdout.strip().splitlines()[-7:]
    assert uid_gid == "10001 10001"
    assert missing == "[]", "the service's own packages are installed"
    assert foreign == "[]", "no other service's code"
    assert packaging == "[]", "no pip, setuptools or uv at run time"
    assert tools == "[]", "no build tools at run time"
    assert prefix == "/app/.venv"
    assert failed == "[]", "modules that do not import in the image (an undeclared dependency?)"


@pytest.mark.parametrize("service", SERVICES)
def test_the_entrypoint_starts(service: str) -> None:
    result = run_in(service, f"rsc-{service}", "--help")
    assert result.returncode == 0, result.stderr
    assert "api" in result.stdout


SERVE_AND_PROBE = """
import subprocess, sys, time, urllib.error, urllib.request
api = subprocess.Popen(["rsc-intake", "api"])
try:
    for _ in range(120):
        try:
            urllib.request.urlopen("http://127.0.0.1:PORT/healthz", timeout=2)
            break
        except OSError:
            time.sleep(0.5)
    else:
        sys.exit("the API did not answer /healthz")
    try:
        print(urllib.request.urlopen("http://127.0.0.1:PORT/readyz", timeout=10).read().decode())
    except urllib.error.HTTPError as exc:
        print(exc.read().decode())
finally:
    api.terminate()
    api.wait(30)
"""


def test_the_intake_image_migrates_a_database_and_serves_its_api() -> None:
    """On the host network of the build machine, against the real PostgreSQL, Kafka, Temporal and Keycloak."""
    port = free_port()
    with temporary_database("rsc_image") as url:
        env = {
            "RSC_INTAKE_DATABASE_URL": url,
            "RSC_INTAKE_HTTP_PORT": str(port),
            "RSC_INTAKE_KAFKA__BOOTSTRAP_SERVERS": KAFKA_BOOTSTRAP,
            "RSC_INTAKE_TEMPORAL__ADDRESS": TEMPORAL_ADDRESS,
            "RSC_INTAKE_AUTH__KEYCLOAK_URL": KEYCLOAK_URL,
            "RSC_INTAKE_ATTACHMENTS__DIR": "/tmp/attachments",
        }
        migrated = run_in("intake", "rsc-intake", "migrate", env=env)
        assert migrated.returncode == 0, migrated.stderr[-3000:]
        engine = create_engine(url)
        try:
            assert {"proposal", "outbox_event"} <= set(inspect(engine).get_table_names())
        finally:
            engine.dispose()
        # serve, ask for liveness and readiness from inside the container, stop: nothing outlives the container
        probe = SERVE_AND_PROBE.replace("PORT", str(port))
        served = run_in("intake", "python", "-c", probe, env=env)
    assert served.returncode == 0, served.stderr[-3000:]
    readiness = json.loads(served.stdout.strip().splitlines()[-1])
    assert readiness["status"] == "ready", readiness

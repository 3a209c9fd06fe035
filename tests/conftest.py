"""Test-wide set-up. Integration tests need the real servers; `make test` starts them."""

from __future__ import annotations

import socket

import pytest

from rsc_common.settings import TelemetrySettings
from rsc_common.telemetry import configure_tracing
from tests.support import servers

# Trace ids must exist in tests too (the provider exports nothing).
configure_tracing("rsc-tests", TelemetrySettings())


def _reachable(address: str) -> bool:
    host, _, port = address.rpartition(":")
    try:
        socket.create_connection((host.replace("http://", "").replace("//", ""), int(port)), timeout=2).close()
        return True
    except OSError:
        return False


@pytest.fixture(scope="session", autouse=True)
def _servers_up(request: pytest.FixtureRequest) -> None:
    """Fail fast, naming the server, instead of timing out in the first integration test."""
    if not any(item.get_closest_marker("integration") for item in request.session.items):
        return
    needed = {
        "PostgreSQL": f"127.0.0.1:{servers.PG_PORT}",
        "Kafka": servers.KAFKA_BOOTSTRAP,
        "Temporal": servers.TEMPORAL_ADDRESS,
        "Keycloak": servers.KEYCLOAK_URL.removeprefix("http://"),
    }
    down = [name for name, address in needed.items() if not _reachable(address)]
    if down:
        pytest.exit(f"integration tests need {', '.join(down)}: run `make test` (starts them) or `make up`", 3)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Everything under an `integration/` folder talks to real servers.
    for item in items:
        if "/integration/" in str(item.path):
            item.add_marker(pytest.mark.integration)

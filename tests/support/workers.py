"""Real service worker processes (`rsc-<service> worker`) for cross-service tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.servers import KAFKA_BOOTSTRAP, KEYCLOAK_URL, TEMPORAL_ADDRESS

BIN = Path(sys.executable).parent


def env_for(service: str, database_url: str, prefix: str) -> dict[str, str]:
    """The service's settings pointed at a test database and a test topic prefix."""
    p = f"RSC_{service.upper()}_"
    return {
        **os.environ,
        p + "DATABASE_URL": database_url,
        p + "KAFKA__BOOTSTRAP_SERVERS": KAFKA_BOOTSTRAP,
        p + "KAFKA__TOPIC_PREFIX": prefix,
        p + "TEMPORAL__ADDRESS": TEMPORAL_ADDRESS,
        p + "AUTH__KEYCLOAK_URL": KEYCLOAK_URL,
        p + "OUTBOX__POLL_INTERVAL_SECONDS": "0.1",
        # never poll the task queue of a running `make up` stack on the shared dev server
        p + "TEMPORAL__TASK_QUEUE": f"test-{service}-{uuid.uuid4().hex[:8]}",
    }


@contextmanager
def worker(service: str, env: dict[str, str]) -> Iterator[subprocess.Popen]:
    proc = subprocess.Popen([str(BIN / f"rsc-{service}"), "worker"], env=env)
    try:
        yield proc
    finally:
        proc.send_signal(signal.SIGTERM)  # graceful stop, as Kubernetes does
        assert proc.wait(timeout=90) == 0


def wait_for(predicate: Callable[[], bool], timeout: float = 60.0, interval: float = 0.3) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()

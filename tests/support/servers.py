"""Where the test suite finds the real servers (the ones `make test` starts, or `make up`'s)."""

from __future__ import annotations

import os
import socket

PG_PORT = int(os.environ.get("RSC_PG_PORT", "15432"))
PG_ADMIN_URL = os.environ.get("RSC_TEST_PG_URL", f"postgresql+psycopg://rsc:rsc@127.0.0.1:{PG_PORT}/postgres")
KAFKA_BOOTSTRAP = f"127.0.0.1:{os.environ.get('RSC_KAFKA_PORT', '19092')}"
TEMPORAL_ADDRESS = f"127.0.0.1:{os.environ.get('RSC_TEMPORAL_PORT', '17233')}"
KEYCLOAK_URL = os.environ.get("RSC_KEYCLOAK_URL", f"http://127.0.0.1:{os.environ.get('RSC_KEYCLOAK_PORT', '18080')}")


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now (for servers a test starts)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

"""`/healthz` (the process is alive) and `/readyz` (its dependencies answer).

Readiness checks are bounded in time and run concurrently; a failing check names itself, so a
Kubernetes readiness probe takes the pod out of rotation with a reason in the body.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Engine, text

Check = Callable[[], Awaitable[None]]

router = APIRouter(tags=["health"])
CHECK_TIMEOUT_SECONDS = 3.0


@router.get("/healthz", summary="Liveness: the process answers")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="Readiness: database, Kafka and (where used) Temporal reachable")
async def readyz(request: Request) -> JSONResponse:
    checks: dict[str, Check] = request.app.state.readiness_checks
    results = await asyncio.gather(*(_run(check) for check in checks.values()))
    report = dict(zip(checks, results, strict=True))
    ready = all(result == "ok" for result in report.values())
    return JSONResponse(
        {"status": "ready" if ready else "not ready", "checks": report}, status_code=200 if ready else 503
    )


async def _run(check: Check) -> str:
    try:
        await asyncio.wait_for(check(), CHECK_TIMEOUT_SECONDS)
        return "ok"
    except TimeoutError:
        return "timeout"
    except Exception as exc:
        return f"error: {exc}"[:300]


def database_check(engine: Engine) -> Check:
    def probe() -> None:
        with engine.connect() as conn:
            conn.execute(text("select 1"))

    return lambda: asyncio.to_thread(probe)


def kafka_check(bootstrap_servers: str) -> Check:
    # A TCP connect to each bootstrap broker: cheap enough for a probe every few seconds;
    # a real metadata round trip is what the relay and consumers do continuously anyway.
    def probe() -> None:
        errors = []
        for server in bootstrap_servers.split(","):
            host, _, port = server.strip().rpartition(":")
            try:
                socket.create_connection((host, int(port)), timeout=2).close()
                return
            except OSError as exc:
                errors.append(f"{server}: {exc}")
        raise ConnectionError("; ".join(errors))

    return lambda: asyncio.to_thread(probe)


def temporal_check(address: str, namespace: str) -> Check:
    from temporalio.client import Client

    client: list[Client] = []  # connected once, reused by every probe

    async def probe() -> None:
        if not client:
            client.append(await Client.connect(address, namespace=namespace))
        await client[0].service_client.check_health()

    return probe

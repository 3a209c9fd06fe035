"""Real tokens from the local Keycloak realm `rsc` (demo users: password = user name)."""

from __future__ import annotations

import functools

import httpx

from tests.support.servers import KEYCLOAK_URL


@functools.cache
def token_for(username: str) -> str:
    response = httpx.post(
        f"{KEYCLOAK_URL}/realms/rsc/protocol/openid-connect/token",
        data={"grant_type": "password", "client_id": "rsc-cli", "username": username, "password": username},
        timeout=30,
    )
    response.raise_for_status()
    return response.json()["access_token"]


def bearer(username: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(username)}"}

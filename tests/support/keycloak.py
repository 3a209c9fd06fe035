"""Real tokens from the local Keycloak realm `rsc` (demo users: password = user name)."""

from __future__ import annotations

import base64
import functools
import json

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


def subject_of(username: str) -> str:
    """The user's Keycloak subject, read from a token's payload (tests only: the token comes from Keycloak)."""
    payload = token_for(username).split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sub"]

"""Encrypted, authenticated cookie values (Fernet: AES-128-CBC + HMAC-SHA256, with a timestamp checked
against a maximum age), compressed and split over several cookies when longer than one cookie may be.

Tokens are kept in the cookie rather than in a server-side store so that the portal stays stateless: any
replica can serve any request and a restart signs no one out."""

from __future__ import annotations

import base64
import hashlib
import json
import zlib
from collections.abc import Mapping
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from starlette.responses import Response

# Browsers keep at least 4,096 bytes per cookie including its name and attributes.
CHUNK = 3_800
MAX_CHUNKS = 6


class CookieCodec:
    def __init__(self, secret: str, *, purpose: str) -> None:
        # One key per purpose (session, login state): a value sealed for one is refused by the other.
        key = hashlib.sha256(f"rsc-portal/{purpose}/{secret}".encode()).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    def seal(self, value: Mapping[str, Any]) -> str:
        raw = zlib.compress(json.dumps(value, separators=(",", ":")).encode(), 9)
        return self._fernet.encrypt(raw).decode()

    def open(self, sealed: str, *, max_age: int) -> dict[str, Any] | None:
        try:
            return json.loads(zlib.decompress(self._fernet.decrypt(sealed.encode(), ttl=max_age)))
        except (InvalidToken, zlib.error, ValueError):
            return None


def read_chunked(cookies: Mapping[str, str], name: str) -> str | None:
    if name in cookies:
        return cookies[name]
    parts = []
    for i in range(MAX_CHUNKS):
        part = cookies.get(f"{name}.{i}")
        if part is None:
            break
        parts.append(part)
    return "".join(parts) or None


def write_chunked(
    response: Response, cookies: Mapping[str, str], name: str, value: str, *, max_age: int, secure: bool
) -> None:
    parts = [value[i : i + CHUNK] for i in range(0, len(value), CHUNK)]
    if len(parts) > MAX_CHUNKS:
        raise ValueError("session too large for cookies")
    for i, part in enumerate(parts):
        response.set_cookie(
            f"{name}.{i}", part, max_age=max_age, path="/", secure=secure, httponly=True, samesite="lax"
        )
    for i in range(len(parts), MAX_CHUNKS):  # leftovers of a longer previous value
        if f"{name}.{i}" in cookies:
            response.delete_cookie(f"{name}.{i}", path="/", secure=secure, httponly=True, samesite="lax")
    if name in cookies:
        response.delete_cookie(name, path="/", secure=secure, httponly=True, samesite="lax")


def clear_chunked(response: Response, cookies: Mapping[str, str], name: str, *, secure: bool) -> None:
    for key in cookies:
        if key == name or key.startswith(f"{name}."):
            response.delete_cookie(key, path="/", secure=secure, httponly=True, samesite="lax")

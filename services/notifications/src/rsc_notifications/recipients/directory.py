"""Who people are, from Keycloak's admin API through the service's own service account (client
credentials; `view-users` and `query-users` of realm-management): e-mail, locale and display name by
subject, and the members of a realm role. Cached for `directory_cache_seconds`."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from keycloak import KeycloakAdmin, KeycloakOpenIDConnection

from rsc_common.auth import AuthSettings

LOCALES = ("en", "fr", "de")


@dataclass(frozen=True)
class Contact:
    subject: str
    email: str | None
    locale: str
    name: str


def _contact(user: dict) -> Contact:
    attributes = user.get("attributes") or {}
    locale = (attributes.get("locale") or ["en"])[0]
    name = " ".join(p for p in (user.get("firstName"), user.get("lastName")) if p) or user.get("username", "")
    return Contact(
        subject=user["id"],
        email=user.get("email") if user.get("enabled", True) else None,
        locale=locale if locale in LOCALES else "en",
        name=name,
    )


class Directory:
    def __init__(self, auth: AuthSettings, cache_seconds: float = 300) -> None:
        if not auth.client_id or auth.client_secret is None:
            raise ValueError("the directory needs auth.client_id and auth.client_secret (the service account)")
        self._connection = KeycloakOpenIDConnection(
            server_url=auth.keycloak_url + "/",
            realm_name=auth.realm,
            client_id=auth.client_id,
            client_secret_key=auth.client_secret.get_secret_value(),
            verify=True,
        )
        self._admin = KeycloakAdmin(connection=self._connection)
        self._ttl = cache_seconds
        self._cache: dict[tuple[str, str], tuple[float, object]] = {}
        self._lock = threading.Lock()

    def _cached(self, key: tuple[str, str], load):
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None and now - hit[0] < self._ttl:
                return hit[1]
        value = load()
        with self._lock:
            self._cache[key] = (now, value)
        return value

    def user(self, subject: str) -> Contact | None:
        def load() -> Contact | None:
            try:
                return _contact(self._admin.get_user(subject))
            except Exception as exc:  # an unknown user is a 404 from Keycloak
                if "404" in str(exc):
                    return None
                raise

        return self._cached(("user", subject), load)

    def role_members(self, role: str) -> list[Contact]:
        def load() -> list[Contact]:
            try:
                members = self._admin.get_realm_role_members(role, query={"briefRepresentation": False})
            except Exception as exc:
                if "404" in str(exc):  # no such role in the realm
                    return []
                raise
            return [_contact(u) for u in members if u.get("enabled", True)]

        return self._cached(("role", role), load)

"""Calls to the four service APIs with the signed-in user's own token: the portal never holds more rights
than the person using it, and every API decides for itself what that person may see."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from rsc_common.telemetry.propagation import current_trace_carrier
from rsc_portal.security.session import PortalSession
from rsc_portal.settings import PortalSettings

SERVICES = ("intake", "appraisal", "monitoring", "notifications")


@dataclass
class ApiError(Exception):
    """A problem+json answer from an API (or the API could not be reached: status 503)."""

    status: int
    title: str
    detail: str = ""
    errors: list[dict[str, Any]] = field(default_factory=list)
    body: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.status} {self.title}: {self.detail}"

    def field_errors(self) -> dict[str, str]:
        """Validation errors keyed by JSON pointer (`/partners/0/country`), for messages beside fields."""
        out: dict[str, str] = {}
        for err in self.errors:
            pointer = err.get("pointer") or err.get("field") or ""
            message = err.get("message") or err.get("detail") or ""
            if pointer and message:
                out.setdefault(str(pointer), str(message))
        return out

    @classmethod
    def from_response(cls, response: httpx.Response) -> ApiError:
        try:
            body = response.json()
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        errors = body.get("errors") if isinstance(body.get("errors"), list) else []
        return cls(
            status=response.status_code,
            title=str(body.get("title") or response.reason_phrase),
            detail=str(body.get("detail") or ""),
            errors=[e for e in errors if isinstance(e, dict)],
            body=body,
        )


class Backend:
    def __init__(self, settings: PortalSettings, http: httpx.AsyncClient) -> None:
        self._http = http
        self._base = {name: getattr(settings, f"{name}_url") for name in SERVICES}

    async def request(
        self,
        session: PortalSession,
        service: str,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | list[tuple[str, Any]] | None = None,
        files: Any = None,
        data: Any = None,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
        stream: bool = False,
    ) -> httpx.Response:
        """The raw response of a successful call; any 4xx/5xx raises ApiError. `stream`: the body is not read
        (file downloads passed through as they arrive); the caller closes the response."""
        all_headers = {"Authorization": f"Bearer {session.access_token}", **current_trace_carrier(), **(headers or {})}
        if isinstance(params, dict):
            params = {k: v for k, v in params.items() if v not in (None, "")}
        outgoing = self._http.build_request(
            method, self._base[service] + path, json=json, params=params, files=files, data=data, content=content,
            headers=all_headers,
        )  # fmt: skip
        try:
            response = await self._http.send(outgoing, stream=stream)
        except httpx.HTTPError as exc:
            raise ApiError(
                503, "Service unavailable", f"{service} could not be reached ({type(exc).__name__})"
            ) from exc
        if response.status_code >= 400:
            if stream:
                try:
                    await response.aread()
                finally:
                    await response.aclose()
            raise ApiError.from_response(response)
        return response

    async def get(self, session: PortalSession, service: str, path: str, **params: Any) -> Any:
        return (await self.request(session, service, "GET", path, params=params)).json()

    async def post(self, session: PortalSession, service: str, path: str, body: Any = None, **kw: Any) -> Any:
        response = await self.request(session, service, "POST", path, json=body, **kw)
        return response.json() if response.content else None

    async def put(self, session: PortalSession, service: str, path: str, body: Any = None, **kw: Any) -> Any:
        response = await self.request(session, service, "PUT", path, json=body, **kw)
        return response.json() if response.content else None

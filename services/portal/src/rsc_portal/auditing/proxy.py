"""Passing an API's file download through to the browser as it arrives (audit exports can be large),
with the API's Content-Type and a safe attachment filename.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import Request
from starlette.background import BackgroundTask
from starlette.responses import StreamingResponse

from rsc_portal.backend import ApiError
from rsc_portal.security.session import PortalSession

_FILENAME = re.compile(r'filename="?([^";]+)"?')
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_filename(disposition: str | None, fallback: str) -> str:
    """The API's filename (reduced to letters, digits, `._-`), else `fallback`."""
    match = _FILENAME.search(disposition or "")
    name = _UNSAFE.sub("_", match.group(1)).strip("._") if match else ""
    return name or fallback


async def proxy_download(
    request: Request,
    session: PortalSession,
    service: str,
    path: str,
    params: dict[str, Any] | list[tuple[str, Any]],
    *,
    fallback_name: str,
    expected_types: tuple[str, ...] = (),
) -> StreamingResponse:
    """Stream `GET path` of `service` to the browser as an attachment; API errors raise ApiError (error page)."""
    upstream = await request.app.state.backend.request(session, service, "GET", path, params=params, stream=True)
    media_type = upstream.headers.get("content-type", "application/octet-stream")
    if expected_types and media_type.split(";")[0].strip() not in expected_types:
        await upstream.aclose()
        raise ApiError(502, "Bad Gateway", f"{service} answered with an unexpected file type ({media_type})")
    name = safe_filename(upstream.headers.get("content-disposition"), fallback_name)
    out_headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return StreamingResponse(
        upstream.aiter_bytes(), media_type=media_type, headers=out_headers, background=BackgroundTask(upstream.aclose)
    )

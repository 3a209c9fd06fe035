"""RFC 9457 problem details for every error response.

Bad input gets a 4xx problem naming what is wrong (for validation errors: each field and why);
an unexpected failure gets a 500 problem without internals, and is logged with the request id.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DataError, StatementError
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://rsc.example.org/problems/"


class Problem(BaseModel):
    """Schema of an error response (RFC 9457), shown in the OpenAPI documents."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    request_id: str | None = None
    errors: list[dict[str, Any]] | None = None


class ProblemError(Exception):
    """Raise from domain code for an error with its own problem type (e.g. `illegal-transition`)."""

    def __init__(self, status: int, slug: str, detail: str, *, title: str | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.slug = slug
        self.detail = detail
        self.title = title or HTTPStatus(status).phrase
        self.extra = extra


def problem_response(
    request: Request,
    status: int,
    *,
    detail: str | None = None,
    title: str | None = None,
    type_: str = "about:blank",
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": type_,
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "instance": request.url.path,
        "request_id": getattr(request.state, "request_id", None),
    }
    if detail is not None:
        body["detail"] = detail
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _http_exception(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    detail = exc.detail if isinstance(exc.detail, str) else None
    extra = {} if isinstance(exc.detail, str) or exc.detail is None else {"errors": exc.detail}
    return problem_response(request, exc.status_code, detail=detail, headers=getattr(exc, "headers", None), **extra)


def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = [
        {
            "pointer": _json_pointer(err.get("loc", ())),
            "location": list(err.get("loc", ())),
            "message": err.get("msg"),
            "type": err.get("type"),
        }
        for err in exc.errors()
    ]
    summary = "; ".join(f"{'.'.join(map(str, e['location']))}: {e['message']}" for e in errors[:5])
    return problem_response(
        request, 422, title="Invalid request", detail=summary, type_=PROBLEM_BASE + "validation", errors=errors
    )


def _json_pointer(location: tuple | list) -> str:
    """RFC 6901 pointer into the request body (`/partners/0/country`); other locations keep their prefix."""
    parts = list(location)
    if parts and parts[0] == "body":
        parts = parts[1:]
    return "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def _problem_error(request: Request, exc: ProblemError) -> JSONResponse:
    return problem_response(
        request, exc.status, detail=exc.detail, title=exc.title, type_=PROBLEM_BASE + exc.slug, **exc.extra
    )


def _database_refused_value(request: Request, exc: StatementError) -> JSONResponse:
    # Safety net: PostgreSQL refused a value that validation let through (a NUL character, a number
    # out of a column's range). That is bad input, not a server fault: 422, never 500.
    if not isinstance(exc, DataError) and not isinstance(getattr(exc, "orig", None), psycopg.DataError):
        return _unexpected(request, exc)
    log.warning("database refused a request value on %s %s: %s", request.method, request.url.path, exc.orig)
    return problem_response(
        request,
        422,
        title="Invalid request",
        type_=PROBLEM_BASE + "value-not-storable",
        detail="a value in the request cannot be stored (e.g. a NUL character or a number out of range)",
    )


def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(request, 500, detail="An unexpected error occurred; it has been logged.")


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(StarletteHTTPException, _http_exception)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(ProblemError, _problem_error)
    app.add_exception_handler(StatementError, _database_refused_value)
    app.add_exception_handler(Exception, _unexpected)


# For `responses=` in route declarations, so OpenAPI documents the error shape.
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": Problem, "content": {PROBLEM_JSON: {}}} for code in (400, 401, 403, 404, 409, 422)
}

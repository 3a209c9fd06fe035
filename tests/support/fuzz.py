"""What the schemathesis suites share: the checks (no 5xx; every error an RFC 9457 problem), the
Hypothesis settings, and the app wrapped as a server runs it."""

from __future__ import annotations

import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rsc_common.http import PROBLEM_JSON


def errors_are_problems(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case
) -> None:
    """Every 4xx/5xx answer is an RFC 9457 problem document."""
    if response.status_code < 400:
        return
    content_type = response.headers.get("content-type", [""])[0]
    assert content_type.startswith(PROBLEM_JSON), f"{response.status_code} answered as {content_type!r}"
    problem = response.json()
    assert problem.get("status") == response.status_code, problem
    assert isinstance(problem.get("title"), str), problem


CHECKS = [not_a_server_error, errors_are_problems]


def hypothesis_settings(max_examples: int) -> settings:
    return settings(
        max_examples=max_examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],  # no shrinking: report the failing request as sent
    )


def as_served(app: FastAPI) -> ASGIApp:
    """The app as a server runs it: Starlette re-raises an unexpected exception after it has sent its
    500 (for the server's log); the server ends that request, and the client sees the 500."""

    async def server(scope: Scope, receive: Receive, send: Send) -> None:
        answered = False

        async def tracking_send(message: Message) -> None:
            nonlocal answered
            answered = answered or message["type"] == "http.response.start"
            await send(message)

        try:
            await app(scope, receive, tracking_send)
        except Exception:
            if not answered:
                raise

    return server

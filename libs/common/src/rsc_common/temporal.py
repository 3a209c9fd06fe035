"""Temporal client with tracing and the Pydantic data converter (workflow inputs are models)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from opentelemetry import context as otel_context
from pydantic import TypeAdapter
from temporalio.client import Client, WorkflowHandle
from temporalio.contrib.opentelemetry import TracingInterceptor
from temporalio.contrib.pydantic import PydanticJSONPlainPayloadConverter, PydanticPayloadConverter
from temporalio.converter import DataConverter
from temporalio.service import RPCError, RPCStatusCode
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from rsc_common.events.consumer import TransientError
from rsc_common.settings import TemporalSettings

T = TypeVar("T")

# Server answers that pass by themselves (a server restarting, overloaded, or no worker polling yet).
TRANSIENT_RPC = frozenset(
    {RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.UNAVAILABLE, RPCStatusCode.RESOURCE_EXHAUSTED}
)


def as_transient(exc: BaseException) -> BaseException:
    """The Kafka consumers' `TransientError` for a Temporal failure that will pass (their handler is then
    retried for as long as it takes instead of being dead-lettered after a few attempts), else `exc`."""
    if isinstance(exc, TimeoutError) or (isinstance(exc, RPCError) and exc.status in TRANSIENT_RPC):
        return TransientError(f"Temporal unavailable: {exc}")
    return exc


@functools.lru_cache(maxsize=1024)
def _shared_type_adapter(type_hint: Any) -> TypeAdapter[Any]:
    return TypeAdapter(type_hint)


class _SharedCachePydanticJSON(PydanticJSONPlainPayloadConverter):
    """Pydantic's JSON converter with one TypeAdapter cache per process.

    The worker builds a new payload converter for every workflow instance (`payload_converter_factory`), so
    the stock per-instance cache was empty for each workflow and every input and activity result type got a
    new TypeAdapter (pydantic schema generation): about 5% of the appraisal worker's CPU per proposal."""

    def __init__(self) -> None:
        super().__init__()
        self._type_adapter = _shared_type_adapter


class RscPayloadConverter(PydanticPayloadConverter):
    """`PydanticPayloadConverter` (nullary, as `DataConverter` requires) with the shared adapter cache."""

    def __init__(self) -> None:
        super().__init__()
        shared = _SharedCachePydanticJSON()
        self._set_converters(
            *(shared if isinstance(c, PydanticJSONPlainPayloadConverter) else c for c in self.converters.values())
        )


data_converter = DataConverter(payload_converter_class=RscPayloadConverter)


async def connect(settings: TemporalSettings) -> Client:
    # Workers created from this client inherit the interceptor, so activity spans join the
    # trace of whoever started the workflow (an HTTP request, a Kafka event).
    return await Client.connect(
        settings.address,
        namespace=settings.namespace,
        interceptors=[TracingInterceptor()],
        data_converter=data_converter,
    )


def workflow_runner() -> SandboxedWorkflowRunner:
    """The sandbox every worker (and every test worker) uses. By default each workflow run re-imports its
    modules inside the sandbox, which was the largest CPU cost per proposal in the appraisal worker;
    passing all modules through keeps the sandbox's refusal of non-deterministic calls (time, random,
    I/O) but imports each module once per process. Workflow modules therefore keep no mutable module state."""
    return SandboxedWorkflowRunner(restrictions=SandboxRestrictions.default.with_passthrough_all_modules())


class TemporalBridge:
    """Lets synchronous code (Kafka consumer handlers, sync routes) call the async Temporal client.

    Owns an event loop in a daemon thread with one connected client. The caller's OpenTelemetry
    context is carried into the loop, so a workflow started here joins the caller's trace.
    `shares_worker`: the client is the one a Temporal worker of this process polls with (`attached`),
    so workflow starts may ask for eager start.
    """

    shares_worker = False

    def __init__(self, settings: TemporalSettings) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread: threading.Thread | None = threading.Thread(
            target=self._loop.run_forever, name="temporal-bridge", daemon=True
        )
        self._thread.start()
        self.client: Client = self._submit(connect(settings), otel_context.get_current())

    @classmethod
    def attached(cls, loop: asyncio.AbstractEventLoop, client: Client) -> TemporalBridge:
        """A bridge onto a loop that runs already with its connected client (a worker process's Temporal
        worker, `rsc_common.runtime.worker_bridge`): a workflow started through it with
        `request_eager_start` gets its first task handed to that worker in the start's answer."""
        bridge = cls.__new__(cls)
        bridge._loop, bridge._thread, bridge.client, bridge.shares_worker = loop, None, client, True
        return bridge

    def _submit(self, coro: Coroutine[Any, Any, T], ctx: otel_context.Context, timeout: float = 60) -> T:
        if self._loop.is_closed():  # an attached bridge whose worker is shutting down: try again later
            coro.close()
            raise TransientError("the Temporal client's event loop is closed (the worker is stopping)")

        async def with_context() -> T:
            token = otel_context.attach(ctx)
            try:
                return await coro
            finally:
                otel_context.detach(token)

        try:
            return asyncio.run_coroutine_threadsafe(with_context(), self._loop).result(timeout)
        except concurrent.futures.CancelledError:  # the loop's owner cancelled it on the way out
            raise TransientError("the Temporal call was cancelled (the worker is stopping)") from None

    def call(self, fn: Callable[[Client], Coroutine[Any, Any, T]], timeout: float = 60) -> T:
        try:
            return self._submit(fn(self.client), otel_context.get_current(), timeout)
        except Exception as exc:
            translated = as_transient(exc)
            if translated is exc:
                raise
            raise translated from exc

    def close(self) -> None:
        if self._thread is None:  # attached: the loop is its owner's
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)


async def signal_if_running(handle: WorkflowHandle, signal, *args) -> bool:
    """Signal the workflow; False when it has ended or never existed (nothing left to steer)."""
    try:
        await handle.signal(signal, *args)
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            return False
        raise
    return True

"""The worker process of a service: outbox relay, Kafka consumers and Temporal worker together.

Relay and consumers are blocking kafka-python loops, so each runs in its own thread; the Temporal
worker runs on the asyncio loop. SIGTERM/SIGINT stop everything gracefully (Kubernetes sends
SIGTERM): consumers finish the record in hand, the Temporal worker drains its tasks.
Every part is stateless; run as many replicas as needed.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Engine
from temporalio.client import Client
from temporalio.worker import Worker

from rsc_common.db import ensure_schema_at_head
from rsc_common.events import BatchHandler, ConsumerConfig, EventConsumer, Handler, OutboxRelay, make_producer
from rsc_common.events.consumer import TransientError
from rsc_common.settings import ServiceSettings
from rsc_common.temporal import TemporalBridge, connect

log = logging.getLogger(__name__)

# The running worker's loop and Temporal client, once its Temporal worker polls (one worker per process).
_worker_client: concurrent.futures.Future[tuple[asyncio.AbstractEventLoop, Client]] = concurrent.futures.Future()


def worker_bridge(timeout: float = 60) -> TemporalBridge:
    """A `TemporalBridge` on this worker process's own Temporal client and loop, for its Kafka handlers.

    Sharing the worker's connection is what eager workflow start needs: the server then hands a new
    workflow's first task to this process in the answer to the start, instead of queueing it for the
    next poll (one matching round trip and one persistence write less per workflow on the server).
    Waits for the worker to poll; a worker that does not come up in time is a transient failure (the
    Kafka handler is retried)."""
    try:
        loop, client = _worker_client.result(timeout)  # TransientError if the worker stopped before polling
    except concurrent.futures.TimeoutError:
        raise TransientError(f"the Temporal worker of this process is not polling after {timeout} s") from None
    return TemporalBridge.attached(loop, client)


@dataclass
class ConsumerSpec:
    group_id: str
    topics: list[str]
    handlers: dict[str, Handler]
    # Consumers of the group in this process (threads): a handler that waits on I/O (the database, a
    # Temporal start) keeps only its own partitions waiting. Order stays per partition, i.e. per subject.
    concurrency: int = 1
    # Event types handled a run at a time (idempotent handlers only, see `BatchHandler`).
    batch_handlers: dict[str, BatchHandler] = field(default_factory=dict)


@dataclass
class WorkerSpec:
    relay: bool = True
    consumers: list[ConsumerSpec] = field(default_factory=list)
    # Builds the Temporal worker from a connected client; None when the service has no workflows.
    temporal_worker: Callable[[Client], Worker] | None = None
    # Other loops of the service (e.g. delivering e-mail and webhooks): each runs in a thread of its own
    # until the stop event is set, supervised like the relay and the consumers.
    loops: dict[str, Callable[[threading.Event], None]] = field(default_factory=dict)


def run_worker(settings: ServiceSettings, engine: Engine, spec: WorkerSpec, migrations_dir) -> None:
    global _worker_client
    ensure_schema_at_head(engine, migrations_dir)
    _worker_client = concurrent.futures.Future()
    stop = threading.Event()
    threads: list[threading.Thread] = []
    kafka = settings.kafka
    if spec.relay:
        relay = OutboxRelay(
            engine,
            make_producer(kafka.bootstrap_servers, f"{settings.service_name}-relay", **kafka.client_options()),
            batch_size=settings.outbox.batch_size,
            poll_interval=settings.outbox.poll_interval_seconds,
            topic_prefix=kafka.topic_prefix,
        )
        threads.append(threading.Thread(target=relay.run, args=(stop,), name="outbox-relay", daemon=True))
    if spec.consumers:
        dlt_producer = make_producer(kafka.bootstrap_servers, f"{settings.service_name}-dlt", **kafka.client_options())
        for c in spec.consumers:
            for n in range(max(1, c.concurrency)):
                consumer = EventConsumer(
                    ConsumerConfig(
                        group_id=c.group_id,
                        topics=[kafka.topic_prefix + t for t in c.topics],
                        bootstrap_servers=kafka.bootstrap_servers,
                        client_id=f"{settings.service_name}-{c.group_id}-{n}",
                        extra=kafka.client_options(),
                    ),
                    engine,
                    c.handlers,
                    dlt_producer,
                    c.batch_handlers,
                )
                name = f"{c.group_id}-{n}"
                threads.append(threading.Thread(target=consumer.run, args=(stop,), name=name, daemon=True))
    for name, loop in spec.loops.items():
        threads.append(threading.Thread(target=loop, args=(stop,), name=name, daemon=True))
    for thread in threads:
        thread.start()
    try:
        asyncio.run(_run_temporal(settings, spec, stop, threads))
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        log.info("worker stopped")


def _join(threads: list[threading.Thread], timeout: float) -> None:
    """Join the threads within `timeout` seconds in all (a stuck one is left to the process exit)."""
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))


class WorkerThreadDied(RuntimeError):
    pass


async def _supervise(threads: list[threading.Thread], stop: threading.Event, stopped: asyncio.Event) -> None:
    # A relay or consumer loop that died (e.g. Kafka unreachable at start) must take the process
    # down with a non-zero exit, so that the orchestrator restarts it instead of leaving a
    # worker that looks alive but does nothing.
    while not stopped.is_set():
        dead = [t.name for t in threads if not t.is_alive()]
        if dead and not stop.is_set():
            stop.set()
            stopped.set()
            raise WorkerThreadDied(f"worker loop(s) {dead} stopped unexpectedly; exiting so the worker is restarted")
        await asyncio.sleep(2)


async def _run_temporal(
    settings: ServiceSettings, spec: WorkerSpec, stop: threading.Event, threads: list[threading.Thread]
) -> None:
    loop = asyncio.get_running_loop()
    stopped = asyncio.Event()

    def request_stop() -> None:
        stop.set()
        stopped.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, request_stop)
    supervisor = asyncio.create_task(_supervise(threads, stop, stopped))
    if spec.temporal_worker is None:
        await stopped.wait()
    else:
        try:
            client = await connect(settings.temporal)
            worker = spec.temporal_worker(client)
            async with worker:
                log.info("temporal worker polling %s", worker.task_queue)
                _worker_client.set_result((loop, client))
                await stopped.wait()
                # The consumers may be starting workflows on this loop through `worker_bridge`: let them
                # finish the record in hand while the client and the loop still run.
                stop.set()
                await asyncio.to_thread(_join, threads, 30)
        except BaseException:
            supervisor.cancel()
            raise
        finally:
            if not _worker_client.done():  # never polled (e.g. Temporal unreachable): waiting handlers give up
                _worker_client.set_exception(TransientError("the worker is stopping"))
    if supervisor.done():
        supervisor.result()  # re-raises WorkerThreadDied
    supervisor.cancel()

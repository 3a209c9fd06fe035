"""The worker supervisor: a dead relay/consumer loop takes the process down (no silent zombie)."""

from __future__ import annotations

import asyncio
import threading

import pytest

from rsc_common.runtime import WorkerThreadDied, _supervise


async def test_a_dead_worker_loop_stops_the_worker() -> None:
    dead = threading.Thread(target=lambda: None, name="consumer-x")
    dead.start()
    dead.join()
    stop, stopped = threading.Event(), asyncio.Event()
    with pytest.raises(WorkerThreadDied, match="consumer-x"):
        await asyncio.wait_for(_supervise([dead], stop, stopped), 10)
    assert stop.is_set()
    assert stopped.is_set()


async def test_a_requested_stop_is_not_an_error() -> None:
    stop, stopped = threading.Event(), asyncio.Event()
    stop.set()
    stopped.set()
    await asyncio.wait_for(_supervise([], stop, stopped), 5)

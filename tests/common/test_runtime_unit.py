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


def test_kafka_clients_authenticate_with_the_configured_sasl_user() -> None:
    """Strimzi's SCRAM users (deploy/k8s/platform): the protocol, mechanism and credentials reach every client."""
    import pytest
    from pydantic import ValidationError

    from rsc_common.settings import KafkaSettings

    assert KafkaSettings().client_options() == {"security_protocol": "PLAINTEXT"}
    scram = KafkaSettings(
        security_protocol="SASL_SSL", sasl_mechanism="SCRAM-SHA-512", sasl_username="rsc-intake",
        sasl_password="s3cret", ssl_cafile="/etc/kafka-ca/ca.crt",
    )  # fmt: skip
    assert scram.client_options() == {
        "security_protocol": "SASL_SSL", "sasl_mechanism": "SCRAM-SHA-512", "sasl_plain_username": "rsc-intake",
        "sasl_plain_password": "s3cret", "ssl_cafile": "/etc/kafka-ca/ca.crt",
    }  # fmt: skip
    assert "s3cret" not in repr(scram)
    with pytest.raises(ValidationError):
        KafkaSettings(security_protocol="SASL_PLAINTEXT", sasl_mechanism="SCRAM-SHA-512")


def test_handlers_wait_for_the_workers_temporal_client_as_a_transient_failure(monkeypatch) -> None:
    import concurrent.futures

    from rsc_common import runtime
    from rsc_common.events.consumer import TransientError

    pending: concurrent.futures.Future = concurrent.futures.Future()
    monkeypatch.setattr(runtime, "_worker_client", pending)
    with pytest.raises(TransientError, match="not polling"):
        runtime.worker_bridge(timeout=0.01)
    loop, client = asyncio.new_event_loop(), object()
    pending.set_result((loop, client))
    bridge = runtime.worker_bridge(timeout=0.01)
    assert bridge.client is client
    assert bridge.shares_worker  # so the appraisal handlers ask for eager starts
    bridge.close()  # attached: leaves the worker's loop alone
    assert not loop.is_closed()
    loop.close()


def test_a_bridge_on_a_closed_worker_loop_fails_transiently() -> None:
    from rsc_common.events.consumer import TransientError
    from rsc_common.temporal import TemporalBridge

    loop = asyncio.new_event_loop()
    bridge = TemporalBridge.attached(loop, object())  # type: ignore[arg-type]
    loop.close()

    async def never(_client) -> None:
        raise AssertionError("must not run")

    with pytest.raises(TransientError, match="loop is closed"):
        bridge.call(never)


async def test_handlers_waiting_for_a_worker_that_never_polled_give_up_when_it_stops(monkeypatch) -> None:
    import concurrent.futures
    import types

    from rsc_common import runtime
    from rsc_common.events.consumer import TransientError

    async def unreachable(_settings) -> None:
        raise ConnectionError("Temporal unreachable")

    monkeypatch.setattr(runtime, "_worker_client", concurrent.futures.Future())
    monkeypatch.setattr(runtime, "connect", unreachable)
    spec = runtime.WorkerSpec(relay=False, temporal_worker=lambda client: None)  # type: ignore[arg-type,return-value]
    settings = types.SimpleNamespace(temporal=None)
    with pytest.raises(ConnectionError):
        await runtime._run_temporal(settings, spec, threading.Event(), [])  # type: ignore[arg-type]
    with pytest.raises(TransientError, match="stopping"):
        runtime.worker_bridge(timeout=5)

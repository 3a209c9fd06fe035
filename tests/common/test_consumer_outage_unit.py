"""The consumer loop waits out a broker outage instead of ending the worker (unit: a scripted client), and a
Temporal outage reaches its handlers as a transient failure (retried, never dead-lettered)."""

from __future__ import annotations

import threading

import pytest
from kafka.errors import CommitFailedError, IllegalStateError, KafkaConnectionError
from temporalio.service import RPCError, RPCStatusCode

from rsc_common.events.consumer import ConsumerConfig, EventConsumer, is_broker_outage, is_transient
from rsc_common.temporal import as_transient


class ScriptedClient:
    """Raises the scripted errors from poll, then asks the loop to stop."""

    def __init__(self, errors: list[Exception], stop: threading.Event) -> None:
        self.errors = errors
        self.stop = stop
        self.polls = 0
        self.closed = False

    def poll(self, timeout_ms: int) -> dict:
        self.polls += 1
        if self.errors:
            raise self.errors.pop(0)
        self.stop.set()
        return {}

    def close(self, autocommit: bool) -> None:
        self.closed = True


def consumer_with(client: ScriptedClient) -> EventConsumer:
    config = ConsumerConfig(group_id="g", topics=["t"], bootstrap_servers="unused", backoff_initial=0.001)
    consumer = EventConsumer(config, engine=None, handlers={}, dlt_producer=None)  # type: ignore[arg-type]
    consumer._make_consumer = lambda: client  # type: ignore[method-assign]
    return consumer


def test_retriable_kafka_errors_are_waited_out() -> None:
    stop = threading.Event()
    client = ScriptedClient([KafkaConnectionError("111 ECONNREFUSED"), CommitFailedError("rebalanced")], stop)
    consumer_with(client).run(stop)
    assert client.polls == 3
    assert client.closed


def test_a_non_retriable_error_ends_the_loop_so_the_worker_restarts() -> None:
    stop = threading.Event()
    client = ScriptedClient([IllegalStateError("bug")], stop)
    with pytest.raises(IllegalStateError):
        consumer_with(client).run(stop)
    assert client.closed


@pytest.mark.parametrize(
    ("error", "outage"),
    [
        (KafkaConnectionError("down"), True),
        (CommitFailedError("rebalanced"), True),
        (IllegalStateError("bug"), False),
        (ValueError("not Kafka"), False),
    ],
)
def test_outage_classification(error: Exception, outage: bool) -> None:
    assert is_broker_outage(error) is outage


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (RPCError("server restarting", RPCStatusCode.UNAVAILABLE, b""), True),
        (RPCError("slow", RPCStatusCode.DEADLINE_EXCEEDED, b""), True),
        (TimeoutError("no answer in 60 s"), True),
        (RPCError("bad request", RPCStatusCode.INVALID_ARGUMENT, b""), False),
        (ValueError("a bug"), False),
    ],
)
def test_temporal_outages_reach_the_consumer_as_transient(error: Exception, transient: bool) -> None:
    translated = as_transient(error)
    assert is_transient(translated) is transient
    assert (translated is error) is not transient

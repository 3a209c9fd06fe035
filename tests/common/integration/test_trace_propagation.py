"""One trace from an HTTP request through the outbox and Kafka into a Temporal activity."""

from __future__ import annotations

import asyncio
import uuid

from fastapi import FastAPI
from fastapi.testclient import TestClient
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from sqlmodel import Session
from temporalio.worker import Worker

from rsc_common.events import OutboxRelay, add_event
from rsc_common.events.producer import make_producer
from rsc_common.settings import TemporalSettings
from rsc_common.telemetry import current_trace_id
from rsc_common.temporal import TemporalBridge, connect
from tests.common.integration.events_support import (
    messaging_database,
    ping_type,
    received_rows,
    record_received,
    running_consumer,
)
from tests.common.integration.workflows_support import SEEN_IN_ACTIVITY, GreetWorkflow, greet
from tests.support.kafka import fresh_topic
from tests.support.servers import KAFKA_BOOTSTRAP, TEMPORAL_ADDRESS


async def test_trace_id_of_http_request_reaches_kafka_consumer_and_temporal_activity() -> None:
    topic = fresh_topic()
    ping = ping_type(topic)
    task_queue = f"test-{uuid.uuid4()}"
    name = f"traced-{uuid.uuid4().hex[:6]}"
    settings = TemporalSettings(address=TEMPORAL_ADDRESS)

    with messaging_database() as engine:
        app = FastAPI()

        @app.post("/things")
        def create_thing() -> dict:
            with Session(engine) as session:
                add_event(session, ping(seq=1), subject="thing", source="test")
                session.commit()
            return {"trace_id": current_trace_id()}

        FastAPIInstrumentor.instrument_app(app)
        http_trace_id = TestClient(app).post("/things").json()["trace_id"]
        assert http_trace_id is not None

        OutboxRelay(engine, make_producer(KAFKA_BOOTSTRAP, "relay")).publish_batch()

        bridge = TemporalBridge(settings)

        def handler(session, envelope, data):
            record_received(session, envelope, data, current_trace_id())
            bridge.call(
                lambda client: client.start_workflow(
                    GreetWorkflow.run, name, id=f"greet-{uuid.uuid4()}", task_queue=task_queue
                )
            )

        worker_client = await connect(settings)
        async with Worker(worker_client, task_queue=task_queue, workflows=[GreetWorkflow], activities=[greet]):
            with running_consumer(engine, topic, {ping.event_type: handler}):
                for _ in range(300):
                    if name in SEEN_IN_ACTIVITY:
                        break
                    await asyncio.sleep(0.1)
        bridge.close()

        [(_, _, consumer_trace_id)] = received_rows(engine)
        assert consumer_trace_id == http_trace_id
        assert SEEN_IN_ACTIVITY[name] == http_trace_id

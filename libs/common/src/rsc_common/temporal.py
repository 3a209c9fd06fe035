"""Temporal client with tracing and the Pydantic data converter (workflow inputs are models)."""

from __future__ import annotations

from temporalio.client import Client
from temporalio.contrib.opentelemetry import TracingInterceptor
from temporalio.contrib.pydantic import pydantic_data_converter

from rsc_common.settings import TemporalSettings


async def connect(settings: TemporalSettings) -> Client:
    # Workers created from this client inherit the interceptor, so activity spans join the
    # trace of whoever started the workflow (an HTTP request, a Kafka event).
    return await Client.connect(
        settings.address,
        namespace=settings.namespace,
        interceptors=[TracingInterceptor()],
        data_converter=pydantic_data_converter,
    )

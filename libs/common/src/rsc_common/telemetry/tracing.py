"""Tracer provider set-up.

An SDK provider is always installed, even with the exporter `none`: trace and span ids must
exist so that logs, events and workflows can be correlated; `none` only means nothing is sent.
"""

from __future__ import annotations

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter

from rsc_common.settings import TelemetryExporter, TelemetrySettings

_provider: TracerProvider | None = None


def configure_tracing(
    service_name: str, settings: TelemetrySettings, extra_processors: list[SpanProcessor] | None = None
) -> TracerProvider:
    """Install the global provider once per process (OpenTelemetry allows only one)."""
    global _provider
    if _provider is None:
        _provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
        if settings.exporter is TelemetryExporter.console:
            _provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
        elif settings.exporter is TelemetryExporter.otlp:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            _provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=settings.otlp_endpoint)))
        trace.set_tracer_provider(_provider)
    for processor in extra_processors or []:
        _provider.add_span_processor(processor)
    return _provider


def tracer(name: str = "rsc") -> trace.Tracer:
    return trace.get_tracer(name)

"""An RPC's server span with tracing off: the caller's trace id is still carried, and a call
that sent no trace context costs no span work (nothing attached, nothing to end)."""

from __future__ import annotations

import contextvars

from opentelemetry import context as otel_context

from availability_service.telemetry.tracing import ServerSpan, use_tracer_provider

METHOD = "/tradedesk.availability.v1.AvailabilityService/GetAvailability"
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"


def _in_fresh_context(metadata: tuple[tuple[str, str], ...]) -> tuple[str | None, bool]:
    def run() -> tuple[str | None, bool]:
        span = ServerSpan(METHOD, metadata)
        attached = bool(otel_context.get_current())
        span.finish("OK", 0)
        return span.trace_id, attached

    return contextvars.Context().run(run)


def test_with_tracing_off_the_callers_trace_id_is_still_carried() -> None:
    use_tracer_provider(None)
    assert _in_fresh_context((("traceparent", TRACEPARENT),)) == (TRACE_ID, True)


def test_with_tracing_off_a_call_without_trace_context_attaches_nothing() -> None:
    use_tracer_provider(None)
    assert _in_fresh_context((("user-agent", "h2load"),)) == (None, False)

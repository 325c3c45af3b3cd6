"""OpenTelemetry tracing: a server span per RPC, database statements as its children.

Configured by the standard OTEL_* environment variables and off by default: nothing is
exported unless OTEL_TRACES_EXPORTER names an exporter (otlp, console), and OTEL_SDK_DISABLED
turns it off whatever else is set. The exporter, its endpoint (OTEL_EXPORTER_OTLP_ENDPOINT),
sampling (OTEL_TRACES_SAMPLER) and the service name (OTEL_SERVICE_NAME) are the SDK's own
settings. Trace context comes from the client's W3C `traceparent` metadata (OTEL_PROPAGATORS),
so with tracing off the RPC log line still carries the caller's trace id.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from contextvars import Token
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.trace import Span, SpanKind, Status, StatusCode
from sqlalchemy import Engine, event

from availability_service.auth.principal import Principal

INSTRUMENTATION = "availability_service"
# Per the OpenTelemetry gRPC conventions, a server span is an error only for these codes: the
# others (NOT_FOUND, INVALID_ARGUMENT, ...) are the client's outcome, not the server's fault.
_SERVER_ERRORS = frozenset(
    {"UNKNOWN", "DEADLINE_EXCEEDED", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS"}
)
_STATEMENT_LIMIT = 2000  # characters of SQL kept on a span (batch inserts can be huge)
# Probes call these every few seconds from every balancer: spans of them would be most of
# the trace volume and say nothing.
_UNTRACED_PREFIXES = ("/grpc.health.v1.Health/",)

# Tests install an SDK provider with an in-memory exporter here; None: the global provider
# (a no-op until configure_tracing installs one).
_provider: trace.TracerProvider | None = None


def use_tracer_provider(provider: trace.TracerProvider | None) -> None:
    global _provider
    _provider = provider


# The global provider's tracer, asked for once: before configure_tracing installs a provider
# it is the API's proxy, which follows the provider installed later (asking the global
# provider on every call read an environment variable each time).
_global_tracer: trace.Tracer | None = None


def _tracer() -> trace.Tracer:
    global _global_tracer
    if _provider is not None:
        return _provider.get_tracer(INSTRUMENTATION)
    if _global_tracer is None:
        _global_tracer = trace.get_tracer(INSTRUMENTATION)
    return _global_tracer


# The headers the global propagators read, by propagator (a composite builds the set anew
# each time it is asked).
_fields: tuple[object, frozenset[str]] | None = None


def _propagated_fields() -> frozenset[str]:
    global _fields
    textmap = propagate.get_global_textmap()
    if _fields is None or _fields[0] is not textmap:
        _fields = (textmap, frozenset(textmap.fields))
    return _fields[1]


def configure_tracing(env: Mapping[str, str] = os.environ) -> bool:
    """Installs the SDK provider and exporters that OTEL_* asks for; False when tracing is off."""
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    names = [
        name.strip().lower()
        for name in env.get("OTEL_TRACES_EXPORTER", "none").split(",")
        if name.strip() and name.strip().lower() != "none"
    ]
    if not names:
        return False
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    service = env.get("OTEL_SERVICE_NAME") or "availability-service"
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    for name in names:
        provider.add_span_processor(BatchSpanProcessor(_exporter(name)))
    trace.set_tracer_provider(provider)
    return True


def _exporter(name: str) -> Any:
    if name == "otlp":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter()  # endpoint, headers, TLS: OTEL_EXPORTER_OTLP_*
    if name == "console":
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter

        return ConsoleSpanExporter()
    raise SystemExit(f"OTEL_TRACES_EXPORTER={name!r} is not supported here: use otlp or console")


class ServerSpan:
    """The span of one RPC, current in the task that runs it (and in its database threads)."""

    def __init__(self, method: str, metadata: Iterable[tuple[str, Any]] | None) -> None:
        fields = _propagated_fields()
        carrier = {
            key: value for key, value in metadata or () if key in fields and isinstance(value, str)
        }
        # No trace context sent (most calls): nothing to extract, the span is a root.
        parent = propagate.extract(carrier) if carrier else Context()
        self._token: Token[Context] | None = None
        if method.startswith(_UNTRACED_PREFIXES):
            self.span: Span = trace.get_current_span(parent)  # the caller's, if any: unrecorded
            return
        full = method.lstrip("/")
        service, _, name = full.partition("/")
        self.span = _tracer().start_span(
            full,
            context=parent,
            kind=SpanKind.SERVER,
            attributes={"rpc.system": "grpc", "rpc.service": service, "rpc.method": name},
        )
        if carrier or self.span.is_recording():
            self._token = otel_context.attach(trace.set_span_in_context(self.span, parent))
        # else tracing is off and no caller's trace came: the current span stays the invalid
        # one it already is, and there is nothing to attach, record or end.

    @property
    def trace_id(self) -> str | None:
        """The trace id in hex: the client's when it sent one, even with tracing off."""
        span_context = self.span.get_span_context()
        return format(span_context.trace_id, "032x") if span_context.is_valid else None

    def finish(self, code: str, code_number: int) -> None:
        if self._token is None:
            return  # an untraced method (not ours to end), or nothing attached
        self.span.set_attribute("rpc.grpc.status_code", code_number)
        if code in _SERVER_ERRORS:
            self.span.set_status(Status(StatusCode.ERROR, code))
        self.span.end()
        otel_context.detach(self._token)


def record_caller(principal: Principal) -> None:
    """Names the authenticated caller on the RPC's span (called by the auth interceptor)."""
    span = trace.get_current_span()
    if span.is_recording():
        span.set_attribute("enduser.id", principal.subject)
        span.set_attribute("enduser.role", ",".join(sorted(r.value for r in principal.roles)))
        if principal.company_id:
            span.set_attribute("tradedesk.company_id", principal.company_id)


def instrument_engine(engine: Engine) -> None:
    """Each statement becomes a child span of the current span (none outside an RPC).

    Event hooks rather than a separate instrumentation package: a few lines, and statements
    run by background loops (watch hub polls, sweeper) make no orphan root spans.
    """
    event.listen(engine, "before_cursor_execute", _before_execute)
    event.listen(engine, "after_cursor_execute", _after_execute)
    event.listen(engine, "handle_error", _on_error)


# A connection runs one statement at a time; its open span waits in the connection's info
# (kept there rather than on the execution context, which not every execution has).
_SPAN_KEY = "availability_statement_span"


def start_statement_span(statement: str) -> Span | None:
    """A child span of the current span for one SQL statement; None outside a recorded span.

    The engine hooks below open it for every statement SQLAlchemy runs; a read that runs on
    the driver's cursor directly (storage.driver_read) opens it by hand, the events not firing.
    """
    if not trace.get_current_span().is_recording():
        return None
    words = statement.split(None, 2)
    # Statements sent with a prefix (SET LOCAL statement_timeout ...; SELECT ...) are named
    # by the statement, not the prefix.
    if len(words) > 1 and words[0].upper() == "SET" and ";" in statement:
        words = statement.split(";", 1)[1].split(None, 1)
    operation = words[0].upper() if words else "SQL"
    return _tracer().start_span(
        operation,
        kind=SpanKind.CLIENT,
        attributes={
            "db.system": "postgresql",
            "db.operation": operation,
            "db.statement": statement[:_STATEMENT_LIMIT],
        },
    )


def end_statement_span(span: Span | None, error: BaseException | None = None) -> None:
    """Ends a statement's span, marked as an error when the statement failed."""
    if span is None:
        return
    if error is not None:
        span.record_exception(error)
        span.set_status(Status(StatusCode.ERROR, type(error).__name__))
    span.end()


def _before_execute(
    conn: Any, _cursor: Any, statement: str, _params: Any, _context: Any, _many: bool
) -> None:
    span = start_statement_span(statement)
    if span is not None:
        conn.info[_SPAN_KEY] = span


def _after_execute(
    conn: Any, _cursor: Any, _statement: str, _params: Any, _context: Any, _many: bool
) -> None:
    end_statement_span(conn.info.pop(_SPAN_KEY, None))


def _on_error(error_context: Any) -> None:
    conn = error_context.connection
    span = None if conn is None else conn.info.pop(_SPAN_KEY, None)
    end_statement_span(span, error_context.original_exception)

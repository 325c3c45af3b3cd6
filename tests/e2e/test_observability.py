"""Observability: RPC spans with database children and the client's trace, JSON library logs,
process metrics, and /metrics summed over `serve --workers` processes."""

from __future__ import annotations

import io
import json
import logging
import shutil
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
import structlog
from grpc_health.v1 import health_pb2, health_pb2_grpc
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from prometheus_client import REGISTRY, CollectorRegistry, multiprocess
from prometheus_client.parser import text_string_to_metric_families

from availability_service.grpc_api import access_log
from availability_service.logs import configure_logging
from availability_service.telemetry import tracing
from tests.support.callers import Caller
from tests.support.lots import cotton_lot
from tests.support.processes import ServerProcess, child_pids, free_port
from tradedesk.availability.v1 import availability_service_pb2 as api

GET = "tradedesk.availability.v1.AvailabilityService/GetAvailability"
CLIENT_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
CLIENT_SPAN = "00f067aa0ba902b7"


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.use_tracer_provider(provider)
    yield exporter
    tracing.use_tracer_provider(None)


@pytest.fixture
def rpc_lines(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The access log's lines, captured by a structlog processor."""
    capture = structlog.testing.LogCapture()
    every_level = structlog.make_filtering_bound_logger(logging.DEBUG)
    logger = structlog.wrap_logger(None, processors=[capture], wrapper_class=every_level)
    monkeypatch.setattr(access_log, "log", logger)
    return capture.entries


def _server_spans(
    exporter: InMemorySpanExporter, name: str, expected: int = 1
) -> list[ReadableSpan]:
    """The finished spans named `name`, once `expected` of them have ended.

    grpc.aio sends an aborted call's status before the handler's finally block ends the span,
    so the client can hold the error a moment before the span is finished.
    """
    give_up = time.monotonic() + 10
    while True:
        found = [s for s in exporter.get_finished_spans() if s.name == name]
        if len(found) >= expected or time.monotonic() > give_up:
            return found
        time.sleep(0.01)


def test_an_rpc_span_joins_the_clients_trace_names_the_caller_and_has_database_children(
    spans: InMemorySpanExporter, rpc_lines: list[dict[str, Any]], seller: Caller
) -> None:
    created = seller.CreateAvailability(api.CreateAvailabilityRequest(availability=cotton_lot()))
    spans.clear()
    traceparent = f"00-{CLIENT_TRACE}-{CLIENT_SPAN}-01"
    seller.stub.GetAvailability(
        api.GetAvailabilityRequest(name=created.availability.name),
        metadata=[*seller.metadata, ("traceparent", traceparent)],
        timeout=10,
    )
    (server,) = _server_spans(spans, GET)
    assert server.kind == SpanKind.SERVER
    assert format(server.context.trace_id, "032x") == CLIENT_TRACE
    assert server.parent is not None and format(server.parent.span_id, "016x") == CLIENT_SPAN
    assert server.attributes is not None
    assert server.attributes["enduser.id"] == seller.subject
    assert server.attributes["enduser.role"] == "SELLER"
    assert server.attributes["rpc.grpc.status_code"] == 0
    database = [
        s
        for s in spans.get_finished_spans()
        if s.parent is not None and s.parent.span_id == server.context.span_id
    ]
    assert database and all(s.kind == SpanKind.CLIENT for s in database)
    assert any("availabilities" in str((s.attributes or {})["db.statement"]) for s in database)
    line = next(e for e in rpc_lines if e["method"] == f"/{GET}")
    assert line["trace_id"] == CLIENT_TRACE


def test_a_refused_call_is_traced_with_its_code_and_without_a_caller(
    spans: InMemorySpanExporter, channel: grpc.Channel, buyer: Caller
) -> None:
    # A buyer asking for a lot that does not exist, and a call without a token.
    missing = api.GetAvailabilityRequest(name=f"availabilities/{uuid.uuid4()}")
    with pytest.raises(grpc.RpcError):
        buyer.GetAvailability(missing)
    with pytest.raises(grpc.RpcError):
        Caller(channel, "not-a-token", "nobody").stub.GetAvailability(missing, timeout=10)
    found, refused = _server_spans(spans, GET, expected=2)
    assert found.attributes is not None and refused.attributes is not None
    assert found.attributes["rpc.grpc.status_code"] == grpc.StatusCode.NOT_FOUND.value[0]
    assert found.attributes["enduser.id"] == buyer.subject
    assert refused.attributes["rpc.grpc.status_code"] == (grpc.StatusCode.UNAUTHENTICATED.value[0])
    assert "enduser.id" not in refused.attributes


def test_health_probes_are_not_traced(
    spans: InMemorySpanExporter, channel: grpc.Channel, buyer: Caller
) -> None:
    health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=10)
    with pytest.raises(grpc.RpcError):  # a traced call after it, to wait for
        buyer.GetAvailability(api.GetAvailabilityRequest(name=f"availabilities/{uuid.uuid4()}"))
    _server_spans(spans, GET)
    assert not [s for s in spans.get_finished_spans() if "Health" in s.name]


def test_tracing_is_off_unless_an_exporter_is_named() -> None:
    assert tracing.configure_tracing({}) is False
    assert tracing.configure_tracing({"OTEL_TRACES_EXPORTER": "none"}) is False
    disabled = {"OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "otlp"}
    assert tracing.configure_tracing(disabled) is False


def test_a_library_log_line_becomes_a_json_line_like_the_services_own() -> None:
    stream = io.StringIO()
    configure_logging("info", json=True, stream=stream)
    try:
        logging.getLogger("some.library").warning("disk %s is %d%% full", "/data", 91)
        structlog.get_logger("availability_service.test").warning("own_line", answer=42)
    finally:
        configure_logging("warning", json=False)  # the session's setting (tests/conftest.py)
    library, own = (json.loads(line) for line in stream.getvalue().splitlines())
    assert library["event"] == "disk /data is 91% full"
    assert library["level"] == "warning" and library["logger"] == "some.library"
    assert "timestamp" in library
    assert own["event"] == "own_line" and own["answer"] == 42


def _sample(registry: Any, name: str, labels: dict[str, str]) -> float:
    return float(registry.get_sample_value(name, labels) or 0.0)


def test_watch_pool_and_sweeper_metrics_follow_the_server(seller: Caller) -> None:
    open_before = _sample(REGISTRY, "availability_watch_streams", {})
    call = seller.stub.WatchAvailabilities(
        api.WatchAvailabilitiesRequest(seller_ids=[seller.subject], send_initial_state=True),
        metadata=seller.metadata,
        timeout=30,
    )
    next(iter(call))  # the stream is open once its initial state arrives
    assert _sample(REGISTRY, "availability_watch_streams", {}) == open_before + 1
    call.cancel()
    assert _sample(REGISTRY, "availability_sweeper_passes_total", {"outcome": "leader"}) > 0
    assert _sample(REGISTRY, "availability_db_pool_connections_opened_total", {}) > 0
    assert REGISTRY.get_sample_value("availability_db_pool_connections_in_use") is not None


# --- serve --workers: one /metrics for every worker -------------------------------------------


def _checks_counted(text: str) -> float:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "availability_rpc_total" and sample.labels == {
                "method": "Check",
                "code": "OK",
            }:
                return float(sample.value)
    return 0.0


def _checks_counted_by(pid: int, metrics_dir: Path, scratch: Path) -> float:
    """One worker's own count, read from its file alone."""
    alone = scratch / str(pid)
    alone.mkdir(parents=True)
    try:
        source = metrics_dir / f"counter_{pid}.db"
        if source.exists():
            shutil.copy(source, alone / source.name)
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=str(alone))
        return _sample(registry, "availability_rpc_total", {"method": "Check", "code": "OK"})
    finally:
        shutil.rmtree(alone)


def _check(address: str) -> None:
    with grpc.insecure_channel(address) as channel:  # a new connection each time
        health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)


@pytest.mark.slow
def test_metrics_of_two_workers_are_summed_on_the_configured_address(
    database_url: str, data_dir: Path, tmp_path: Path
) -> None:
    metrics_dir, scratch = tmp_path / "metrics", tmp_path / "scratch"
    metrics_port = free_port()
    env = {
        "AVAILABILITY_METRICS_ADDRESS": f"127.0.0.1:{metrics_port}",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
    }
    with ServerProcess(database_url, data_dir, env=env, args=("--workers", "2")) as server:
        assert server.proc is not None
        # Fresh connections until both workers have answered some (the kernel spreads them).
        for _ in range(200):
            _check(server.address)
            workers = child_pids(server.proc.pid)
            if sum((metrics_dir / f"counter_{pid}.db").exists() for pid in workers) >= 2:
                counted = [_checks_counted_by(pid, metrics_dir, scratch) for pid in workers]
                if sum(value > 0 for value in counted) >= 2:
                    break
        url = f"http://127.0.0.1:{metrics_port}/metrics"
        with urllib.request.urlopen(url, timeout=10) as reply:
            scraped = _checks_counted(reply.read().decode())
        per_worker = [_checks_counted_by(pid, metrics_dir, scratch) for pid in workers]
    assert sum(value > 0 for value in per_worker) == 2, per_worker
    assert scraped == sum(per_worker)

"""structlog set-up: JSON lines when not on a terminal, readable key=value on one.

Lines of libraries that log through the standard `logging` module (alembic, SQLAlchemy, grpc's
Python layer, the OpenTelemetry SDK) go through the same processors and renderer, so a JSON
stream holds nothing but JSON lines that a log shipper can parse.
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

import structlog


class _StructlogHandler(logging.StreamHandler[TextIO]):
    """The root handler this module installs (found again and replaced on reconfiguration)."""


def configure_logging(
    level: str = "info", json: bool | None = None, stream: TextIO | None = None
) -> None:
    stream = stream or sys.stderr
    if json is None:
        json = not stream.isatty()
    numeric = logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer()
    )
    shared: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    _route_standard_logging(numeric, renderer, shared, stream)
    structlog.configure(
        processors=[*shared, structlog.processors.format_exc_info, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(stream),
        cache_logger_on_first_use=True,
    )


def _route_standard_logging(
    numeric: int,
    renderer: structlog.typing.Processor,
    shared: list[structlog.typing.Processor],
    stream: TextIO,
) -> None:
    handler = _StructlogHandler(stream)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _StructlogHandler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(numeric)
    # Alembic narrates every plugin it loads at INFO; only its warnings matter to operators.
    logging.getLogger("alembic").setLevel(max(numeric, logging.WARNING))

"""A call's request metadata, read from grpc once per call.

`context.invocation_metadata()` builds a new tuple from grpc's C array each time it is asked
(about 6 us), and a GetAvailability needed it three times: the access log (request id, trace
context), the auth interceptor (the bearer token) and the read (x-min-revision). The access
log, the outermost of our code, reads it once and keeps it in the call's task context, next
to the context it came from: a reader with another call's context (a task started from this
call, say) gets its own call's metadata from grpc, never this one's.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

import grpc

Metadata = tuple[tuple[str, Any], ...]
_KEPT: ContextVar[tuple[grpc.aio.ServicerContext, Metadata] | None] = ContextVar(
    "call_metadata", default=None
)


def remember(context: grpc.aio.ServicerContext) -> Metadata:
    """The call's metadata, read from grpc and kept for `of` (the call's first reader)."""
    metadata: Metadata = context.invocation_metadata() or ()
    _KEPT.set((context, metadata))
    return metadata


def of(context: grpc.aio.ServicerContext) -> Metadata:
    """The metadata of the call `context` belongs to: the kept copy when it is this call's."""
    kept = _KEPT.get()
    if kept is not None and kept[0] is context:
        return kept[1]
    return context.invocation_metadata() or ()

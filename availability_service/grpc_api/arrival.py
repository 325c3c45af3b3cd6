"""When a call arrived, on the same counter as the lot cache's probes are sent by.

A Get may be answered from the lot cache once a probe sent AFTER THE CALL ARRIVED has been
applied (service_layer/lot_cache.py): every write its caller saw acknowledged committed
before the call was sent, so that probe saw it. The first code of ours grpc.aio runs for a
call is the outermost interceptor's intercept_service (grpc_api.access_log), in the call's
own task, before grpc has even read the request message: the call has reached the server by
then, so a number drawn there is an upper bound of its arrival. Each probe draws a number
just before it is sent (grpc_api.lot_reads). A probe with a higher number than a call's was
sent after the call arrived; one that has already answered lets the call go on without
waiting at all.

One counter for the whole process: numbers only grow, so comparing them orders the events
whatever server or loop drew them.
"""

from __future__ import annotations

import itertools
from contextvars import ContextVar

_ORDER = itertools.count(1)
_ARRIVED: ContextVar[int] = ContextVar("call_arrived", default=0)


def mark_arrival() -> None:
    """Numbers the current call (its task's context): called as it reaches the server."""
    _ARRIVED.set(next(_ORDER))


def arrival() -> int:
    """The current call's number. A call no interceptor marked (a servicer driven directly)
    is numbered now, later than it arrived: the safe side, it then waits for a later probe."""
    return _ARRIVED.get() or next(_ORDER)


def draw() -> int:
    """A number for a probe about to be sent: higher than every call that arrived before."""
    return next(_ORDER)

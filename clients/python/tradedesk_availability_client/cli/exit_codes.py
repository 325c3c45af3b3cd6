"""`avail` exit statuses: a script can tell "fix the command" from "not there" from "try
again later" without parsing messages. docs/clients.md has the same table."""

from __future__ import annotations

import grpc

OK = 0
FAILED = 1  # some rows of an import failed (the others went in)
USAGE = 2  # bad flags or arguments, an unreadable file or config (click's own status)
INVALID_ARGUMENT = 3  # the server (or a lot file) rejected a field: INVALID_ARGUMENT
NOT_FOUND = 4  # NOT_FOUND (a lot the caller may not see is "not found" too)
PERMISSION_DENIED = 5  # PERMISSION_DENIED: the token's role may not do this
UNAUTHENTICATED = 6  # UNAUTHENTICATED: no token, a bad one or an expired one
PRECONDITION = 7  # FAILED_PRECONDITION: wrong state, not enough quantity, hold expired
CONFLICT = 8  # ABORTED (stale etag, lost race) or ALREADY_EXISTS
RESOURCE_EXHAUSTED = 9  # RESOURCE_EXHAUSTED: rate limit or too many watches; retry later
UNAVAILABLE = 10  # UNAVAILABLE: no server, or its database is down; retry later
DEADLINE_EXCEEDED = 11  # DEADLINE_EXCEEDED: no answer within --timeout
OUT_OF_RANGE = 12  # OUT_OF_RANGE: a watch from a revision that was compacted away
SERVER_ERROR = 13  # INTERNAL, UNKNOWN, UNIMPLEMENTED and anything else
INTERRUPTED = 130  # Ctrl-C

_BY_CODE = {
    grpc.StatusCode.INVALID_ARGUMENT: INVALID_ARGUMENT,
    grpc.StatusCode.NOT_FOUND: NOT_FOUND,
    grpc.StatusCode.PERMISSION_DENIED: PERMISSION_DENIED,
    grpc.StatusCode.UNAUTHENTICATED: UNAUTHENTICATED,
    grpc.StatusCode.FAILED_PRECONDITION: PRECONDITION,
    grpc.StatusCode.ABORTED: CONFLICT,
    grpc.StatusCode.ALREADY_EXISTS: CONFLICT,
    grpc.StatusCode.RESOURCE_EXHAUSTED: RESOURCE_EXHAUSTED,
    grpc.StatusCode.UNAVAILABLE: UNAVAILABLE,
    grpc.StatusCode.DEADLINE_EXCEEDED: DEADLINE_EXCEEDED,
    grpc.StatusCode.OUT_OF_RANGE: OUT_OF_RANGE,
}


def for_status(code: grpc.StatusCode) -> int:
    return _BY_CODE.get(code, SERVER_ERROR)

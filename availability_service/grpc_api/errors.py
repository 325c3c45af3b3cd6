"""The one table from domain errors to gRPC status codes with google.rpc details (AIP-193)."""

from __future__ import annotations

import grpc
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from availability_service.auth.errors import AuthenticationError, PermissionDeniedError
from availability_service.domain import errors as de
from availability_service.grpc_api.status import build_status

_CODES: list[tuple[type[Exception], grpc.StatusCode]] = [
    (de.InvalidArgument, grpc.StatusCode.INVALID_ARGUMENT),
    (de.RequestIdReused, grpc.StatusCode.INVALID_ARGUMENT),
    (de.NotFound, grpc.StatusCode.NOT_FOUND),
    (de.StaleEtag, grpc.StatusCode.ABORTED),
    (de.FailedPrecondition, grpc.StatusCode.FAILED_PRECONDITION),
    (de.PermissionDenied, grpc.StatusCode.PERMISSION_DENIED),
    (PermissionDeniedError, grpc.StatusCode.PERMISSION_DENIED),
    (AuthenticationError, grpc.StatusCode.UNAUTHENTICATED),
    (de.ResourceExhausted, grpc.StatusCode.RESOURCE_EXHAUSTED),
    (de.OutOfRange, grpc.StatusCode.OUT_OF_RANGE),
    (de.DeadlinePassed, grpc.StatusCode.DEADLINE_EXCEEDED),
]


def code_for(exc: de.DomainError) -> grpc.StatusCode:
    """The status code of an expected error (as status_for would send it)."""
    for kind, code in _CODES:
        if isinstance(exc, kind):
            return code
    return grpc.StatusCode.UNKNOWN  # pragma: no cover - every DomainError kind is mapped


def status_for(exc: BaseException) -> grpc.Status | None:
    """The status for an expected error, or None for a bug (the caller logs it, INTERNAL)."""
    if isinstance(exc, de.DomainError):
        for kind, code in _CODES:
            if isinstance(exc, kind):
                violations = exc.violations if isinstance(exc, de.InvalidArgument) else None
                retry = exc.retry_after_seconds if isinstance(exc, de.ResourceExhausted) else None
                return build_status(code, exc.message, exc.reason, exc.metadata, violations, retry)
    if isinstance(exc, AuthenticationError | PermissionDeniedError):
        code = dict(_CODES)[type(exc)]
        return build_status(code, str(exc), code.name)
    if isinstance(exc, DBAPIError) and _is_cancelled(exc):
        # statement_timeout (set from the caller's deadline) or a cancel: the transaction was
        # rolled back, so nothing is half-done; the caller's deadline has (almost) passed.
        return build_status(
            grpc.StatusCode.DEADLINE_EXCEEDED,
            "the deadline passed before the database answered; nothing was changed",
            "DEADLINE_EXCEEDED",
        )
    if isinstance(exc, PoolTimeout | DisconnectionError) or (
        isinstance(exc, DBAPIError) and _is_unavailable(exc)
    ):
        return build_status(
            grpc.StatusCode.UNAVAILABLE,
            "database unavailable; retry later",
            "DATABASE_UNAVAILABLE",
            retry_after=1.0,
        )
    return None


# SQLSTATE query_canceled: statement_timeout fired or the statement was cancelled.
_QUERY_CANCELED = "57014"


def _is_cancelled(exc: DBAPIError) -> bool:
    return getattr(exc.orig, "pgcode", None) == _QUERY_CANCELED


def _is_unavailable(exc: DBAPIError) -> bool:
    # Connection refused or lost, server shutting down or starting up (SQLSTATE 57P0x), a
    # connection closed under us: all are OperationalError or InterfaceError in psycopg2.
    return bool(exc.connection_invalidated) or isinstance(exc, OperationalError | InterfaceError)

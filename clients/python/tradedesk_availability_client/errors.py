"""Typed exceptions for failed calls, carrying the server's google.rpc details (AIP-193)."""

from __future__ import annotations

from dataclasses import dataclass, field

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status


@dataclass(frozen=True)
class FieldViolation:
    """One malformed field of a request: its path (such as "availability.total_quantity")."""

    field: str
    description: str


@dataclass(frozen=True)
class PreconditionViolation:
    """One failed precondition: type is the reason (such as INSUFFICIENT_QUANTITY)."""

    type: str
    subject: str
    description: str


@dataclass
class ErrorDetails:
    """Everything the server packed into google.rpc.Status.details."""

    reason: str = ""
    domain: str = ""
    metadata: dict[str, str] = field(default_factory=dict)
    field_violations: list[FieldViolation] = field(default_factory=list)
    precondition_violations: list[PreconditionViolation] = field(default_factory=list)
    retry_delay: float | None = None


class AvailabilityError(Exception):
    """A call failed; subclasses name the gRPC status code."""

    code: grpc.StatusCode = grpc.StatusCode.UNKNOWN

    def __init__(
        self, message: str, details: ErrorDetails | None = None, code: grpc.StatusCode | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or ErrorDetails()
        if code is not None:
            self.code = code

    @property
    def reason(self) -> str:
        """ErrorInfo.reason, such as ETAG_MISMATCH or INSUFFICIENT_QUANTITY."""
        return self.details.reason

    @property
    def metadata(self) -> dict[str, str]:
        return self.details.metadata

    @property
    def field_violations(self) -> list[FieldViolation]:
        return self.details.field_violations

    @property
    def retry_delay(self) -> float | None:
        """Seconds the server asked the caller to wait (RetryInfo), if any."""
        return self.details.retry_delay

    def __str__(self) -> str:
        text = f"{self.code.name}: {self.message}"
        if self.reason and self.reason != self.code.name:
            text += f" [{self.reason}]"
        if self.field_violations:
            text += (
                " (" + "; ".join(f"{v.field}: {v.description}" for v in self.field_violations) + ")"
            )
        return text


class InvalidArgumentError(AvailabilityError):
    code = grpc.StatusCode.INVALID_ARGUMENT


class NotFoundError(AvailabilityError):
    code = grpc.StatusCode.NOT_FOUND


class AlreadyExistsError(AvailabilityError):
    code = grpc.StatusCode.ALREADY_EXISTS


class PermissionDeniedError(AvailabilityError):
    code = grpc.StatusCode.PERMISSION_DENIED


class UnauthenticatedError(AvailabilityError):
    code = grpc.StatusCode.UNAUTHENTICATED


class FailedPreconditionError(AvailabilityError):
    """Wrong state, not enough quantity, below minimum order, hold expired: see .reason."""

    code = grpc.StatusCode.FAILED_PRECONDITION


class AbortedError(AvailabilityError):
    """A stale etag (reason ETAG_MISMATCH) or a lost race that a retry may win."""

    code = grpc.StatusCode.ABORTED


class ResourceExhaustedError(AvailabilityError):
    code = grpc.StatusCode.RESOURCE_EXHAUSTED


class OutOfRangeError(AvailabilityError):
    """For a watch: the resume revision was compacted away (reason REVISION_COMPACTED)."""

    code = grpc.StatusCode.OUT_OF_RANGE


class UnavailableError(AvailabilityError):
    code = grpc.StatusCode.UNAVAILABLE


class DeadlineExceededError(AvailabilityError):
    code = grpc.StatusCode.DEADLINE_EXCEEDED


class UnimplementedError(AvailabilityError):
    code = grpc.StatusCode.UNIMPLEMENTED


class InternalError(AvailabilityError):
    code = grpc.StatusCode.INTERNAL


_BY_CODE: dict[grpc.StatusCode, type[AvailabilityError]] = {
    cls.code: cls
    for cls in (
        InvalidArgumentError,
        NotFoundError,
        AlreadyExistsError,
        PermissionDeniedError,
        UnauthenticatedError,
        FailedPreconditionError,
        AbortedError,
        ResourceExhaustedError,
        OutOfRangeError,
        UnavailableError,
        DeadlineExceededError,
        UnimplementedError,
        InternalError,
    )
}


def details_of(error: grpc.RpcError) -> ErrorDetails:
    """Unpack ErrorInfo, BadRequest, PreconditionFailure and RetryInfo from a failed call."""
    out = ErrorDetails()
    try:
        status = rpc_status.from_call(error)
    except ValueError:  # the trailer's code or message disagrees with the status line
        status = None
    if status is None:
        return out
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            out.reason, out.domain, out.metadata = info.reason, info.domain, dict(info.metadata)
        elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            out.field_violations.extend(
                FieldViolation(v.field, v.description) for v in bad.field_violations
            )
        elif detail.Is(error_details_pb2.PreconditionFailure.DESCRIPTOR):
            pre = error_details_pb2.PreconditionFailure()
            detail.Unpack(pre)
            out.precondition_violations.extend(
                PreconditionViolation(v.type, v.subject, v.description) for v in pre.violations
            )
        elif detail.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
            retry = error_details_pb2.RetryInfo()
            detail.Unpack(retry)
            out.retry_delay = retry.retry_delay.ToTimedelta().total_seconds()
    return out


def from_rpc_error(error: grpc.RpcError) -> AvailabilityError:
    """The typed exception for a failed call (the original is kept as __cause__ by callers)."""
    code = error.code() if hasattr(error, "code") else grpc.StatusCode.UNKNOWN
    message = error.details() if hasattr(error, "details") else str(error)
    cls = _BY_CODE.get(code, AvailabilityError)
    return cls(message or code.name, details_of(error), code=code)

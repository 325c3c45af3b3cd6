"""The one builder of google.rpc.Status replies (AIP-193), for the servicer and the interceptor.

Every error this service sends is built here, so each carries the same details: ErrorInfo
always, BadRequest for field violations, PreconditionFailure for FAILED_PRECONDITION, and
RetryInfo where waiting helps.
"""

from __future__ import annotations

import grpc
from google.protobuf import any_pb2, duration_pb2
from google.protobuf.message import Message
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from availability_service.domain.errors import FieldViolation

# The google.rpc.ErrorInfo domain for every error this service reports.
ERROR_DOMAIN = "availability.tradedesk"


def _pack(message: Message) -> any_pb2.Any:
    packed = any_pb2.Any()
    packed.Pack(message)
    return packed


def build_status(
    code: grpc.StatusCode,
    message: str,
    reason: str,
    metadata: dict[str, str] | None = None,
    violations: list[FieldViolation] | None = None,
    retry_after: float | None = None,
) -> grpc.Status:
    """The status with its details; `reason` is ErrorInfo's (and a precondition's type)."""
    metadata = metadata or {}
    details = [
        _pack(error_details_pb2.ErrorInfo(reason=reason, domain=ERROR_DOMAIN, metadata=metadata))
    ]
    if violations:
        details.append(
            _pack(
                error_details_pb2.BadRequest(
                    field_violations=[
                        error_details_pb2.BadRequest.FieldViolation(
                            field=v.field, description=v.description
                        )
                        for v in violations
                    ]
                )
            )
        )
    if code is grpc.StatusCode.FAILED_PRECONDITION:
        details.append(
            _pack(
                error_details_pb2.PreconditionFailure(
                    violations=[
                        error_details_pb2.PreconditionFailure.Violation(
                            type=reason, subject=metadata.get("subject", ""), description=message
                        )
                    ]
                )
            )
        )
    if retry_after is not None:
        delay = duration_pb2.Duration()
        # At least 1 ns: a RetryInfo says "wait", so its delay is never zero.
        delay.FromNanoseconds(max(1, int(retry_after * 1e9)))
        details.append(_pack(error_details_pb2.RetryInfo(retry_delay=delay)))
    status = status_pb2.Status(code=getattr(code_pb2, code.name), message=message, details=details)
    return rpc_status.to_status(status)


def internal_error() -> grpc.Status:
    """What a caller sees of a bug (the cause is logged, never sent)."""
    return build_status(grpc.StatusCode.INTERNAL, "internal error", "INTERNAL")

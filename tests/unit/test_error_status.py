"""The one google.rpc.Status builder: the details each kind of error carries."""

from __future__ import annotations

import grpc
from google.rpc import error_details_pb2, status_pb2

from availability_service.domain.errors import FieldViolation
from availability_service.grpc_api.status import ERROR_DOMAIN, build_status


def _details(status: grpc.Status) -> dict[str, object]:
    reply = status_pb2.Status()
    for key, value in status.trailing_metadata:
        if key == "grpc-status-details-bin":
            reply.ParseFromString(value)
    out: dict[str, object] = {}
    for kind in (
        error_details_pb2.ErrorInfo,
        error_details_pb2.BadRequest,
        error_details_pb2.PreconditionFailure,
        error_details_pb2.RetryInfo,
    ):
        for detail in reply.details:
            if detail.Is(kind.DESCRIPTOR):
                message = kind()
                detail.Unpack(message)
                out[kind.DESCRIPTOR.name] = message
    return out


def test_a_zero_retry_delay_still_tells_the_caller_to_wait() -> None:
    status = build_status(
        grpc.StatusCode.RESOURCE_EXHAUSTED, "slow down", "RATE_LIMITED", retry_after=0.0
    )
    retry = _details(status)["RetryInfo"]
    assert isinstance(retry, error_details_pb2.RetryInfo)
    assert retry.retry_delay.ToNanoseconds() > 0


def test_field_violations_become_a_bad_request_beside_the_error_info() -> None:
    status = build_status(
        grpc.StatusCode.INVALID_ARGUMENT,
        "bad",
        "INVALID_ARGUMENT",
        violations=[FieldViolation("page_size", "must not be negative")],
    )
    details = _details(status)
    bad = details["BadRequest"]
    assert isinstance(bad, error_details_pb2.BadRequest)
    assert [(v.field, v.description) for v in bad.field_violations] == [
        ("page_size", "must not be negative")
    ]
    info = details["ErrorInfo"]
    assert isinstance(info, error_details_pb2.ErrorInfo)
    assert (info.reason, info.domain) == ("INVALID_ARGUMENT", ERROR_DOMAIN)
    assert "PreconditionFailure" not in details and "RetryInfo" not in details


def test_a_failed_precondition_names_its_reason_and_subject() -> None:
    status = build_status(
        grpc.StatusCode.FAILED_PRECONDITION,
        "not enough quantity",
        "INSUFFICIENT_QUANTITY",
        {"subject": "availabilities/1"},
    )
    failure = _details(status)["PreconditionFailure"]
    assert isinstance(failure, error_details_pb2.PreconditionFailure)
    (violation,) = failure.violations
    assert (violation.type, violation.subject, violation.description) == (
        "INSUFFICIENT_QUANTITY",
        "availabilities/1",
        "not enough quantity",
    )

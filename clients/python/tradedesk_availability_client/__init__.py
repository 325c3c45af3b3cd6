"""Python client of the Availability Engine (tradedesk.availability.v1).

Start with AvailabilityClient(target, token=...); docs/clients.md has examples.
"""

from tradedesk_availability_client.client import AvailabilityClient
from tradedesk_availability_client.errors import (
    AbortedError,
    AlreadyExistsError,
    AvailabilityError,
    DeadlineExceededError,
    ErrorDetails,
    FailedPreconditionError,
    FieldViolation,
    InternalError,
    InvalidArgumentError,
    NotFoundError,
    OutOfRangeError,
    PermissionDeniedError,
    PreconditionViolation,
    ResourceExhaustedError,
    UnauthenticatedError,
    UnavailableError,
    UnimplementedError,
)
from tradedesk_availability_client.retry import NO_RETRY, RetryPolicy
from tradedesk_availability_client.tls import Tls
from tradedesk_availability_client.tokens import (
    CommandToken,
    FileToken,
    StaticToken,
    TokenSource,
)
from tradedesk_availability_client.watch import Watch

__all__ = [
    "NO_RETRY",
    "AbortedError",
    "AlreadyExistsError",
    "AvailabilityClient",
    "AvailabilityError",
    "CommandToken",
    "DeadlineExceededError",
    "ErrorDetails",
    "FailedPreconditionError",
    "FieldViolation",
    "FileToken",
    "InternalError",
    "InvalidArgumentError",
    "NotFoundError",
    "OutOfRangeError",
    "PermissionDeniedError",
    "PreconditionViolation",
    "ResourceExhaustedError",
    "RetryPolicy",
    "StaticToken",
    "Tls",
    "TokenSource",
    "UnauthenticatedError",
    "UnavailableError",
    "UnimplementedError",
    "Watch",
]

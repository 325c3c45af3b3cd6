"""Domain errors; grpc_api/errors.py maps each to one gRPC status with google.rpc details."""

from __future__ import annotations

from dataclasses import dataclass, field


class DomainError(Exception):
    """Base of every error a use case may raise on purpose."""

    reason: str = "ERROR"

    def __init__(
        self, message: str, *, reason: str | None = None, metadata: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        if reason is not None:
            self.reason = reason
        self.metadata = metadata or {}


# An error names at most this many fields: enough to fix a request, small enough to send.
MAX_VIOLATIONS = 10


@dataclass(frozen=True)
class FieldViolation:
    field: str
    description: str


class InvalidArgument(DomainError):
    reason = "INVALID_ARGUMENT"

    def __init__(self, violations: list[FieldViolation], *, reason: str | None = None) -> None:
        # Bounded, so that an error (or a batch of 500 of them) always fits one message.
        kept = violations[:MAX_VIOLATIONS]
        text = "; ".join(f"{v.field}: {v.description}" for v in kept)
        if len(violations) > len(kept):
            text += f"; and {len(violations) - len(kept)} more"
        super().__init__(text or "invalid argument", reason=reason)
        self.violations = kept

    @classmethod
    def one(cls, field_path: str, description: str) -> InvalidArgument:
        return cls([FieldViolation(field_path, description)])


class NotFound(DomainError):
    reason = "NOT_FOUND"


class StaleEtag(DomainError):
    """The caller's etag no longer matches: re-read and retry (AIP-154)."""

    reason = "ETAG_MISMATCH"


class FailedPrecondition(DomainError):
    """Wrong state, not enough quantity, below minimum, hold expired: the reason says which."""


class PermissionDenied(DomainError):
    reason = "PERMISSION_DENIED"


class RequestIdReused(DomainError):
    """The same request_id came back with a different payload (AIP-155)."""

    reason = "REQUEST_ID_REUSED"


class ResourceExhausted(DomainError):
    def __init__(
        self,
        message: str,
        *,
        reason: str,
        retry_after_seconds: float = 1.0,
        metadata: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message, reason=reason, metadata=metadata)
        self.retry_after_seconds = retry_after_seconds


class OutOfRange(DomainError):
    pass


class DeadlinePassed(DomainError):
    """The caller's deadline passed before the work could commit: it was rolled back."""

    reason = "DEADLINE_EXCEEDED"


@dataclass
class Violations:
    """Collects every bad field of a request so the caller sees them all at once."""

    items: list[FieldViolation] = field(default_factory=list)

    def add(self, field_path: str, description: str) -> None:
        self.items.append(FieldViolation(field_path, description))

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self) -> None:
        if self.items:
            raise InvalidArgument(list(self.items))

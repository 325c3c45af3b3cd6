"""The event log: one event per revision, in revision order."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, Protocol


class EventLog(Protocol):
    def current_revision(self) -> int:
        """The newest committed revision this transaction can see."""
        ...

    def append(
        self,
        *,
        revision: int,
        availability_id: uuid.UUID,
        event_type: str,
        actor: str,
        changed_fields: Sequence[str],
        event_types: Sequence[str] = (),
        before: dict[str, Any] | None,
        after: dict[str, Any],
        reservation_id: uuid.UUID | None = None,
        reservation: dict[str, Any] | None = None,
    ) -> None: ...

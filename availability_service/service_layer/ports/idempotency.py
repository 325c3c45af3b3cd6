"""Request keys: a retried request returns the first outcome instead of applying twice."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol


class IdempotencyStore(Protocol):
    def claim(
        self, *, principal: str, request_id: str, method: str, request_hash: str
    ) -> dict[str, Any] | None:
        """None when this call is the first (go ahead), else the first call's stored outcome.

        Raises RequestIdReused when the key was used for a different request.
        """
        ...

    def complete(self, *, principal: str, request_id: str, response: dict[str, Any]) -> None: ...

    def expire_before(self, moment: datetime, limit: int) -> int:
        """Forgets up to `limit` keys first claimed before `moment`; how many."""
        ...

"""When the caller stops waiting: the deadline every use case hands to the persistence port.

A value, not a number of seconds taken at one moment and passed on: time spent before the
database is reached (queueing for a pooled connection, earlier statements of a batch) comes
off what is left, so the port bounds each statement by what truly remains.
"""

from __future__ import annotations

import time
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Deadline:
    """A point on the monotonic clock past which nobody is waiting for the answer."""

    expires_at: float

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        return cls(time.monotonic() + seconds)

    @classmethod
    def within(cls, seconds: float | None) -> Deadline | None:
        """The deadline of a call with `seconds` left; None when the caller set none."""
        return None if seconds is None else cls.after(seconds)

    def remaining(self) -> float:
        """Seconds left, never negative."""
        return max(0.0, self.expires_at - time.monotonic())

    def passed(self) -> bool:
        return time.monotonic() >= self.expires_at

"""ListAvailabilityEvents: a lot's stored events, oldest first, as its watchers saw them.

The lot must be visible to the caller now (NOT_FOUND otherwise, never revealing that it
exists). Each event is then judged exactly as a watch of that one lot would judge it
(filters.change_kind): an event of a moment the caller could not see the lot (a PRIVATE
stretch, say) is left out, as a watcher would never have received it. So a page may hold
fewer than page_size events; the token says where to go on.
"""

from __future__ import annotations

from dataclasses import dataclass

from availability_service.auth.principal import Principal
from availability_service.domain.deadline import Deadline
from availability_service.domain.errors import InvalidArgument, NotFound
from availability_service.service_layer import paging
from availability_service.service_layer.lots import lot_id_from_name
from availability_service.service_layer.ports import UnitOfWork
from availability_service.watch.feed import WatchEvent
from availability_service.watch.filters import ChangeKind, WatchFilter, change_kind

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 500


@dataclass(frozen=True)
class SeenEvent:
    """One event and how the caller relates to the lot in it (as a watch would say)."""

    event: WatchEvent
    kind: ChangeKind


@dataclass(frozen=True)
class HistoryPage:
    events: list[SeenEvent]
    next_page_token: str
    fingerprint: str

    def token_after(self, revision: int) -> str:
        """The token of the events after `revision`, for a page cut short by its size."""
        return paging.encode_token([revision], self.fingerprint)


class HistoryService:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    def list(
        self,
        principal: Principal,
        parent: str,
        page_size: int,
        page_token: str,
        deadline: Deadline | None = None,
    ) -> HistoryPage:
        lot_id = lot_id_from_name(parent, "parent")
        if page_size < 0:
            raise InvalidArgument.one("page_size", "must not be negative")
        size = min(page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        fp = paging.fingerprint("history", str(lot_id))
        after = _after(page_token, fp) if page_token else 0
        with self.uow.read(deadline) as tx:
            if tx.lots.get(lot_id, principal.viewer) is None:
                raise NotFound(f"{parent} not found")
            stored = tx.events.lot_events(lot_id, after, size + 1)
        scanned = [WatchEvent.from_stored(event) for event in stored[:size]]
        flt = WatchFilter(lot_ids=frozenset({lot_id}))
        seen = []
        for event in scanned:
            kind = change_kind(flt, principal, event.types, event.before, event.after)
            if kind is not None:
                seen.append(SeenEvent(event, kind))
        token = ""
        if len(stored) > size:
            token = paging.encode_token([scanned[-1].revision], fp)
        return HistoryPage(seen, token, fp)


def _after(token: str, fp: str) -> int:
    position = paging.decode_token(token, fp)
    try:
        revision = int(position[0])
    except (ValueError, IndexError, TypeError) as exc:
        raise InvalidArgument.one("page_token", "is not a token this service issued") from exc
    if revision < 0:
        raise InvalidArgument.one("page_token", "is not a token this service issued")
    return revision

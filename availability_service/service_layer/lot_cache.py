"""GetAvailability's per-process lot cache, which answers only when it is provably current.

A Get must never show a lot older than a write its caller has already seen acknowledged, in
any process, nor older than the `x-min-revision` it names. So the cache is consistent the way
the Kubernetes API server's watch cache serves consistent reads: before a call may use it, a
probe sent AFTER the call arrived reads the newest committed revision (`head`) and, in the same
snapshot, which lots changed since the cache's own revision (`EventLog.changes_since`); those
lots are dropped and the cache moves to `head` (when a call arrived, against when a probe was
sent: grpc_api.arrival). Every write acknowledged before the call is
at or below that head (revisions commit in order), so whatever the cache still holds is the
lot as of `head` or later. Concurrent calls share one probe (grpc_api.lot_reads), which is
why this costs less than reading the lot.

Only the stored row is kept, as the primary returned it, read while the cache stood at the
revision it is offered with (`offer`): a lot read before a probe moved the cache may predate
a change that probe dropped, so it is not kept. Whatever depends on the moment of the read
(a hold that may have ended) is never answered from here: `LotCache.answer` declines, and
the database path applies the expiry as it always does.
"""

from __future__ import annotations

import uuid

from availability_service.auth.principal import Principal
from availability_service.auth.visibility import can_see_lot
from availability_service.domain import expiry
from availability_service.domain.errors import NotFound
from availability_service.domain.model import Availability
from availability_service.service_layer.changes import now
from availability_service.service_layer.ports.events import LotChanges

# More changed lots than this since the last probe (a burst of writes, or a long idle
# spell): the cache starts afresh rather than reading a long list.
MAX_CHANGES_PER_PROBE = 1000
# A probe is one indexed statement; past this the database is in trouble and the calls
# waiting for the probe read the lot themselves (and meet the trouble with their own deadline).
# It runs on the event loop (UnitOfWork.change_probe, storage.loop_probe).
PROBE_SECONDS = 2.0
# Under load a probe is sent no sooner than this after the last one, so it answers every
# call that arrived meanwhile (group commit's commit_delay, for reads): when it follows
# another in the same run of probes, or when other Gets are in flight as a run starts.
# Unpaced, calls reach the wait one at a time and each probe served 1.1 to 1.4 Gets at c=64
# (docs/performance.md, target 1). A lone caller never waits for the pacing.
PROBE_SPACING_SECONDS = 0.003


class LotCache:
    """Lots by id as of `revision`; touched only by one thread (the server's event loop)."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        # Every change up to here is reflected in what is kept; None until the first probe.
        self.revision: int | None = None
        self._lots: dict[uuid.UUID, Availability] = {}

    def __len__(self) -> int:
        return len(self._lots)

    def catch_up(self, after: int | None, changes: LotChanges) -> None:
        """Applies a probe of the changes after `after` (the revision the cache stood at when
        the probe was sent): drops the lots changed since and moves to the probe's head."""
        if after != self.revision or changes.lots is None or changes.head < (after or 0):
            # Not the probe of this state, more changes than listed, events compacted, or a
            # database that went back in time (restored): nothing kept can be vouched for.
            self._lots.clear()
        else:
            for lot_id in changes.lots:
                self._lots.pop(lot_id, None)
        self.revision = changes.head

    def answer(self, principal: Principal, lot_id: uuid.UUID, name: str) -> Availability | None:
        """LotService.get's answer from what is kept, once a probe sent after the call began
        has been applied; None when the cache cannot answer: the lot is not kept, or a hold
        on it may have ended (get() reads the holds). The lot is never to be changed."""
        lot = self._lots.get(lot_id)
        if lot is None:
            return None
        if not can_see_lot(principal, lot):
            raise NotFound(f"{name} not found")  # as the read's visibility predicate says
        if expiry.may_have_endings(lot, now(), lapse_lot=False):
            return None
        return lot

    def offer(self, lot: Availability, read_at: int | None) -> bool:
        """Keeps a stored lot that the primary returned to a read begun when the cache stood
        at `read_at`, if it still stands there; evicts the oldest kept lot beyond capacity."""
        if read_at is None or read_at != self.revision or self.capacity <= 0:
            return False
        self._lots.pop(lot.id, None)
        self._lots[lot.id] = lot
        if len(self._lots) > self.capacity:
            del self._lots[next(iter(self._lots))]
        return True

"""Lot use cases: create, get, list, update, delete, approve, reject."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any

from availability_service.auth.policy import may_modify_lot
from availability_service.auth.principal import Principal
from availability_service.domain import expiry, lifecycle
from availability_service.domain.deadline import Deadline
from availability_service.domain.errors import (
    InvalidArgument,
    NotFound,
    PermissionDenied,
    StaleEtag,
    Violations,
)
from availability_service.domain.model import ZERO, Availability, EventType, LotState, Visibility
from availability_service.domain.quantities import change_total
from availability_service.domain.validation import (
    MAX_REJECTION_REASON,
    check_lot_size,
    utf8_size,
    validate_lot,
)
from availability_service.domain.viewer import Viewer
from availability_service.service_layer import paging
from availability_service.service_layer.changes import (
    changed_fields,
    lot_snapshot,
    now,
    record,
    update_event_type,
)
from availability_service.service_layer.hold_ends import withdraw_holds
from availability_service.service_layer.idempotent import Outcome, RequestKey, run_once
from availability_service.service_layer.lot_cache import LotCache
from availability_service.service_layer.ports import Transaction, UnitOfWork

# Enrichment (normalisation, canonical units, anomaly check, embedding) runs inside the
# transaction so the anomaly baseline is read consistently with the write.
Enricher = Callable[[Transaction, Availability, Violations], None]
# Where a lot is posted from (service_layer.locations.place_lot): gets the fields an update
# sets, or None on create; may fill coordinates and region from the location registry.
Placer = Callable[[Transaction, Principal, Availability, Collection[str] | None, Violations], None]
# The lot's encoded size and, when over the cap, its largest field (grpc_api.lot_size): the
# wire format is the API layer's, the cap is the domain's (validation.MAX_LOT_BYTES).
Measure = Callable[[Availability], tuple[int, str]]

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


@dataclass
class ListPage:
    availabilities: list[Availability]
    next_page_token: str
    revision: int


def lot_id_from_name(name: str, field: str = "name") -> uuid.UUID:
    prefix = "availabilities/"
    if not name.startswith(prefix):
        raise InvalidArgument.one(field, "must look like 'availabilities/{uuid}'")
    try:
        return uuid.UUID(name[len(prefix) :])
    except ValueError as exc:
        raise InvalidArgument.one(field, "must look like 'availabilities/{uuid}'") from exc


def drop_stale_audience(lot: Availability) -> None:
    """The invitee list belongs to PRIVATE and the region list to RESTRICTED: under any other
    visibility they are cleared, so switching a PRIVATE lot to PUBLIC never keeps (or later
    republishes) who was invited."""
    if lot.market_visibility is not Visibility.PRIVATE:
        lot.restricted_buyer_ids = []
    if lot.market_visibility is not Visibility.RESTRICTED:
        lot.allowed_regions = []


def check_etag(lot: Availability, etag: str) -> None:
    if etag and etag != lot.etag:
        raise StaleEtag(
            f"etag {etag} is stale: {lot.name} is now at {lot.etag}; re-read and retry",
            metadata={"current_etag": lot.etag},
        )


def lock_lot(tx: Transaction, viewer: Viewer, lot_id: uuid.UUID, name: str) -> Availability:
    """Locks the lot row for this transaction; NOT_FOUND when absent or invisible to `viewer`
    (never reveal that a private lot exists). Every change of a lot or its holds starts here."""
    lot = tx.lots.lock(lot_id, viewer)
    if lot is None:
        raise NotFound(f"{name} not found")
    return lot


class LotService:
    """The lot use cases; grpc_api calls exactly one method per RPC."""

    def __init__(
        self,
        uow: UnitOfWork,
        enrich: Enricher,
        place: Placer | None = None,
        measure: Measure | None = None,
        cache: LotCache | None = None,
    ) -> None:
        self.uow = uow
        self.enrich = enrich
        self.place = place
        self.measure = measure
        # GetAvailability's lot cache (service_layer.lot_cache); None: every Get reads.
        self.cache = cache

    def _validate_and_enrich(
        self, tx: Transaction, lot: Availability, violations: Violations
    ) -> None:
        """Field rules, then enrichment, then the size of the lot as it will be stored."""
        validate_lot(lot, violations)
        if not violations:
            self.enrich(tx, lot, violations)
        if not violations and self.measure is not None:
            check_lot_size(*self.measure(lot), violations)
        violations.raise_if_any()

    def create(
        self,
        principal: Principal,
        draft: Availability,
        key: RequestKey | None,
        deadline: Deadline | None = None,
    ) -> Outcome:
        def body(tx: Transaction) -> Outcome:
            moment = now()
            lot = draft
            lot.id = uuid.uuid4()
            lot.seller_id = principal.subject
            lot.company_id = principal.company_id or ""
            lot.state = LotState.DRAFT
            lot.available_quantity = lot.total_quantity
            lot.reserved_quantity = ZERO
            lot.sold_quantity = ZERO
            lot.create_time = moment
            violations = Violations()
            if self.place is not None:
                self.place(tx, principal, lot, None, violations)
            drop_stale_audience(lot)
            self._validate_and_enrich(tx, lot, violations)
            record(tx, lot, EventType.CREATED, principal.subject, None, is_new=True)
            return Outcome(availability=lot)

        return run_once(self.uow, key, body, deadline)

    def get(
        self, principal: Principal, name: str, deadline: Deadline | None = None
    ) -> Availability:
        return self.read(principal, name, deadline)[0]

    def read(
        self, principal: Principal, name: str, deadline: Deadline | None = None
    ) -> tuple[Availability, bool]:
        """get()'s lot, and whether it is the stored row as it is (no hold ended on reading
        it): only such a lot may be kept in the cache."""
        lot_id = lot_id_from_name(name)
        # One statement, no transaction around it: the hot path of the service.
        with self.uow.statement_read(deadline) as tx:
            lot = tx.lots.get(lot_id, principal.viewer)
        if lot is None:
            raise NotFound(f"{name} not found")
        moment = now()
        if expiry.may_have_endings(lot, moment, lapse_lot=False):
            # Expired holds stop counting at once: show the lot as the sweeper will leave
            # it. Nothing is written (the sweeper, or the next write on the lot, records the
            # expiry with its event); the revision and etag stay those of the stored row.
            with self.uow.read(deadline) as tx:
                active = tx.holds.active(lot.id, lot.quantity_unit, due_by=moment)
            expiry.as_of(lot, active, moment)
            return lot, False
        return lot, True

    def list(
        self,
        principal: Principal,
        *,
        page_size: int,
        page_token: str,
        seller_id: str,
        commodity: str,
        states: Sequence[LotState],
        show_deleted: bool,
        deadline: Deadline | None = None,
    ) -> ListPage:
        size = paging.page_size(page_size, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        # The fingerprint covers filters, not the caller: a token replayed by someone else
        # is still filtered by their own visibility, so it can never widen access.
        fp = paging.fingerprint(
            "list", seller_id, commodity, sorted(s.value for s in states), show_deleted
        )
        after = paging.decode_time_id(page_token, fp)
        # One snapshot, so the revision reported is the one the page was read at.
        with self.uow.snapshot(deadline) as tx:
            revision = tx.events.current_revision()
            page = tx.lots.page(
                principal.viewer,
                seller_id=seller_id,
                commodity=commodity,
                states=states,
                show_deleted=show_deleted,
                after=after,
                limit=size + 1,
            )
        token = ""
        if len(page) > size:
            page = page[:size]
            last = page[-1]
            token = paging.encode_time_id(last.create_time, last.id, fp)
        return ListPage(page, token, revision)

    def update(
        self,
        principal: Principal,
        name: str,
        etag: str,
        changes: dict[str, Any],
        key: RequestKey | None,
        deadline: Deadline | None = None,
    ) -> Outcome:
        lot_id = lot_id_from_name(name, "availability.name")

        def body(tx: Transaction) -> Outcome:
            lot = lock_lot(tx, principal.viewer, lot_id, name)
            self._check_owner(principal, lot)
            check_etag(lot, etag)
            lifecycle.require_editable(lot)
            before = lot_snapshot(lot)
            for field_name, value in changes.items():
                if field_name == "total_quantity":
                    change_total(lot, value)
                else:
                    setattr(lot, field_name, value)
            violations = Violations()
            if self.place is not None:
                self.place(tx, principal, lot, changes.keys(), violations)
            drop_stale_audience(lot)
            self._validate_and_enrich(tx, lot, violations)
            fields = changed_fields(before, lot_snapshot(lot))
            if not fields:
                return Outcome(availability=lot)  # nothing changed: no revision, no event
            record(tx, lot, update_event_type(fields), principal.subject, before)
            return Outcome(availability=lot)

        return run_once(self.uow, key, body, deadline)

    def delete(
        self,
        principal: Principal,
        name: str,
        etag: str,
        key: RequestKey | None,
        deadline: Deadline | None = None,
        force: bool = False,
    ) -> Outcome:
        lot_id = lot_id_from_name(name)

        def body(tx: Transaction) -> Outcome:
            lot = lock_lot(tx, principal.viewer, lot_id, name)
            if lot.delete_time is not None:
                raise NotFound(f"{name} not found")
            self._check_owner(principal, lot)
            check_etag(lot, etag)
            if force:
                # Withdrawal: each open hold is released (LOT_WITHDRAWN), with its own event.
                withdraw_holds(tx, lot, principal.subject, now())
            before = lot_snapshot(lot)
            lifecycle.cancel(lot, now())
            record(tx, lot, EventType.CANCELLED, principal.subject, before)
            return Outcome(availability=lot)

        return run_once(self.uow, key, body, deadline)

    def approve(
        self,
        principal: Principal,
        name: str,
        etag: str,
        key: RequestKey | None,
        deadline: Deadline | None = None,
    ) -> Outcome:
        def approve_draft(lot: Availability) -> EventType:
            lifecycle.approve(lot, principal.subject, now())
            return EventType.APPROVED

        return self._review(principal, name, etag, key, deadline, approve_draft)

    def reject(
        self,
        principal: Principal,
        name: str,
        reason: str,
        etag: str,
        key: RequestKey | None,
        deadline: Deadline | None = None,
    ) -> Outcome:
        if not reason.strip():
            raise InvalidArgument.one("reason", "is required when rejecting")
        if utf8_size(reason) > MAX_REJECTION_REASON:
            raise InvalidArgument.one("reason", f"at most {MAX_REJECTION_REASON} bytes of UTF-8")

        def reject_draft(lot: Availability) -> EventType:
            lifecycle.reject(lot, principal.subject, reason, now())
            return EventType.REJECTED

        return self._review(principal, name, etag, key, deadline, reject_draft)

    def _review(
        self,
        principal: Principal,
        name: str,
        etag: str,
        key: RequestKey | None,
        deadline: Deadline | None,
        decide: Callable[[Availability], EventType],
    ) -> Outcome:
        """Approval and rejection: its etag checked, one decision (the lifecycle's: only a
        DRAFT lot is reviewed), one event."""
        lot_id = lot_id_from_name(name)

        def body(tx: Transaction) -> Outcome:
            lot = lock_lot(tx, principal.viewer, lot_id, name)
            check_etag(lot, etag)
            before = lot_snapshot(lot)
            event = decide(lot)
            record(tx, lot, event, principal.subject, before)
            return Outcome(availability=lot)

        return run_once(self.uow, key, body, deadline)

    @staticmethod
    def _check_owner(principal: Principal, lot: Availability) -> None:
        if not may_modify_lot(principal, lot.seller_id):
            raise PermissionDenied(f"only the owner of {lot.name} or an ADMIN may change it")

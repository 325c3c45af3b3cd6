"""SearchAvailabilities: SQL filters, exact vector distance, one scoring function, keyset pages.

The result is every lot passing the filters, scored exactly by intelligence.scoring, sorted
by (score desc, name asc), after the page token's (score, name). The database reads the
lots best first by an approximate score and stops as soon as the page is proven final (see
SearchService._ranked), so only a few rows more than the page are scored here. Scores are
a pure function of the stored lots and the request, so a token stays valid across pages and
every match is returned exactly once while the data does not change.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import localcontext
from typing import Any

from availability_service.auth.principal import Principal
from availability_service.domain import holds as hold_rules
from availability_service.domain.deadline import Deadline
from availability_service.domain.errors import InvalidArgument, Violations
from availability_service.domain.model import Availability
from availability_service.intelligence import (
    Catalog,
    Commodity,
    Embedder,
    Factor,
    LotCandidate,
    SearchCriteria,
    UnknownCommodity,
    score_lot,
)
from availability_service.service_layer import paging, search_bounded, search_threshold
from availability_service.service_layer.changes import now
from availability_service.service_layer.enrichment import numeric_quality
from availability_service.service_layer.ports import UnitOfWork
from availability_service.service_layer.ports.search import (
    SCORE_SLACK,
    CandidateFilter,
    CandidateRow,
    OrderFilter,
    ScoreOrder,
    SearchReads,
)
from availability_service.service_layer.search_criteria import Plan, SearchQuery, plan_search

# The most rows one read takes (further reads continue after it, so this bounds memory, not
# the matches). The first read is PREFIX_FACTOR times what the pages so far and this one
# need (at least FIRST_PREFIX, so a few rows the exact checks drop rarely cost a second
# read); each further one PREFIX_GROWTH times the last.
CANDIDATE_LIMIT = 5000
FIRST_PREFIX = 64
PREFIX_FACTOR = 2
PREFIX_GROWTH = 4
# Pages after this many results are read by approximate score: the factor lists
# (search_threshold) always start from the best lots, so their cost grows with the depth.
LIST_DEPTH = 200
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 200
MAX_DELIVERY_REGIONS = 64
# A ceiling at most 11 x max_price: a wider one means no ceiling, and the widened price
# must still fit the numeric column it is compared with (hostile 1.8e308 overflowed it).
MAX_PRICE_TOLERANCE_PERCENT = 1000.0
# Enough digits that products of two stored quantities (numeric(30, 6)) are never rounded.
_EXACT_DIGITS = 100


@dataclass(frozen=True)
class SearchHit:
    availability: Availability
    score: float
    breakdown: list[Factor]
    distance_km: float | None


@dataclass(frozen=True)
class SearchPage:
    results: list[SearchHit]
    next_page_token: str
    revision: int


@dataclass(frozen=True)
class Ranked:
    name: str
    score: float
    breakdown: list[Factor]
    row: CandidateRow


def candidate_of(row: CandidateRow) -> LotCandidate:
    """A stored lot as scoring sees it."""
    return LotCandidate(
        normalized_quality=numeric_quality(row.normalized_quality_params),
        price=row.price_per_base_unit,
        cosine_similarity=None if row.cosine_distance is None else 1.0 - row.cosine_distance,
        distance_km=row.distance_km,
        ai_confidence_score=row.ai_confidence_score,
    )


def grants_order(row: CandidateRow, order: OrderFilter) -> bool:
    """Would ReserveAvailability grant a hold of the order's quantity on this lot now?

    The hold rules themselves (domain.holds), on quantities scaled to "canonical unit x
    total": the lot's quantities times quantity_in_base_unit, the order times total_quantity.
    Scaling every side by one positive factor leaves each comparison as it was, and no
    division means no rounding.
    """
    terms = row.order_terms
    if terms is None or terms.quantity_in_base_unit is None:
        return False
    if terms.valid_until is not None and terms.valid_until <= order.moment:
        return False  # lapsed: the next write on it makes it EXPIRED before any check
    if hold_rules.timing_refusal(terms, order.moment) is not None:
        return False
    scale = terms.quantity_in_base_unit
    with localcontext(prec=_EXACT_DIGITS):
        minimum = terms.min_order_quantity
        refusal = hold_rules.quantity_refusal(
            terms.available_quantity * scale,
            order.quantity * terms.total_quantity,
            terms.allow_partial_order,
            None if minimum is None else minimum * scale,
        )
    return refusal is None


def rank(
    criteria: SearchCriteria,
    rows: Sequence[CandidateRow],
    commodity: Commodity,
    threshold: float,
    order: OrderFilter | None = None,
) -> list[Ranked]:
    """Score every row, keep the passing ones at or above the threshold, best first."""
    ranked = []
    for row in rows:
        if order is not None and not grants_order(row, order):
            continue
        scored = score_lot(criteria, candidate_of(row), commodity)
        if scored.passes and scored.score >= threshold:
            ranked.append(Ranked(f"availabilities/{row.id}", scored.score, scored.breakdown, row))
    ranked.sort(key=lambda r: (-r.score, r.name))
    return ranked


def _check(query: SearchQuery, v: Violations) -> None:
    if query.page_size < 0:
        v.add("page_size", "must not be negative")
    if not 0 <= query.score_threshold <= 1:
        v.add("score_threshold", "must be within [0, 1]")
    if query.near is None and query.radius_km is not None:
        v.add("near", "is required with radius_km")
    if query.near is not None and (
        query.radius_km is None or not query.radius_km > 0 or not math.isfinite(query.radius_km)
    ):
        v.add("radius_km", "must be a positive number of km when near is given")
    if not 0 <= query.price_tolerance_percent <= MAX_PRICE_TOLERANCE_PERCENT:  # NaN fails too
        v.add("price_tolerance_percent", f"must be within [0, {MAX_PRICE_TOLERANCE_PERCENT:g}]")
    if query.min_quantity is not None and query.min_quantity < 0:
        v.add("min_quantity", "must not be negative")
    if query.order_quantity is not None and query.order_quantity <= 0:
        v.add("order_quantity", "must be positive")
    if len(query.delivery_regions) > MAX_DELIVERY_REGIONS:
        v.add("delivery_regions", f"at most {MAX_DELIVERY_REGIONS} regions")


class SearchService:
    def __init__(self, uow: UnitOfWork, catalog: Catalog, embedder: Embedder) -> None:
        self.uow = uow
        self.catalog = catalog
        self.embedder = embedder

    def plan(self, query: SearchQuery) -> tuple[Commodity, Plan]:
        v = Violations()
        if not query.commodity.strip():
            raise InvalidArgument.one("commodity", "is required")
        try:
            commodity = self.catalog.get(query.commodity)
        except UnknownCommodity as exc:
            raise InvalidArgument.one("commodity", str(exc)) from exc
        _check(query, v)
        plan = plan_search(query, commodity, self.embedder, v)
        v.raise_if_any()
        return commodity, plan

    def candidate_filter(
        self, principal: Principal, query: SearchQuery, commodity: Commodity, plan: Plan
    ) -> CandidateFilter:
        moment = now()
        order = None
        if query.order_quantity is not None:
            order = OrderFilter(query.order_quantity, moment)
        return CandidateFilter(
            commodity=commodity.code,
            viewer=principal.viewer,
            target_vector=plan.target_vector,
            limit=CANDIDATE_LIMIT,
            quality=plan.ranges,
            near=query.near,
            radius_km=query.radius_km,
            price_unit=plan.price_unit,
            price_limit=plan.price_limit,
            min_quantity=query.min_quantity,
            include_anomalies=query.include_anomalies,
            delivery_window_start=query.delivery_window_start,
            delivery_window_end=query.delivery_window_end,
            incoterm=query.incoterm,
            moment=moment,
            delivery_regions=frozenset(r.lower() for r in query.delivery_regions),
            price_floor=plan.price_floor,
            order=order,
        )

    def search(
        self, principal: Principal, query: SearchQuery, deadline: Deadline | None = None
    ) -> SearchPage:
        commodity, plan = self.plan(query)
        size = min(query.page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        # The token is tied to every filter but not to the page size (a client may change
        # it between pages); targets are sorted since map order is not stable on the wire.
        stable = dataclasses.replace(
            query, page_size=0, page_token="", targets=dict(sorted(query.targets.items()))
        )
        fp = paging.fingerprint("search", repr(stable))
        after, returned = (
            paging.decode_position(query.page_token, fp, _position)
            if query.page_token
            else (None, 0)
        )
        flt = self.candidate_filter(principal, query, commodity, plan)
        # One snapshot: the revision reported is the one the candidates and the lots were
        # read at, and a lot cannot change (or become invisible) between the two reads.
        with self.uow.snapshot(deadline) as tx:
            revision = tx.events.current_revision()
            ranked = self._ranked(
                tx.search, flt, plan, commodity, query.score_threshold, after, size, returned
            )
            page = ranked[:size]
            lots = tx.lots.by_ids([r.row.id for r in page], flt.viewer)
        token = ""
        if len(ranked) > size:
            # The count of results returned so far only sizes the next page's first read.
            token = paging.encode_token([page[-1].score, page[-1].name, returned + size], fp)
        hits = [
            SearchHit(lots[r.row.id], r.score, r.breakdown, r.row.distance_km)
            for r in page
            if r.row.id in lots
        ]
        return SearchPage(hits, token, revision)

    def _ranked(
        self,
        reads: SearchReads,
        flt: CandidateFilter,
        plan: Plan,
        commodity: Commodity,
        threshold: float,
        after: tuple[float, str] | None,
        size: int,
        returned: int,
    ) -> list[Ranked]:
        """The ranked matches after the page token: enough to fill the page and tell whether
        another follows (size + 1), or all there are. `returned` counts the results of the
        earlier pages (from the token); it only sizes the first read.

        The database hands out the filtered lots best first by an approximate score
        (storage.search_score, within SCORE_SLACK of the exact one), in reads that continue
        where the previous one stopped; each read lot is scored exactly here. Every lot not
        read yet scores at most the last read one's approximate score + SCORE_SLACK, so the
        exact matches above that bound are final and in their final order. Reading stops
        once they fill the page, or when the bound falls below the threshold, or when no lot
        is left: the list is the one scoring every lot gives, read from far fewer rows.
        Once size + 1 matches are known, later reads keep only the lots that could still
        outrank the (size + 1)-th, so a run of (near-)equal scores costs one more read of
        that run rather than many.
        """
        limit = min(CANDIDATE_LIMIT, max(FIRST_PREFIX, PREFIX_FACTOR * (returned + size + 1)))

        def matches(rows: Sequence[CandidateRow]) -> list[Ranked]:
            """The rows that pass, scored, after the token."""
            found = rank(plan.criteria, rows, commodity, threshold, flt.order)
            if after is None:
                return found
            return [r for r in found if (-r.score, r.name) > (-after[0], after[1])]

        if search_bounded.applies(flt.near) and returned < LIST_DEPTH:
            # Bounded from an index without the embeddings (search_bounded) instead.
            return search_bounded.ranked_by_bound(
                reads,
                flt,
                plan.criteria,
                commodity,
                matches,
                threshold,
                size,
                (limit, PREFIX_GROWTH, CANDIDATE_LIMIT),
            )
        if search_threshold.applies(plan.criteria, flt.near) and returned < LIST_DEPTH:
            # One index list per score factor (search_threshold) instead.
            reader = search_threshold.ThresholdReader(
                lambda lists: reads.factor_lists(flt, lists), plan.criteria, commodity, matches
            )
            return reader.ranked(limit, PREFIX_GROWTH, CANDIDATE_LIMIT, threshold, size)
        ranking = ScoreOrder(
            plan.criteria,
            commodity,
            floor=threshold - SCORE_SLACK,
            ceiling=None if after is None else after[0] + SCORE_SLACK,
        )
        ranked: list[Ranked] = []
        while True:
            read = dataclasses.replace(flt, limit=limit, ranking=ranking)
            rows = reads.candidates(read)
            ranked = sorted(ranked + matches(rows), key=lambda r: (-r.score, r.name))
            if len(rows) < limit:
                return ranked  # no lot left
            last = rows[-1]
            assert last.approximate_score is not None
            ceiling = last.approximate_score + SCORE_SLACK
            if ceiling < threshold:
                return ranked  # nothing unread can reach the threshold
            settled = [r for r in ranked if r.score > ceiling]
            if len(settled) > size:
                return settled
            ranking = dataclasses.replace(ranking, after=(last.approximate_score, last.id))
            limit = min(CANDIDATE_LIMIT, limit * PREFIX_GROWTH)
            if len(ranked) > size:
                # Enough matches, not yet final (their scores are within SCORE_SLACK of the
                # bound, or tie). A lot still to come can only enter the first size + 1 by
                # scoring at least the (size + 1)-th so far: read only those, all of them.
                floor = ranked[size].score - SCORE_SLACK
                ranking = dataclasses.replace(ranking, floor=max(floor, ranking.floor or floor))
                limit = CANDIDATE_LIMIT


def _position(position: list[Any]) -> tuple[tuple[float, str], int]:
    """The token's (score, name) position and how many results came before it."""
    score, name = float(position[0]), str(position[1])
    returned = int(position[2]) if len(position) > 2 else 0
    if not math.isfinite(score) or returned < 0:
        raise ValueError("not a position a page ends at")
    return (score, name), returned

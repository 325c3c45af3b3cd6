"""A standing search: whether one lot state is in a search's match set, and with what score.

The match set of a WatchSearch stream is every lot the caller may see (visibility.can_see)
that passes the search's filters and its score threshold. Lots are judged here one state
at a time, from the event snapshots, so a change is evaluated as of its own revision and a
resumed stream can rebuild the set as of any kept revision (see search_reads).

The filters are the ones storage.search applies in SQL (the same edges, widened by the same
hair), and the score is intelligence.scoring.score_lot through service_layer.search's
candidate_of, so a match carries what SearchAvailabilities returns for the lot. The two
numbers PostgreSQL computes for search are reproduced exactly: the embedding similarity as
pgvector sums it (watch.similarity, calibrated against the database) and the earthdistance
great-circle distance (the same float-64 operations in the same order). Event snapshots
leave the embedding out, so it is recomputed from the lot's features with the process's
embedder, exactly as enrichment computed it when the lot was written.

No score depends on other lots: the market-relative terms (price confidence, anomaly) are
stored on the lot by its own writes, so a lot's score changes only through its own events.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from datetime import datetime

from availability_service.auth.principal import Principal
from availability_service.auth.visibility import can_see_lot
from availability_service.domain import holds as hold_rules
from availability_service.domain.model import Availability, LotState
from availability_service.intelligence import Commodity, Embedder, Factor, Scorer
from availability_service.service_layer.changes import now
from availability_service.service_layer.ports.search import (
    EARTH_RADIUS_SLACK_M,
    CandidateRow,
    OrderFilter,
    OrderTerms,
    QualityRange,
)
from availability_service.service_layer.ports.search import widen as _widen
from availability_service.service_layer.search import SearchHit, grants_order
from availability_service.service_layer.search_criteria import Plan, SearchQuery
from availability_service.watch.shared_work import criteria_id, shared_state
from availability_service.watch.similarity import Embedded, Summation

# earthdistance's earth(): the sphere radius in metres its functions use.
EARTH_RADIUS_M = 6378168.0


# A match is what search returns for a lot: the lot (unredacted), score, breakdown, distance.
Match = SearchHit


# Lot states scored by criteria: a score depends on the lot state and the criteria only, not
# on who asks, so standing searches with equal criteria (the same request, page fields aside)
# score a lot state once between them (bounded: least recent out). Kept without the lot, so
# the cache holds no lot alive (a stream's initial state is dropped once judged).
Scored = tuple[float, list[Factor], float | None, bool]  # score, breakdown, distance, passes
_SCORES: OrderedDict[tuple[int, int, int], Scored] = OrderedDict()  # criteria id, lot, revision
SCORE_CACHE_SIZE = 20_000
# Lot states judged by criteria (StandingSearch.judged): None when the criteria turn it away.
Judged = tuple[float, list[Factor], float | None]  # score, breakdown, distance
_JUDGED: OrderedDict[tuple[int, int, int], Judged | None] = OrderedDict()
_UNJUDGED = object()


def _point(latitude: float, longitude: float) -> tuple[float, float, float]:
    lat, lon = math.radians(latitude), math.radians(longitude)
    return (
        EARTH_RADIUS_M * math.cos(lat) * math.cos(lon),
        EARTH_RADIUS_M * math.cos(lat) * math.sin(lon),
        EARTH_RADIUS_M * math.sin(lat),
    )


def earth_distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """earthdistance's earth_distance(ll_to_earth(a), ll_to_earth(b)), in metres: cube_distance
    sums the squared differences in order, then sec_to_gc turns the chord into an arc."""
    squares = 0.0
    for x, y in zip(_point(*a), _point(*b), strict=True):
        squares += (x - y) * (x - y)
    chord = math.sqrt(squares)
    if chord / (2 * EARTH_RADIUS_M) > 1:
        return math.pi * EARTH_RADIUS_M
    return 2 * EARTH_RADIUS_M * math.asin(chord / (2 * EARTH_RADIUS_M))


def _quality_in_range(lot: Availability, q: QualityRange) -> bool:
    number = (lot.normalized_quality_params.get(q.name) or {}).get("number")
    if number is None:
        return True  # a parameter the lot does not report is not filtered out
    x = float(number)
    if q.low is not None and not x >= _widen(q.low, -1):
        return False
    return q.high is None or x <= _widen(q.high, 1)


class StandingSearch:
    """One WatchSearch's criteria for one caller, judging lot states."""

    def __init__(
        self,
        principal: Principal,
        query: SearchQuery,
        commodity: Commodity,
        plan: Plan,
        embedder: Embedder,
        criteria_key: bytes | None = None,
    ) -> None:
        """`criteria_key`: equal for equal criteria (search_stream.criteria_key), shares
        their scores; None scores on its own."""
        self.principal = principal
        self.criteria_key = criteria_key
        self.query = query
        self.commodity = commodity
        self.plan = plan
        self.embedder = embedder
        self._scorer = Scorer(plan.criteria, commodity)  # score_lot, its constants computed once
        self._regions = frozenset(r.lower() for r in query.delivery_regions)
        self.summation = Summation()

    @property
    def summation(self) -> Summation:
        return self._summation

    @summation.setter
    def summation(self, summation: Summation) -> None:
        """The calibrated summation (watch.similarity.calibrated), set before any scoring."""
        self._summation = summation
        self._target = Embedded(self.plan.target_vector, summation)
        # Equal criteria under one summation score alike: one small number names them.
        self.criteria_id = (
            None if self.criteria_key is None else criteria_id(self.criteria_key, summation)
        )

    def evaluate(self, lot: Availability | None) -> Match | None:
        """The lot's match (score, breakdown, distance), or None when it is not in the set:
        what the criteria alone decide (`judged`, shared by equal criteria), then what
        depends on who asks and when (`admits`), judged for this search every time."""
        if lot is None:
            return None
        judged = self.judged(lot)
        if judged is None or not self.admits(lot):
            return None
        return Match(lot, *judged)

    def judged(self, lot: Availability) -> Judged | None:
        """The lot state's score, breakdown and distance when it passes the criteria's own
        filters and threshold, else None; equal criteria judge a lot state once between them."""
        if self.criteria_id is None:
            return self._judge(lot)
        key = (self.criteria_id, lot.id.int, lot.revision)
        found = _JUDGED.get(key, _UNJUDGED)
        if found is _UNJUDGED:
            found = _JUDGED[key] = self._judge(lot)
            if len(_JUDGED) > SCORE_CACHE_SIZE:
                _JUDGED.popitem(last=False)
        return found  # type: ignore[return-value]  # _UNJUDGED was replaced above

    def _judge(self, lot: Availability) -> Judged | None:
        if not self._criteria_in(lot):
            return None
        match, passes = self.score(lot)
        if not passes or match.score < self.query.score_threshold:
            return None
        return match.score, match.breakdown, match.distance_km

    def score(self, lot: Availability) -> tuple[Match, bool]:
        """The lot scored as search scores it, and whether it passes scoring's own filters."""
        if self.criteria_id is None:
            return self._score(lot)
        key = (self.criteria_id, lot.id.int, lot.revision)
        found = _SCORES.get(key)
        if found is None:
            match, passes = self._score(lot)
            _SCORES[key] = (match.score, match.breakdown, match.distance_km, passes)
            if len(_SCORES) > SCORE_CACHE_SIZE:
                _SCORES.popitem(last=False)
            return match, passes
        score, breakdown, distance_km, passes = found
        return Match(lot, score, breakdown, distance_km), passes

    def _score(self, lot: Availability) -> tuple[Match, bool]:
        shared = shared_state(lot, self.commodity, self.embedder, self._summation)
        distance_km = self._distance_km(lot)
        cosine = shared.embedded.remembered_distance(self._target, self._summation)
        candidate = shared.candidate(lot, cosine, distance_km)
        scored = self._scorer.score(candidate)
        return Match(lot, scored.score, scored.breakdown, distance_km), scored.passes

    def _distance_km(self, lot: Availability) -> float | None:
        if self.query.near is None or lot.latitude is None or lot.longitude is None:
            return None
        return earth_distance_m(self.query.near, (lot.latitude, lot.longitude)) / 1000.0

    def _criteria_in(self, lot: Availability) -> bool:
        """storage.search's SQL filters on one lot state, but for the caller's visibility and
        the clock-bound ones (`admits`): what the criteria alone decide."""
        q = self.query
        # Every test must pass, so their order is free: the cheap comparisons come first
        # (a repriced lot is mostly turned away by a search's price ceiling).
        if (
            lot.commodity != self.commodity.code
            or lot.state is not LotState.ACTIVE
            or lot.delete_time is not None
            or not lot.available_quantity > 0
            or (lot.ai_price_anomaly and not q.include_anomalies)
        ):
            return False
        if self.plan.price_limit is not None and (
            lot.base_price_unit != self.plan.price_unit
            or lot.price_per_base_unit is None
            or lot.price_per_base_unit > self.plan.price_limit
        ):
            return False
        if not all(_quality_in_range(lot, r) for r in self.plan.ranges):
            return False
        if q.near is not None and q.radius_km is not None:
            distance = self._distance_km(lot)
            limit_m = _widen(q.radius_km * 1000.0, 1) + EARTH_RADIUS_SLACK_M
            if distance is None or distance * 1000.0 > limit_m:
                return False
        if q.min_quantity is not None and (
            lot.quantity_in_base_unit is None
            or lot.available_quantity * lot.quantity_in_base_unit
            < q.min_quantity * lot.total_quantity
        ):
            return False
        return self._window_and_terms(lot)

    def _window_and_terms(self, lot: Availability) -> bool:
        q = self.query
        if (
            q.delivery_window_end is not None
            and lot.delivery_window_start is not None
            and lot.delivery_window_start > q.delivery_window_end
        ):
            return False
        if (
            q.delivery_window_start is not None
            and lot.delivery_window_end is not None
            and lot.delivery_window_end < q.delivery_window_start
        ):
            return False
        if q.incoterm and q.incoterm != lot.incoterm and q.incoterm not in lot.supported_incoterms:
            return False
        return self._regions_price_and_order(lot)

    def _regions_price_and_order(self, lot: Availability) -> bool:
        """The filters of issue 14b that do not depend on the clock, as storage.search and
        service_layer.search apply them."""
        q, plan = self.query, self.plan
        if q.delivery_regions and lot.delivery_region.lower() not in self._regions:
            return False
        if plan.price_floor is not None and (
            lot.base_price_unit != plan.price_unit
            or lot.price_per_base_unit is None
            or lot.price_per_base_unit < plan.price_floor
        ):
            return False
        # SQL's necessary condition for an order (the whole order is available now).
        return q.order_quantity is None or (
            lot.quantity_in_base_unit is not None
            and lot.available_quantity * lot.quantity_in_base_unit
            >= q.order_quantity * lot.total_quantity
        )

    def admits(self, lot: Availability, moment: datetime | None = None) -> bool:
        """What depends on who asks and when: the caller may see the lot (visibility.can_see),
        and the clock-bound filters hold now (`moment`: the time a batch of events is judged
        at, read once for the batch; None: now).

        Those (the availability window, and whether an order would be granted: the hold
        rules) are judged at the moment the lot state is evaluated, as a search run then
        would judge them: a window that opens or closes with no write to the lot is seen at
        the lot's next event (docs/watch.md).
        """
        if not can_see_lot(self.principal, lot):
            return False
        moment = now() if moment is None else moment
        # The window alone (search does not apply the daily cut-off to every search).
        if hold_rules.timing_refusal(lot, moment) == "OUTSIDE_AVAILABILITY_WINDOW":
            return False
        q = self.query
        return q.order_quantity is None or grants_order(
            _order_row(lot), OrderFilter(q.order_quantity, moment)
        )


def _order_row(lot: Availability) -> CandidateRow:
    """The lot as search's order check reads it (the OrderTerms columns)."""
    terms = OrderTerms(
        available_quantity=lot.available_quantity,
        total_quantity=lot.total_quantity,
        quantity_in_base_unit=lot.quantity_in_base_unit,
        min_order_quantity=lot.min_order_quantity,
        allow_partial_order=lot.allow_partial_order,
        valid_until=lot.valid_until,
        available_from=lot.available_from,
        available_until=lot.available_until,
        eod_cutoff=lot.eod_cutoff,
    )
    return CandidateRow(lot.id, {}, None, 0.0, None, None, order_terms=terms)

"""The search page from index lists, one per score factor (the threshold algorithm).

For a search without quality targets and without a point, a lot's score depends only on
its vector factor, its confidence and (with a max price) its price. storage.search_lists
hands out the lots passing the filters in the order of each of those inputs, best first,
from indexes. Every lot read from any list is scored exactly (score_lot). A lot not read
yet from any list scores at most the score of a lot whose every factor equals the last
value its list read (`score_bound`: score_lot's weighted mean is non-decreasing in each
factor, in float arithmetic too), so the exact matches above that bound (+ SCORE_SLACK)
are final, in their final order. Reading stops when they fill the page (+ 1), when the
bound falls below the score threshold, or when a list that covers every lot runs out.
The result is the one scoring every lot gives; the cost grows with the page and the
spread of the scores at its edge, not with the market.

With both a vector and a confidence weight the vector list is read by band (VECTOR_BAND:
a band of distances, then highest confidence first). A commodity's lots often share one
distance to its centre (all those reporting no quality: a thousand gold lots in the
benchmark market, whose confidences are spread), and a list by distance alone hands them
out by id, so the bound stays high until the whole tie is read. By band, an unread lot with
an embedding is either in the last band read, below the last confidence read there, or in
a later band, at or beyond the next band (one row read past the band tells which): both
cases bound its score (`ThresholdReader._vector_cases`), and the best lots of the band come
first.

With the default weights' mix of vector and confidence (4 to 1) and no price factor, the
lots with an embedding come from one list in the order of that mix (MIX): their score, up
to float rounding far below SCORE_SLACK, so an unread one scores at most the last key read
(+ SCORE_SLACK), and the page is the list's first rows, however the two inputs spread.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from availability_service.intelligence import Commodity, SearchCriteria
from availability_service.intelligence.factors import clamp01, combine
from availability_service.intelligence.scoring import price_score, vector_score
from availability_service.service_layer.ports.search import (
    SCORE_SLACK,
    VECTOR_BANDS_PER_UNIT,
    CandidateRow,
    FactorList,
    ListRead,
    ListRow,
)


def applies(criteria: SearchCriteria, near: object | None) -> bool:
    """Whether every factor of this search has a list (no quality, no distance factor)."""
    return not criteria.quality_targets and near is None


@dataclass
class _List:
    factor: FactorList
    after: tuple[Any, uuid.UUID | None] | None = None
    done: bool = False
    rows: int = field(default=0)
    # VECTOR_BAND: the band of the first row past the last band read (None: no later band).
    next_band: float | None = None


def score_bound(
    criteria: SearchCriteria,
    vector: float | None,
    confidence: float,
    no_vector_confidence: float | None,
    price: float,
) -> float:
    """The highest score an unread lot can have, from the last values read: `vector` the
    vector factor bound of lots with an embedding (None: none is left), `confidence` and
    `price` the factor bounds, `no_vector_confidence` the confidence bound of lots without
    an embedding (None: none is left)."""
    weights = criteria.weights.as_dict()
    cases: list[tuple[float | None, float]] = []
    if vector is not None:
        cases.append((vector, confidence))
    if no_vector_confidence is not None:
        cases.append((None, min(confidence, no_vector_confidence)))
    best = 0.0
    for vector_value, confidence_value in cases:
        # In score_lot's order, so the sum is rounded alike.
        values: dict[str, float] = {}
        if vector_value is not None:
            values["vector"] = vector_value
        if criteria.max_price is not None:
            values["price"] = price
        values["confidence"] = confidence_value
        best = max(best, combine(weights, values)[0])
    return best


def _confidence_bound(key: float) -> float:
    return 1.0 if math.isnan(key) else clamp01(key)


def band_vector_bound(band: float) -> float:
    """The highest vector factor of a lot in this band or a later one: its distance d has
    floor(d x VECTOR_BANDS_PER_UNIT) >= band in float8, so d is at least a hair below
    band / VECTOR_BANDS_PER_UNIT (a thousandth of a band covers the rounding). A NaN band
    holds only NaN distances, whose vector factor is 0, as clamp01 counts NaN."""
    return vector_score(1.0 - (band - 0.001) / VECTOR_BANDS_PER_UNIT)


class ThresholdReader:
    """Reads the lists of one search in growing rounds; see the module docstring.

    `read` returns the next rows of the lists asked (storage.search_lists.read_lists over
    the search's filter, in one round trip); `rank` scores rows exactly and keeps the
    matches after the page token.
    """

    def __init__(
        self,
        read: Callable[[Sequence[ListRead]], dict[FactorList, list[ListRow]]],
        criteria: SearchCriteria,
        commodity: Commodity,
        rank: Callable[[Sequence[CandidateRow]], list[Any]],
    ) -> None:
        self.read, self.criteria, self.commodity, self.rank = read, criteria, commodity, rank
        weights = criteria.weights.as_dict()
        pricing = criteria.max_price is not None and weights["price"] > 0
        self.lists = {FactorList.NO_VECTOR: _List(FactorList.NO_VECTOR)}
        mixed = not pricing and weights["vector"] == 4 * weights["confidence"] > 0
        if mixed:
            self.lists[FactorList.MIX] = _List(FactorList.MIX)
        elif weights["vector"] > 0:
            # By band when the confidence also counts: see the module docstring.
            vector = FactorList.VECTOR_BAND if weights["confidence"] > 0 else FactorList.VECTOR
            self.lists[vector] = _List(vector)
        if not mixed and (weights["confidence"] > 0 or not (weights["vector"] > 0 or pricing)):
            self.lists[FactorList.CONFIDENCE] = _List(FactorList.CONFIDENCE)
        if pricing:
            self.lists[FactorList.PRICE] = _List(FactorList.PRICE)
        self.bounds: dict[FactorList, float] = {}
        self.seen: set[uuid.UUID] = set()

    def read_round(self, limit: int) -> list[Any]:
        """One read of `limit` rows from every list not run out; the new matches."""
        found: list[Any] = []
        reads = [ListRead(s.factor, limit, s.after) for s in self.lists.values() if not s.done]
        read = self.read(reads)
        for state in self.lists.values():
            if state.done:
                continue
            rows = read[state.factor]
            state.done = len(rows) < limit
            state.rows += len(rows)
            if rows:
                state.after = (rows[-1].key, rows[-1].row.id)
                self.bounds[state.factor] = self._factor_bound(state.factor, rows[-1].key)
            if state.factor is FactorList.VECTOR_BAND and not state.done:
                rows = rows + self._past_band(state)
            found += self._new_matches(rows)
        return found

    def _new_matches(self, rows: Sequence[ListRow]) -> list[Any]:
        new = [r.row for r in rows if r.row.id not in self.seen]
        self.seen.update(row.id for row in new)
        return self.rank(new)

    def _past_band(self, state: _List) -> list[ListRow]:
        """The first row past the last band read (its lot is scored like any read one),
        which tells where the next band starts."""
        assert state.after is not None
        (band, _), _ = state.after
        following = self.read([ListRead(state.factor, 1, ((band, None), None))])[state.factor]
        state.next_band = following[0].key[0] if following else None
        return following

    def _factor_bound(self, factor: FactorList, key: Any) -> float:
        if factor is FactorList.VECTOR:
            return vector_score(1.0 - float(key))
        if factor is FactorList.VECTOR_BAND:
            return band_vector_bound(float(key[0]))
        if factor is FactorList.MIX:
            return 1.0 if math.isnan(key) else float(key)  # a score, not a factor
        if factor is FactorList.PRICE:
            assert self.criteria.max_price is not None
            return price_score(key, self.criteria.max_price, self.criteria.price_tolerance_percent)[
                0
            ]
        return _confidence_bound(float(key))

    def everything_read(self) -> bool:
        """A list covering every lot ran out (or both halves: with and without a vector)."""
        lists = self.lists

        def out(factor: FactorList) -> bool:
            return factor in lists and lists[factor].done

        covering = out(FactorList.CONFIDENCE) or out(FactorList.PRICE)
        vectors = out(FactorList.VECTOR) or out(FactorList.VECTOR_BAND) or out(FactorList.MIX)
        return covering or (vectors and out(FactorList.NO_VECTOR))

    def _vector_cases(self, confidence: float) -> list[tuple[float, float]]:
        """(vector factor, confidence) bounds covering every unread lot with an embedding,
        given `confidence`, the confidence bound of every unread lot."""
        if FactorList.VECTOR_BAND not in self.lists:
            plain = self.lists.get(FactorList.VECTOR)
            if plain is None:
                return [(1.0, confidence)]  # no vector weight: any vector factor
            return [] if plain.done else [(self.bounds.get(FactorList.VECTOR, 1.0), confidence)]
        state = self.lists[FactorList.VECTOR_BAND]
        if state.done:
            return []
        if state.after is None:
            return [(1.0, confidence)]
        (_, last_confidence), _ = state.after
        # In the last band read: at most its distance floor, and after the last confidence.
        cases = [
            (
                self.bounds[FactorList.VECTOR_BAND],
                min(confidence, _confidence_bound(float(last_confidence))),
            )
        ]
        if state.next_band is not None:  # in a later band: from the next band's floor on
            cases.append((band_vector_bound(state.next_band), confidence))
        return cases

    def bound(self) -> float:
        """score_bound from the lists' last values (1 for a factor without a list)."""
        lists, bounds = self.lists, self.bounds
        confidence = bounds.get(FactorList.CONFIDENCE, 1.0)
        price = bounds.get(FactorList.PRICE, 1.0)
        no_vector = lists[FactorList.NO_VECTOR]
        best = 0.0
        if not no_vector.done:
            no_vector_confidence = bounds.get(FactorList.NO_VECTOR, 1.0)
            best = score_bound(self.criteria, None, confidence, no_vector_confidence, price)
        mix = lists.get(FactorList.MIX)
        if mix is not None:  # its key bounds the score itself
            return best if mix.done else max(best, bounds.get(FactorList.MIX, 1.0))
        for vector, vector_confidence in self._vector_cases(confidence):
            best = max(best, score_bound(self.criteria, vector, vector_confidence, None, price))
        return best

    def _only_list(self) -> _List | None:
        """The one list whose factor decides the score, if only one factor has a weight
        (and no lot without an embedding is left, whose score could differ)."""
        weights = self.criteria.weights.as_dict()
        if not self.lists[FactorList.NO_VECTOR].done:
            return None
        weighted = [name for name, w in weights.items() if w > 0]
        if len(weighted) != 1 or weighted[0] == "quality" or weighted[0] == "distance":
            return None
        factor = FactorList(weighted[0])
        if factor is FactorList.PRICE and self.criteria.max_price is None:
            return None
        return self.lists.get(factor)

    def _score_at(self, factor: FactorList, key: Any) -> float:
        """The exact score of a lot whose (only weighted) factor input is `key`."""
        value = self._factor_bound(factor, key)
        return score_bound(
            self.criteria,
            vector=value if factor is FactorList.VECTOR else 1.0,
            confidence=value if factor is FactorList.CONFIDENCE else 1.0,
            no_vector_confidence=None,
            price=value if factor is FactorList.PRICE else 1.0,
        )

    def _settled_by_key(self, ranked: list[Any]) -> list[Any]:
        """When one factor decides the score, lots tied with the last read one are final
        too, as far as its id: the unread lots of its key have larger ids (the list reads
        (key, id) in order), and every other unread lot scores below it, which the next
        key proves (one row read). So a run of thousands of equal keys costs no more
        reads than the page."""
        state = self._only_list()
        if state is None or state.after is None or state.done:
            return []
        key, last_id = state.after
        if last_id is None or (isinstance(key, float) and math.isnan(key)):
            return []  # a NaN confidence is read first but scores 0: not its key's score
        last_score = self._score_at(state.factor, key)
        probe = ListRead(state.factor, 1, (key, None))
        following = self.read([probe])[state.factor]
        if following and not self._score_at(state.factor, following[0].key) < last_score:
            return []
        return [
            r
            for r in ranked
            if r.score > last_score or (r.score == last_score and r.row.id <= last_id)
        ]

    def ranked(
        self, first_limit: int, growth: int, max_limit: int, threshold: float, size: int
    ) -> list[Any]:
        """The matches after the token: the first size + 1, or all there are."""
        ranked: list[Any] = []
        limit = first_limit
        while True:
            ranked = sorted(ranked + self.read_round(limit), key=lambda r: (-r.score, r.name))
            if self.everything_read():
                return ranked
            ceiling = self.bound() + SCORE_SLACK
            if ceiling < threshold:
                return ranked  # nothing unread can reach the threshold
            settled = [r for r in ranked if r.score > ceiling]
            if len(settled) <= size:
                settled = self._settled_by_key(ranked)
            if len(settled) > size:
                return settled
            limit = min(max_limit, limit * growth)

"""The search page of a search with a point, proven from score bounds (SearchReads.bounded).

Each lot's score is bounded from above without its embedding: every other factor comes
from an index (storage.search_bounds), and the vector factor is at most 1. The reads hand
out the lots passing the indexed filters by that bound, best first, in growing batches,
with the rows of the batch that pass every filter; each of those is scored exactly. A lot
not read yet has a bound at most the last one read, so an exact score at most that bound
+ SCORE_SLACK (the approximate score the bound is built from is within SCORE_SLACK of the
exact one): the exact matches above it are final, in their final order. Reading stops when
they fill the page (+ 1), when the bound falls below the score threshold, or when no lot is
left. Once page + 1 matches are known, later reads keep only the lots whose bound reaches
the (page + 1)-th score - SCORE_SLACK: no other can still enter the page.

The cost is the index scan over the radius (no table page) plus the table rows of the
lots whose bound reaches the page's last score, a few times the page where the vector
factor varies little between lots of one commodity, as it does.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

from availability_service.intelligence import Commodity, SearchCriteria
from availability_service.service_layer.ports.search import (
    SCORE_SLACK,
    BoundRead,
    CandidateFilter,
    CandidateRow,
    ScoreOrder,
    SearchReads,
)


def applies(near: object | None) -> bool:
    """Whether the search has a point: then the radius bounds the index scan."""
    return near is not None


def ranked_by_bound(
    reads: SearchReads,
    flt: CandidateFilter,
    criteria: SearchCriteria,
    commodity: Commodity,
    rank: Callable[[Sequence[CandidateRow]], list[Any]],
    threshold: float,
    size: int,
    limits: tuple[int, int, int],
) -> list[Any]:
    """The matches after the token (`rank` scores rows exactly and keeps those after it):
    the first size + 1, or all there are. `limits`: the first read's size, its growth per
    read, the largest read."""
    first, growth, largest = limits
    flt = dataclasses.replace(flt, ranking=ScoreOrder(criteria, commodity))
    floor = threshold - SCORE_SLACK
    read = BoundRead(first, floor=floor)
    ranked: list[Any] = []
    while True:
        batch = reads.bounded(flt, read)
        ranked = sorted(ranked + rank(batch.rows), key=lambda r: (-r.score, r.name))
        if batch.read < read.limit or batch.last is None:
            return ranked  # every lot whose bound reaches the floor is read
        ceiling = batch.last[0] + SCORE_SLACK
        if ceiling < threshold:
            return ranked  # nothing unread can reach the threshold
        settled = [r for r in ranked if r.score > ceiling]
        if len(settled) > size:
            return settled
        if len(ranked) > size:
            # Only a lot scoring at least the (size + 1)-th so far can still enter.
            floor = max(ranked[size].score - SCORE_SLACK, floor)
        read = BoundRead(min(largest, read.limit * growth), batch.last, floor)

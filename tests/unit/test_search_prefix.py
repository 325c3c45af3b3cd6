"""Reads best first by approximate score give the same page as scoring every lot exactly.

Pure logic: the candidate query is replaced by a list in the SQL order (approximate score
descending, then id, with the read's floor, ceiling and continuation applied), where each
approximate score is the exact one off by up to SCORE_SLACK, so hypothesis can try the cases
real data rarely has: equal scores, approximate orders that disagree with the exact one,
lots the exact check drops after SQL kept them, lots without an embedding, thresholds and
page tokens anywhere.
"""

from __future__ import annotations

import dataclasses
import uuid
from decimal import Decimal
from typing import Any
from unittest import mock

from hypothesis import given, settings
from hypothesis import strategies as st

from availability_service.domain.viewer import SYSTEM
from availability_service.intelligence import ScoreWeights, SearchCriteria, load_catalog, score_lot
from availability_service.service_layer import search as search_module
from availability_service.service_layer.ports.search import (
    SCORE_SLACK,
    CandidateFilter,
    CandidateRow,
)
from availability_service.service_layer.search import Ranked, SearchService, candidate_of, rank
from tests.support.fake_reads import best_first

CATALOG = load_catalog()
COTTON = CATALOG.get("cotton")
WEIGHTS = st.sampled_from(
    [
        ScoreWeights(vector=1.0, quality=0.0, price=0.0, confidence=0.0, distance=0.0),
        ScoreWeights(),
        ScoreWeights(vector=0.0, price=1.0, confidence=1.0),
    ]
)
# Tiny distances that all score exactly 1.0, plus a few distinct ones: ties across distances.
DISTANCES = st.one_of(
    st.none(),
    st.sampled_from([0.0, 1e-17, 2e-17, 0.25, 0.5, 0.5000000001, 1.0, 2.0]),
    st.floats(min_value=0.0, max_value=2.0),
)
NOISE = st.sampled_from([-SCORE_SLACK, -SCORE_SLACK / 3, 0.0, SCORE_SLACK / 2, SCORE_SLACK])


@st.composite
def candidates(draw: Any, criteria: SearchCriteria) -> list[CandidateRow]:
    ids = draw(st.lists(st.integers(min_value=0, max_value=2**128 - 1), max_size=60, unique=True))
    rows = []
    for number in ids:
        row = CandidateRow(
            id=uuid.UUID(int=number),
            normalized_quality_params={},
            # Above max_price: kept by the (wider) SQL filter, dropped by the exact check.
            price_per_base_unit=Decimal(draw(st.sampled_from(["50", "50", "20", "150"]))),
            ai_confidence_score=draw(st.sampled_from([0.5, 0.5, 0.9, 0.1])),
            cosine_distance=draw(DISTANCES),
            distance_km=None,
        )
        exact = score_lot(criteria, candidate_of(row), COTTON).score
        rows.append(dataclasses.replace(row, approximate_score=exact + draw(NOISE)))
    # The candidate query's order: best approximate score first, then id.
    return sorted(rows, key=lambda r: (-(r.approximate_score or 0.0), r.id))


class ReadBestFirst:
    """The search reads' candidate query, over a list already in its order."""

    def __init__(self, rows: list[CandidateRow]) -> None:
        self.rows = rows

    def candidates(self, flt: CandidateFilter) -> list[CandidateRow]:
        assert flt.ranking is not None
        return best_first(self.rows, flt.ranking, flt.limit)


@st.composite
def cases(draw: Any) -> tuple[SearchCriteria, list[CandidateRow]]:
    criteria = SearchCriteria(max_price=Decimal("100"), weights=draw(WEIGHTS))
    return criteria, draw(candidates(criteria))


@settings(max_examples=300, deadline=None)
@given(
    case=cases(),
    size=st.integers(min_value=1, max_value=12),
    threshold=st.sampled_from([0.0, 0.5, 0.75, 0.99, 1.0]),
    token_at=st.none() | st.integers(min_value=0, max_value=80),
    returned=st.integers(min_value=0, max_value=30),
    read_limit=st.sampled_from([1, 3, 5000]),
)
def test_best_first_reads_give_the_page_that_scoring_every_lot_gives(
    case: tuple[SearchCriteria, list[CandidateRow]],
    size: int,
    threshold: float,
    token_at: int | None,
    returned: int,
    read_limit: int,
) -> None:
    criteria, rows = case
    everything = rank(criteria, rows, COTTON, threshold)
    after = None
    if token_at is not None and everything:
        last: Ranked = everything[min(token_at, len(everything) - 1)]
        after = (last.score, last.name)
    expected = everything
    if after is not None:
        expected = [r for r in everything if (-r.score, r.name) > (-after[0], after[1])]
    service = SearchService(None, CATALOG, None)  # type: ignore[arg-type]  # no I/O here
    flt = CandidateFilter(commodity="cotton", viewer=SYSTEM, target_vector=[], limit=0)
    with (
        mock.patch.object(search_module, "FIRST_PREFIX", 1),
        mock.patch.object(search_module, "PREFIX_FACTOR", 1),
        mock.patch.object(search_module, "PREFIX_GROWTH", 2),
        mock.patch.object(search_module, "CANDIDATE_LIMIT", read_limit),
        mock.patch.object(search_module, "LIST_DEPTH", 0),  # reads by approximate score
    ):
        plan = mock.Mock(criteria=criteria)
        reads: Any = ReadBestFirst(rows)  # only candidates() is used
        got = service._ranked(reads, flt, plan, COTTON, threshold, after, size, returned)
    assert [r.name for r in got[:size]] == [r.name for r in expected[:size]]
    assert [r.score for r in got[:size]] == [r.score for r in expected[:size]]
    assert (len(got) > size) == (len(expected) > size)

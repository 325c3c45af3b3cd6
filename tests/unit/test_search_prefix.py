"""Nearest-first prefix reads give the same page as scoring the whole candidate set.

Pure logic: the candidate query is replaced by a list in the SQL order (distance, NULLS
LAST, then id), so hypothesis can try the cases real data rarely has: equal scores at
different distances, lots the exact check drops after SQL kept them, lots without an
embedding, thresholds and page tokens anywhere.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any
from unittest import mock

from hypothesis import given, settings
from hypothesis import strategies as st

from availability_service.intelligence import ScoreWeights, SearchCriteria, load_catalog
from availability_service.service_layer import search as search_module
from availability_service.service_layer.search import CANDIDATE_LIMIT, Ranked, SearchService, rank
from availability_service.storage.search import CandidateFilter, CandidateRow

CATALOG = load_catalog()
COTTON = CATALOG.get("cotton")
VECTOR_ONLY = ScoreWeights(vector=1.0, quality=0.0, price=0.0, confidence=0.0, distance=0.0)
CRITERIA = SearchCriteria(max_price=Decimal("100"), weights=VECTOR_ONLY)
# Tiny distances that all score exactly 1.0, plus a few distinct ones: ties across distances.
DISTANCES = st.one_of(
    st.none(),
    st.sampled_from([0.0, 1e-17, 2e-17, 0.25, 0.5, 0.5000000001, 1.0, 2.0]),
    st.floats(min_value=0.0, max_value=2.0),
)


@st.composite
def candidates(draw: Any) -> list[CandidateRow]:
    count = draw(st.integers(min_value=0, max_value=60))
    rows = [
        CandidateRow(
            id=uuid.UUID(int=draw(st.integers(min_value=0, max_value=2**128 - 1))),
            normalized_quality_params={},
            # Above max_price: kept by the (wider) SQL filter, dropped by the exact check.
            price_per_base_unit=Decimal(draw(st.sampled_from(["50", "50", "50", "150"]))),
            ai_confidence_score=0.5,
            cosine_distance=draw(DISTANCES),
            distance_km=None,
        )
        for _ in range(count)
    ]
    # The candidate query's order: nearest first, no embedding last, then id.
    return sorted(
        rows,
        key=lambda r: (r.cosine_distance is None, r.cosine_distance or 0.0, r.id),
    )


def read_prefix(rows: list[CandidateRow]) -> Any:
    def search_candidates(conn: Any, flt: CandidateFilter) -> list[CandidateRow]:
        return rows[: flt.limit]

    return search_candidates


@settings(max_examples=300, deadline=None)
@given(
    rows=candidates(),
    size=st.integers(min_value=1, max_value=12),
    threshold=st.sampled_from([0.0, 0.5, 0.75, 0.99, 1.0]),
    token_at=st.none() | st.integers(min_value=0, max_value=80),
    returned=st.integers(min_value=0, max_value=30),
)
def test_prefix_reads_give_the_page_that_full_scoring_gives(
    rows: list[CandidateRow],
    size: int,
    threshold: float,
    token_at: int | None,
    returned: int,
) -> None:
    everything = rank(CRITERIA, rows[:CANDIDATE_LIMIT], COTTON, threshold)
    after = None
    if token_at is not None and everything:
        last: Ranked = everything[min(token_at, len(everything) - 1)]
        after = (last.score, last.name)
    expected = everything
    if after is not None:
        expected = [r for r in everything if (-r.score, r.name) > (-after[0], after[1])]
    service = SearchService(None, CATALOG, None)  # type: ignore[arg-type]  # no I/O here
    flt = CandidateFilter(commodity="cotton", visible=None, target_vector=[], limit=0)
    with (
        mock.patch.object(search_module, "search_candidates", read_prefix(rows)),
        mock.patch.object(search_module, "FIRST_PREFIX", 1),
        mock.patch.object(search_module, "PREFIX_FACTOR", 1),
        mock.patch.object(search_module, "PREFIX_GROWTH", 2),
    ):
        plan = mock.Mock(criteria=CRITERIA)
        got = service._ranked(None, flt, plan, COTTON, threshold, after, size, returned)  # type: ignore[arg-type]
    assert [r.name for r in got[:size]] == [r.name for r in expected[:size]]
    assert (len(got) > size) == (len(expected) > size)

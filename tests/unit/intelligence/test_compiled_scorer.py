"""A Scorer (score_lot compiled for one criteria, as standing searches score many lot states
with it) gives exactly score_lot's result: the same score, bit for bit, the same breakdown,
the same verdict, whatever the criteria, the lot and the order the lots come in."""

from __future__ import annotations

import math
import struct
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from availability_service.intelligence import (
    LotCandidate,
    QualityTarget,
    Scorer,
    ScoreWeights,
    SearchCriteria,
    load_catalog,
    score_lot,
)
from availability_service.intelligence.factors import clamp01

COTTON = load_catalog().get("cotton")
unit = st.floats(min_value=-0.5, max_value=1.5, allow_nan=False)
maybe = st.one_of(st.none(), st.floats(min_value=0, max_value=60, allow_nan=False))
prices = st.decimals(min_value=Decimal("-10"), max_value=Decimal("4000"), places=3)
weights = st.builds(
    ScoreWeights,
    **{
        name: st.one_of(st.sampled_from([0.0, 1e308]), st.floats(min_value=0, max_value=5))
        for name in ("vector", "quality", "price", "confidence", "distance")
    },
)
targets = st.dictionaries(
    st.sampled_from(["staple_length", "micronaire", "strength", "trash"]),
    st.builds(QualityTarget, value=maybe, tolerance=maybe, tolerance_percent=maybe, min=maybe),
    max_size=3,
)
criteria = st.builds(
    SearchCriteria,
    quality_targets=targets,
    max_price=st.one_of(st.none(), prices),
    price_tolerance_percent=st.floats(min_value=0, max_value=1000),
    radius_km=st.one_of(st.none(), st.floats(min_value=0, max_value=2000)),
    weights=weights,
)
lots = st.builds(
    LotCandidate,
    normalized_quality=st.dictionaries(
        st.sampled_from(["staple_length", "micronaire", "strength", "mic"]),
        st.floats(min_value=0, max_value=60),
        max_size=3,
    ),
    price=st.one_of(st.none(), prices),
    cosine_similarity=st.one_of(st.none(), st.floats(min_value=-1, max_value=1)),
    distance_km=st.one_of(st.none(), st.floats(min_value=0, max_value=3000)),
    ai_confidence_score=st.one_of(st.none(), unit),
)


def bits(value: float) -> bytes:
    """The float's exact encoding (0.0 and -0.0 differ, as they do on the wire)."""
    return struct.pack("<d", value)


@given(criteria, st.lists(lots, min_size=1, max_size=6), st.booleans())
def test_a_compiled_scorer_gives_score_lots_result_bit_for_bit(
    searched: SearchCriteria, candidates: list[LotCandidate], with_catalog: bool
) -> None:
    commodity = COTTON if with_catalog else None
    scorer = Scorer(searched, commodity)
    for lot in candidates + candidates:  # its kept weights, reused
        expected = score_lot(searched, lot, commodity)
        got = scorer.score(lot)
        assert bits(got.score) == bits(expected.score)
        assert got.passes == expected.passes
        assert got.breakdown == expected.breakdown
        for mine, theirs in zip(got.breakdown, expected.breakdown, strict=True):
            for field in ("weight", "value", "contribution"):
                assert bits(getattr(mine, field)) == bits(getattr(theirs, field))


@given(st.one_of(st.floats(), st.sampled_from([-0.0, 0.0, 1.0, math.inf, -math.inf, math.nan])))
def test_clamping_is_min_max_with_nan_as_zero_and_never_a_negative_zero(value: float) -> None:
    expected = 0.0 if math.isnan(value) else min(1.0, max(0.0, value))
    assert bits(clamp01(value)) == bits(expected)

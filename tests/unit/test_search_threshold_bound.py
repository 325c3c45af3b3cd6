"""The factor lists' bound: no lot whose factors are at most the last values read (each
list's own) can score above it, whatever the weights, prices and activity of its vector."""

from __future__ import annotations

import math
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from availability_service.intelligence import LotCandidate, SearchCriteria, score_lot
from availability_service.intelligence.scoring import ScoreWeights, price_score, vector_score
from availability_service.service_layer.ports.search import (
    MIX_CONFIDENCE,
    MIX_VECTOR,
    SCORE_SLACK,
    VECTOR_BANDS_PER_UNIT,
)
from availability_service.service_layer.search_threshold import band_vector_bound, score_bound

unit = st.floats(min_value=0.0, max_value=1.0)
weight = st.floats(min_value=0.0, max_value=5.0)
distance = st.floats(min_value=0.0, max_value=2.0)
price = st.decimals(min_value=0, max_value=5000, places=2)


@given(
    weights=st.tuples(weight, weight, weight),
    read=st.tuples(distance, unit, price),
    behind=st.tuples(distance, unit, price),
    has_vector=st.booleans(),
    max_price=st.one_of(st.none(), st.decimals(min_value=1, max_value=5000, places=2)),
)
def test_an_unread_lot_never_scores_above_the_bound_of_the_last_values_read(
    weights: tuple[float, float, float],
    read: tuple[float, float, Decimal],
    behind: tuple[float, float, Decimal],
    has_vector: bool,
    max_price: Decimal | None,
) -> None:
    last_distance, last_confidence, last_price = read
    # The unread lot comes after the last read one in every list.
    lot_distance = last_distance + behind[0]
    lot_confidence = last_confidence * behind[1]
    lot_price = last_price + behind[2]
    criteria = SearchCriteria(
        max_price=max_price,
        price_tolerance_percent=1000.0,
        weights=ScoreWeights(vector=weights[0], confidence=weights[1], price=weights[2]),
    )
    lot = LotCandidate(
        price=lot_price,
        cosine_similarity=1.0 - lot_distance if has_vector else None,
        ai_confidence_score=lot_confidence,
    )
    price_bound = 1.0 if max_price is None else price_score(last_price, max_price, 1000.0)[0]
    bound = score_bound(
        criteria,
        vector=vector_score(1.0 - last_distance) if has_vector else None,
        confidence=last_confidence,
        no_vector_confidence=None if has_vector else last_confidence,
        price=price_bound,
    )
    assert score_lot(criteria, lot).score <= bound


@given(distance=distance, band_offset=st.integers(min_value=0, max_value=3))
def test_a_lot_in_a_band_or_a_later_one_never_has_a_vector_factor_above_the_bands_bound(
    distance: float, band_offset: int
) -> None:
    band = math.floor(distance * VECTOR_BANDS_PER_UNIT) - band_offset  # as PostgreSQL rounds
    assert vector_score(1.0 - distance) <= band_vector_bound(float(band))


@given(
    distance=distance,
    confidence=st.one_of(st.floats(min_value=-2, max_value=2), st.just(math.nan)),
    scale=st.floats(min_value=1e-3, max_value=1e3),
)
def test_the_mix_key_bounds_the_score_of_every_weighting_in_the_default_mix(
    distance: float, confidence: float, scale: float
) -> None:
    """storage.search_lists.mix, in Python: a lot's score with vector and confidence
    weighted 4 to 1 (and no price) is at most its key + SCORE_SLACK (a NaN key is read
    first, so needs no bound)."""
    key = MIX_VECTOR * ((2 - distance) / 2) + MIX_CONFIDENCE * max(confidence, 0.0)
    if math.isnan(confidence):
        key = math.nan
    criteria = SearchCriteria(weights=ScoreWeights(vector=4 * scale, confidence=scale))
    lot = LotCandidate(cosine_similarity=1.0 - distance, ai_confidence_score=confidence)
    assert math.isnan(key) or score_lot(criteria, lot).score <= key + SCORE_SLACK

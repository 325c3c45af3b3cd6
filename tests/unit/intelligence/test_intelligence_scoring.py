"""Lot scoring: ordering, exact tolerance edges, weights, and the readiness score."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from availability_service.intelligence import (
    LotCandidate,
    QualityTarget,
    ScoreWeights,
    SearchCriteria,
    distance_score,
    load_catalog,
    price_score,
    quality_score,
    readiness_score,
    score_lot,
    vector_score,
)

CATALOG = load_catalog()
COTTON = CATALOG.get("cotton")
STAPLE_28 = {"staple_length": QualityTarget(value=28.0, tolerance=2.0)}


def lot(**overrides: object) -> LotCandidate:
    fields: dict[str, object] = {
        "normalized_quality": {"staple_length": 28.0},
        "price": Decimal("1600"),
        "cosine_similarity": 0.8,
        "ai_confidence_score": 0.9,
    }
    fields.update(overrides)
    return LotCandidate(**fields)  # type: ignore[arg-type]


def test_closer_staple_ranks_higher() -> None:
    criteria = SearchCriteria(quality_targets=STAPLE_28)
    close = score_lot(criteria, lot(normalized_quality={"staple_length": 28.5}), COTTON)
    far = score_lot(criteria, lot(normalized_quality={"staple_length": 29.5}), COTTON)
    assert close.passes and far.passes
    assert close.score > far.score


def test_lower_price_ranks_higher() -> None:
    criteria = SearchCriteria(max_price=Decimal("1800"))
    cheap = score_lot(criteria, lot(price=Decimal("1500")), COTTON)
    dear = score_lot(criteria, lot(price=Decimal("1750")), COTTON)
    assert cheap.score > dear.score


def test_nearer_location_ranks_higher() -> None:
    criteria = SearchCriteria(radius_km=500)
    near = score_lot(criteria, lot(distance_km=20.0), COTTON)
    far = score_lot(criteria, lot(distance_km=400.0), COTTON)
    assert near.score > far.score


def test_tolerance_edges_are_inclusive_exactly() -> None:
    target = {"staple_length": QualityTarget(value=28.0, tolerance=1.4)}
    assert quality_score(target, {"staple_length": 29.4}, COTTON) == (0.0, True)
    assert quality_score(target, {"staple_length": 26.6}, COTTON) == (0.0, True)
    assert quality_score(target, {"staple_length": 29.400001}, COTTON)[1] is False


def test_percent_tolerance_edge_is_inclusive_despite_float_noise() -> None:
    # 28 x 5 % is 1.4000000000000001 in floats; the edge must still pass.
    target = {"staple_length": QualityTarget(value=28.0, tolerance_percent=5.0)}
    assert quality_score(target, {"staple_length": 29.4}, COTTON)[1] is True
    assert quality_score(target, {"staple_length": 29.41}, COTTON)[1] is False


def test_min_and_max_edges_are_inclusive() -> None:
    target = {"micronaire": QualityTarget(min=3.5, max=4.9)}
    assert quality_score(target, {"micronaire": 3.5}, COTTON)[1]
    assert quality_score(target, {"micronaire": 4.9}, COTTON)[1]
    assert not quality_score(target, {"micronaire": 4.91}, COTTON)[1]


def test_within_tolerance_scores_one_minus_the_share_of_tolerance_used() -> None:
    score, passes = quality_score(STAPLE_28, {"staple_length": 28.5}, COTTON)
    assert passes and score == pytest.approx(0.75)


def test_target_and_lot_names_resolve_through_aliases() -> None:
    target = {"staple": QualityTarget(value=28.0, tolerance=2.0)}
    assert quality_score(target, {"staple_length_mm": 28.0}, COTTON) == (1.0, True)


def test_a_lot_outside_a_quality_target_fails_the_filter() -> None:
    criteria = SearchCriteria(quality_targets=STAPLE_28)
    assert not score_lot(criteria, lot(normalized_quality={"staple_length": 31.0}), COTTON).passes


def test_price_edges_max_price_scores_half_and_the_tolerance_limit_passes() -> None:
    assert price_score(Decimal("1800"), Decimal("1800")) == (0.5, True)
    assert price_score(Decimal("1890"), Decimal("1800"), 5.0) == (0.0, True)
    assert price_score(Decimal("1890.01"), Decimal("1800"), 5.0) == (0.0, False)
    assert price_score(Decimal("1800.01"), Decimal("1800"))[1] is False


def test_distance_decays_to_half_at_the_radius_and_fails_beyond() -> None:
    assert distance_score(0.0, 100.0) == (1.0, True)
    assert distance_score(100.0, 100.0) == (pytest.approx(0.5), True)
    assert distance_score(100.001, 100.0) == (0.0, False)


def test_vector_score_maps_cosine_to_zero_one() -> None:
    assert (vector_score(-1.0), vector_score(0.0), vector_score(1.0)) == (0.0, 0.5, 1.0)


def test_default_weights_are_the_seed_weights_when_no_point_is_given() -> None:
    criteria = SearchCriteria(quality_targets=STAPLE_28, max_price=Decimal("2000"))
    scored = score_lot(criteria, lot(), COTTON)
    weights = {f.name: f.weight for f in scored.breakdown}
    assert weights == pytest.approx(
        {"vector": 0.4, "quality": 0.3, "price": 0.2, "confidence": 0.1}
    )
    assert scored.score == pytest.approx(sum(f.contribution for f in scored.breakdown))


def test_distance_takes_weight_only_when_a_point_is_given_and_weights_renormalise() -> None:
    criteria = SearchCriteria(quality_targets=STAPLE_28, max_price=Decimal("2000"), radius_km=100)
    scored = score_lot(criteria, lot(distance_km=10.0), COTTON)
    weights = {f.name: f.weight for f in scored.breakdown}
    assert weights["distance"] == pytest.approx(0.1 / 1.1)
    assert sum(weights.values()) == pytest.approx(1.0)


def test_overridden_weights_are_renormalised() -> None:
    criteria = SearchCriteria(weights=ScoreWeights(vector=3, quality=0, price=0, confidence=1))
    scored = score_lot(criteria, lot(), COTTON)
    assert {f.name: f.weight for f in scored.breakdown} == {"vector": 0.75, "confidence": 0.25}


def test_negative_weights_are_refused() -> None:
    with pytest.raises(ValueError, match="vector"):
        ScoreWeights(vector=-1)


finite = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e6, max_value=1e6)


@given(
    cosine=st.one_of(st.none(), st.floats(min_value=-1, max_value=1)),
    staple=finite,
    price=st.decimals(min_value=0, max_value=10**6, places=2),
    max_price=st.one_of(st.none(), st.decimals(min_value=0, max_value=10**6, places=2)),
    distance=st.one_of(st.none(), st.floats(min_value=0, max_value=20000)),
    confidence=st.one_of(st.none(), st.floats(min_value=0, max_value=1)),
    weight=st.floats(min_value=0, max_value=10),
)
def test_score_is_always_between_zero_and_one(
    cosine: float | None,
    staple: float,
    price: Decimal,
    max_price: Decimal | None,
    distance: float | None,
    confidence: float | None,
    weight: float,
) -> None:
    criteria = SearchCriteria(
        quality_targets={"staple_length": QualityTarget(value=28.0, tolerance_percent=10)},
        max_price=max_price,
        price_tolerance_percent=5,
        radius_km=1000,
        weights=ScoreWeights(vector=weight),
    )
    candidate = LotCandidate({"staple_length": staple}, price, cosine, distance, confidence)
    scored = score_lot(criteria, candidate, COTTON)
    assert 0.0 <= scored.score <= 1.0
    assert all(0.0 <= f.value <= 1.0 for f in scored.breakdown)


NOW = datetime(2025, 1, 1, tzinfo=UTC)


def readiness(**overrides: object) -> float:
    arguments: dict[str, object] = {
        "commodity": COTTON,
        "approved": True,
        "available_quantity": Decimal("100"),
        "total_quantity": Decimal("100"),
        "price": Decimal("1600"),
        "market_band": None,
        "quality_params_present": list(COTTON.quality),
        "valid_until": NOW + timedelta(days=10),
        "now": NOW,
        "seller_open_holds_ratio": 0.0,
    }
    arguments.update(overrides)
    return readiness_score(**arguments).score  # type: ignore[arg-type]


def test_a_complete_approved_lot_is_fully_ready() -> None:
    assert readiness() == pytest.approx(1.0)


def test_each_readiness_factor_lowers_the_score() -> None:
    full = readiness()
    assert readiness(approved=False) == pytest.approx(full - 0.25)
    assert readiness(available_quantity=Decimal("50")) == pytest.approx(full - 0.1)
    assert readiness(price=Decimal("9000")) < full
    assert readiness(quality_params_present=["staple"]) < full
    assert readiness(valid_until=NOW - timedelta(hours=1)) == pytest.approx(full - 0.15)
    assert readiness(valid_until=NOW + timedelta(hours=36)) == pytest.approx(full - 0.075)
    assert readiness(seller_open_holds_ratio=1.0) == pytest.approx(full - 0.1)


def test_readiness_breakdown_names_every_factor() -> None:
    result = readiness_score(
        commodity=COTTON,
        approved=True,
        available_quantity=Decimal(1),
        total_quantity=Decimal(0),
        price=None,
        market_band=None,
        quality_params_present=[],
        valid_until=None,
        now=NOW,
        seller_open_holds_ratio=0.5,
    )
    assert {f.name for f in result.breakdown} == {
        "approved",
        "quantity_available",
        "price_in_band",
        "quality_completeness",
        "time_left",
        "seller_hold_load",
    }
    assert 0.0 <= result.score <= 1.0

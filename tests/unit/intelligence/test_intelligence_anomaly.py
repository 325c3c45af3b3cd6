"""Price anomalies: robust z-score, its MAD = 0 fallbacks, the catalog band, unit slips."""

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from availability_service.intelligence import detect_price_anomaly
from availability_service.intelligence.anomaly import comparables_confidence, likely_unit_slip

# 25 cotton lots between 1500 and 1740 USD/t, median 1620.
MARKET = [Decimal(1500 + 10 * i) for i in range(25)]
BAND = (Decimal(1000), Decimal(3500))


def test_a_price_in_line_with_the_market_passes() -> None:
    result = detect_price_anomaly(Decimal("1640"), MARKET, BAND)
    assert not result.is_anomaly
    assert result.score is not None and abs(result.score) < 3.5
    assert result.suggested_price is None


def test_cents_entered_as_dollars_is_flagged_with_the_likely_slip() -> None:
    result = detect_price_anomaly(Decimal("162000"), MARKET, BAND)
    assert result.is_anomaly
    assert "cents entered as dollars" in result.reason
    assert result.suggested_price == Decimal("1620")
    assert result.score is not None and result.score > 3.5


def test_dollars_entered_as_cents_is_flagged_in_the_other_direction() -> None:
    result = detect_price_anomaly(Decimal("16.3"), MARKET, BAND)
    assert result.is_anomaly and "dollars entered as cents" in result.reason


def test_per_kg_price_against_tonnes_and_lb_for_kg_slips_are_named() -> None:
    assert (
        "per-kg price entered against t"
        in detect_price_anomaly(Decimal("1.62"), MARKET, BAND).reason
    )
    assert (
        "per-lb price entered against kg"
        in detect_price_anomaly(Decimal("735"), MARKET, BAND).reason
    )
    assert (
        "USc/lb price entered as USD/t"
        in detect_price_anomaly(Decimal("73.5"), MARKET, BAND).reason
    )


def test_threshold_is_3_5_robust_z() -> None:
    # MAD of MARKET is 60, so |M| = 3.5 at 0.6745 x d / 60 = 3.5, d = 311.34.
    assert not detect_price_anomaly(Decimal("1931"), MARKET, BAND).is_anomaly
    assert detect_price_anomaly(Decimal("1932"), MARKET, BAND).is_anomaly


def test_mad_of_zero_falls_back_to_mean_absolute_deviation() -> None:
    comparables = [Decimal(1600)] * 20 + [Decimal(1700)] * 5
    result = detect_price_anomaly(Decimal("1650"), comparables, BAND)
    assert result.method == "mean_absolute_deviation"
    # mean AD = 500 / 25 = 20; M = 50 / (1.253314 x 20) = 1.99.
    assert result.score is not None and abs(result.score - 50 / (1.253314 * 20)) < 1e-9
    assert not result.is_anomaly
    assert detect_price_anomaly(Decimal("1800"), comparables, BAND).is_anomaly


def test_all_equal_comparables_flag_only_a_real_difference() -> None:
    flat = [Decimal(1600)] * 25
    assert not detect_price_anomaly(Decimal("1610"), flat, BAND).is_anomaly
    assert detect_price_anomaly(Decimal("1700"), flat, BAND).is_anomaly


def test_too_few_comparables_fall_back_to_the_catalog_band() -> None:
    inside = detect_price_anomaly(Decimal("1650"), MARKET[:5], BAND)
    assert not inside.is_anomaly and inside.method == "price_band"
    outside = detect_price_anomaly(Decimal("5000"), MARKET[:5], BAND)
    assert outside.is_anomaly
    assert outside.suggested_price == Decimal("2250")
    assert outside.confidence < 0.5


def test_band_fallback_names_the_factor_that_brings_the_price_into_the_band() -> None:
    result = detect_price_anomaly(Decimal("75"), [], BAND)
    assert result.is_anomaly and "USc/lb price entered as USD/t" in result.reason


def test_without_band_or_comparables_nothing_is_flagged_and_confidence_is_zero() -> None:
    result = detect_price_anomaly(Decimal("75"), [], None)
    assert not result.is_anomaly and result.confidence == 0.0


def test_confidence_grows_with_the_number_of_comparables() -> None:
    values = [comparables_confidence(n, 20) for n in (20, 40, 200, 2000)]
    assert values == sorted(values)
    assert values[0] == 0.5 and values[-1] < 1.0


def test_a_ratio_far_from_any_unit_factor_is_not_called_a_slip() -> None:
    assert likely_unit_slip(5.0, 1.0) is None
    assert likely_unit_slip(1.0, 1.0) is None


@given(st.decimals(min_value="0.01", max_value="1000000", places=2))
def test_confidence_is_always_between_zero_and_one(price: Decimal) -> None:
    for comparables in (MARKET, MARKET[:3], []):
        result = detect_price_anomaly(price, comparables, BAND)
        assert 0.0 <= result.confidence <= 1.0

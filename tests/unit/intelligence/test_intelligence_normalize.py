"""Quality parameters arrive in many notations and leave in the catalog's canonical unit."""

import math

import pytest

from availability_service.intelligence import (
    InvalidQuality,
    NormalizedQuality,
    QualityInput,
    QualityOutOfRange,
    load_catalog,
    normalize_quality_params,
)

CATALOG = load_catalog()


def one(commodity: str, name: str, given: QualityInput) -> NormalizedQuality:
    result = normalize_quality_params(CATALOG.get(commodity), {name: given})
    assert len(result) == 1
    return next(iter(result.values()))


def number(commodity: str, name: str, given: QualityInput) -> float | None:
    return one(commodity, name, given).number


def test_staple_in_centimetres_as_number_or_text_becomes_millimetres() -> None:
    assert one("cotton", "staple_length", QualityInput(2.9, "cm")) == NormalizedQuality(29.0, "mm")
    assert number("cotton", "staple_length", QualityInput(text="2.9 cm")) == 29.0
    assert number("cotton", "staple_length", QualityInput(text="2,9 cm")) == 29.0


def test_staple_in_32nds_of_an_inch_is_times_0_79375() -> None:
    assert number("cotton", "staple_length", QualityInput(36, "32nds")) == 28.575
    assert number("cotton", "staple_length", QualityInput(36, "1/32 in")) == 28.575


def test_ice_staple_notation_1_2_32_inch_is_the_27_mm_base() -> None:
    value = number("cotton", "staple_length", QualityInput(text='1-2/32"'))
    assert value is not None and round(value, 1) == 27.0


def test_staple_in_inches_is_times_25_4() -> None:
    assert number("cotton", "staple_length", QualityInput(1.125, "inch")) == 28.575


def test_staple_aliases_map_to_the_canonical_name() -> None:
    for alias in ("staple", "staple_length", "staple_length_mm", "Staple Length"):
        result = normalize_quality_params(CATALOG.get("cotton"), {alias: QualityInput(28)})
        assert list(result) == ["staple_length"]


def test_micronaire_reported_times_ten_is_divided_by_ten() -> None:
    assert number("cotton", "micronaire", QualityInput(42)) == 4.2
    assert number("cotton", "mic", QualityInput(text="42")) == 4.2
    assert number("cotton", "micronaire", QualityInput(4.2)) == 4.2


def test_percent_text_becomes_a_number_with_percent_unit() -> None:
    assert one("cotton", "trash", QualityInput(text="3%")) == NormalizedQuality(3.0, "%")


def test_strength_in_cn_per_tex_is_divided_by_0_9807() -> None:
    value = number("cotton", "strength", QualityInput(29.42, "cN/tex"))
    assert value is not None and value == pytest.approx(29.42 / 0.9807, rel=1e-4)


def test_pressley_strength_is_refused_as_a_different_test() -> None:
    with pytest.raises(InvalidQuality, match="Pressley") as caught:
        one("cotton", "strength", QualityInput(90, "pressley"))
    assert caught.value.field == "quality_params[strength]"


def test_colour_grade_is_kept_as_text() -> None:
    assert one("cotton", "colour_grade", QualityInput(text=" 41-4 ")) == NormalizedQuality(
        None, None, "41-4"
    )


def test_wheat_test_weight_from_lb_per_bushel_uses_the_empirical_formula() -> None:
    # 1.292 x 60 + 1.419: US No.1 minimum 60 lb/bu is 78.9 kg/hL.
    assert number("wheat", "test_weight", QualityInput(60, "lb/bu")) == 78.939


def test_soybean_test_weight_kg_per_hl_is_lb_per_bushel_times_1_2872() -> None:
    value = number("soybeans", "test_weight", QualityInput(72.0832, "kg/hL"))
    assert value == pytest.approx(56.0, abs=0.001)


def test_gold_fineness_from_percent_is_times_ten_and_from_karat_is_1000_over_24() -> None:
    assert number("gold", "fineness", QualityInput(99.99, "%")) == 999.9
    assert number("gold", "fineness", QualityInput(18, "karat")) == 750.0
    assert number("gold", "fineness", QualityInput(22, "karat")) == pytest.approx(916.666667)


def test_gold_bar_weight_in_kg_is_32_1507_troy_ounces_per_kg() -> None:
    assert number("gold", "bar_weight", QualityInput(1, "kg")) == pytest.approx(32.1507, abs=1e-4)


def test_crude_api_gravity_from_specific_gravity() -> None:
    value = number("crude_oil", "api_gravity", QualityInput(0.8251, "SG"))
    assert value == pytest.approx(141.5 / 0.8251 - 131.5, abs=1e-6)


def test_crude_sulfur_in_ppm_is_divided_by_10000() -> None:
    assert number("crude_oil", "sulfur", QualityInput(4200, "ppm")) == 0.42


def test_copper_content_in_ppm_becomes_percent() -> None:
    assert number("copper_cathode", "copper", QualityInput(999935, "ppm")) == 99.9935


def test_out_of_range_error_names_the_parameter_and_the_range() -> None:
    with pytest.raises(QualityOutOfRange) as caught:
        one("cotton", "staple", QualityInput(50, "mm"))
    message = str(caught.value)
    assert "staple_length" in message and "[20, 40]" in message
    assert caught.value.field == "quality_params[staple_length]"
    assert (caught.value.minimum, caught.value.maximum) == (20.0, 40.0)


def test_range_edges_are_inclusive() -> None:
    assert number("cotton", "staple_length", QualityInput(40)) == 40.0
    assert number("cotton", "staple_length", QualityInput(2.0, "cm")) == 20.0


def test_nan_and_infinity_are_refused() -> None:
    for bad in (math.nan, math.inf, -math.inf):
        with pytest.raises(InvalidQuality):
            one("cotton", "micronaire", QualityInput(bad))
    with pytest.raises(InvalidQuality):
        one("cotton", "micronaire", QualityInput(text="inf"))


def test_unparseable_text_and_unaccepted_units_are_refused() -> None:
    with pytest.raises(InvalidQuality, match="cannot read"):
        one("cotton", "staple_length", QualityInput(text="long"))
    with pytest.raises(InvalidQuality, match="accepted"):
        one("cotton", "staple_length", QualityInput(3, "furlong"))


def test_a_parameter_given_twice_under_two_aliases_is_refused() -> None:
    with pytest.raises(InvalidQuality, match="more than once"):
        normalize_quality_params(
            CATALOG.get("cotton"), {"staple": QualityInput(28), "staple_length": QualityInput(29)}
        )


def test_unknown_parameters_are_kept_as_given() -> None:
    result = normalize_quality_params(
        CATALOG.get("cotton"), {"stickiness": QualityInput(2.0, "sticky-points", None)}
    )
    assert result == {"stickiness": NormalizedQuality(2.0, "sticky-points", None, known=False)}

"""Every trade unit of the reference, converted to the commodity's canonical unit."""

from decimal import Decimal

import pytest

from availability_service.intelligence import (
    Commodity,
    UnitError,
    load_catalog,
    to_canonical_price,
    to_canonical_quantity,
)

CATALOG = load_catalog()
COTTON = CATALOG.get("cotton")
WHEAT = CATALOG.get("wheat")
SOYBEANS = CATALOG.get("soybeans")
GOLD = CATALOG.get("gold")
CRUDE = CATALOG.get("crude_oil")
COFFEE = CATALOG.get("coffee")
COPPER = CATALOG.get("copper_cathode")


def kg(value: str, unit: str, commodity: Commodity = COTTON) -> Decimal:
    return to_canonical_quantity(Decimal(value), unit, commodity)


def test_a_metric_tonne_is_1000_kg_and_a_pound_is_0_45359237_kg() -> None:
    assert kg("1", "t") == Decimal("1000")
    assert kg("1", "lb") == Decimal("0.453592")
    assert kg("1000000", "lb") == Decimal("453592.37")


def test_us_cotton_bale_is_480_pounds() -> None:
    assert kg("1", "bale_us") == Decimal("217.724338")


def test_indian_cotton_bale_is_170_kg() -> None:
    assert kg("1", "bale_in") == Decimal("170")


def test_plain_bale_is_the_per_commodity_setting_for_cotton() -> None:
    assert kg("1", "bale") == kg("1", "bale_us")


def test_candy_is_784_pounds_not_the_common_355_6222_kg_bug() -> None:
    assert kg("1", "candy") == Decimal("355.616418")
    assert kg("1", "candy").quantize(Decimal("0.0001")) == Decimal("355.6164")
    assert kg("1", "candy") != Decimal("355.6222")


def test_a_bushel_of_wheat_or_soybeans_is_60_pounds_of_mass() -> None:
    assert kg("1", "bu", WHEAT) == Decimal("27.215542")
    assert kg("1", "bu", SOYBEANS) == Decimal("27.215542")
    bushels_per_tonne = Decimal(1000) / kg("1", "bu", WHEAT)
    assert bushels_per_tonne.quantize(Decimal("0.0001")) == Decimal("36.7437")


def test_bushel_is_refused_for_a_commodity_without_a_bushel_weight() -> None:
    with pytest.raises(UnitError, match="bushel"):
        kg("1", "bu", GOLD)


def test_troy_ounce_is_31_1034768_g_not_the_avoirdupois_ounce() -> None:
    assert kg("1", "ozt", GOLD) == Decimal("31.103477")
    with pytest.raises(UnitError, match="ozt"):
        kg("1", "oz", GOLD)


def test_a_kilo_bar_is_32_1507_troy_ounces() -> None:
    ounces = Decimal(1000) / kg("1", "ozt", GOLD)
    assert ounces.quantize(Decimal("0.0001")) == Decimal("32.1507")


def test_tola_is_11_6638_g() -> None:
    assert kg("10", "tola", GOLD) == Decimal("116.638")


def test_barrel_is_42_us_gallons_not_pints_31_5_gallon_barrel() -> None:
    assert kg("1", "bbl", CRUDE).quantize(Decimal("0.001")) == Decimal("158.987")


def test_crude_tonnes_to_barrels_is_refused_because_density_varies() -> None:
    with pytest.raises(UnitError, match="density"):
        kg("1", "t", CRUDE)
    with pytest.raises(UnitError, match="density"):
        to_canonical_price(Decimal("500"), "USD", "USD/t", CRUDE)


def test_coffee_bag_is_60_kg() -> None:
    assert kg("320", "bag", COFFEE) == Decimal("19200")


def test_unknown_unit_is_a_unit_error_with_a_field() -> None:
    with pytest.raises(UnitError) as caught:
        kg("1", "furlong")
    assert caught.value.field == "unit"
    assert "accepted units" in str(caught.value)


def test_nan_quantity_is_refused() -> None:
    with pytest.raises(UnitError):
        kg("NaN", "kg")


def test_us_cents_per_pound_is_22_0462_dollars_per_tonne() -> None:
    price, unit = to_canonical_price(Decimal("1"), "USD", "USc/lb", COTTON)
    assert unit == "USD/t"
    assert price.quantize(Decimal("0.0001")) == Decimal("22.0462")
    price, _ = to_canonical_price(Decimal("75"), "USD", "USc/lb", COTTON)
    assert price == Decimal("1653.466966")


def test_wheat_in_cents_per_bushel_becomes_dollars_per_tonne() -> None:
    price, unit = to_canonical_price(Decimal("550"), "USD", "USc/bu", WHEAT)
    assert unit == "USD/t"
    assert price.quantize(Decimal("0.01")) == Decimal("202.09")


def test_gold_and_crude_keep_their_trade_price_units() -> None:
    assert to_canonical_price(Decimal("2400"), "USD", "USD/ozt", GOLD) == (
        Decimal("2400"),
        "USD/ozt",
    )
    assert to_canonical_price(Decimal("1"), "USD", "USD/g", GOLD)[0] == Decimal("31.103477")
    assert to_canonical_price(Decimal("70"), "USD", "USD/bbl", CRUDE)[1] == "USD/bbl"


def test_rupees_per_candy_stay_rupees_no_fx() -> None:
    price, unit = to_canonical_price(Decimal("60000"), "INR", "INR/candy", COTTON)
    assert unit == "INR/t"
    assert price == (Decimal(60000) * Decimal(1000) / Decimal("355.61641808")).quantize(
        Decimal("0.000001")
    )


def test_price_currency_must_match_the_currency_field() -> None:
    with pytest.raises(UnitError, match="not converted"):
        to_canonical_price(Decimal("1"), "USD", "INR/t", COTTON)


def test_price_unit_without_currency_uses_the_currency_argument() -> None:
    assert to_canonical_price(Decimal("8000"), "USD", "t", COPPER) == (Decimal("8000"), "USD/t")


def test_unknown_currency_is_refused() -> None:
    with pytest.raises(UnitError, match="currency"):
        to_canonical_price(Decimal("1"), "XYZ", "XYZ/t", COPPER)

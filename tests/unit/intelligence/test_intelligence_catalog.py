"""The commodity catalog loads from YAML and is extensible without code changes."""

from decimal import Decimal
from pathlib import Path

import pytest

from availability_service.intelligence import (
    UnknownCommodity,
    catalog_to_rows,
    load_catalog,
    to_canonical_quantity,
)

REQUIRED = ["cotton", "wheat", "gold", "crude_oil", "coffee", "soybeans", "copper_cathode"]


def test_packaged_catalog_has_every_required_commodity_and_a_version() -> None:
    catalog = load_catalog()
    assert catalog.version == 1
    for code in REQUIRED:
        commodity = catalog.get(code)
        assert commodity.price_band is not None
        assert commodity.price_band[0] < commodity.price_band[1]


def test_canonical_units_are_kg_for_bulk_g_for_gold_and_litres_for_crude() -> None:
    catalog = load_catalog()
    assert catalog.get("cotton").quantity_unit == "kg"
    assert catalog.get("gold").quantity_unit == "g"
    assert catalog.get("crude_oil").quantity_unit == "L"
    assert catalog.get("gold").price_unit == "USD/ozt"
    assert catalog.get("crude_oil").price_unit == "USD/bbl"
    assert catalog.get("copper_cathode").price_unit == "USD/t"


def test_every_numeric_parameter_has_a_sane_range() -> None:
    for commodity in load_catalog():
        for parameter in commodity.quality.values():
            if parameter.kind == "number":
                assert parameter.minimum is not None and parameter.maximum is not None
                assert parameter.minimum < parameter.maximum, (commodity.code, parameter.name)


def test_unknown_commodity_error_lists_the_known_codes() -> None:
    with pytest.raises(UnknownCommodity) as caught:
        load_catalog().get("unobtainium")
    assert "cotton" in str(caught.value)
    assert "wheat" in str(caught.value)
    assert caught.value.field == "commodity"


def test_commodity_lookup_ignores_case_and_whitespace() -> None:
    assert load_catalog().get(" Cotton ").code == "cotton"


def test_a_commodity_added_only_in_yaml_works_with_units_and_parameters(tmp_path: Path) -> None:
    path = tmp_path / "catalog.yaml"
    path.write_text(
        """
version: 2
commodities:
  rice:
    display_name: Rice
    family: grain
    quantity_unit: kg
    price_unit: USD/t
    accepted_quantity_units: [t, kg, bag]
    unit_settings: {bag: 50 kg}
    price_band: [300, 900]
    quality:
      broken: {unit: "%", range: [0, 100], higher_is_better: false, aliases: [brokens]}
""",
        encoding="utf-8",
    )
    catalog = load_catalog(path)
    rice = catalog.get("rice")
    assert catalog.version == 2
    assert to_canonical_quantity(Decimal(2), "bag", rice) == Decimal("100")
    parameter = rice.parameter("brokens")
    assert parameter is not None and parameter.name == "broken"


def test_catalog_rows_are_plain_dicts_for_the_storage_layer() -> None:
    rows = catalog_to_rows(load_catalog())
    cotton = next(row for row in rows if row["code"] == "cotton")
    assert cotton["catalog_version"] == 1
    assert cotton["price_band_min"] == "1000"
    staple = next(p for p in cotton["quality_parameters"] if p["name"] == "staple_length")
    assert staple["unit"] == "mm" and staple["min"] == 20.0

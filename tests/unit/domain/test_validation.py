"""Field rules: each bad field is one violation naming it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from availability_service.domain.errors import Violations
from availability_service.domain.validation import parse_decimal


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("12.5", Decimal("12.5")), (" 7 ", Decimal(7)), ("0.000001", Decimal("0.000001"))],
)
def test_decimal_strings_parse_exactly(raw: str, expected: Decimal) -> None:
    v = Violations()
    assert parse_decimal(raw, "q", v) == expected
    assert not v


@pytest.mark.parametrize(
    "raw", ["1e3", "NaN", "inf", "1,5", "--1", "0x10", "1.0000001", "1" * 19, "0", "-2", "", "١٢"]
)
def test_non_decimals_and_out_of_range_values_are_violations(raw: str) -> None:
    v = Violations()
    assert parse_decimal(raw, "availability.total_quantity", v) is None
    assert [item.field for item in v.items] == ["availability.total_quantity"]

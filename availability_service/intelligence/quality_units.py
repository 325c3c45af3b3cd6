"""Units of quality parameters: labels sellers use -> pint expressions, and conversion.

Only plain unit factors live here; empirical formulas (wheat test weight from lb/bu, API
gravity from SG) are catalog data applied by normalize.py.
"""

from __future__ import annotations

import math

import pint

from availability_service.intelligence.errors import UnitError
from availability_service.intelligence.units import UNITS

# Quality-parameter unit labels (lower case) -> pint expression. Labels not listed here
# (API, SG, count/300g) only match themselves or an empirical conversion in the catalog.
_QUALITY_TOKENS = {
    "mm": "millimeter",
    "cm": "centimeter",
    "inch": "inch",
    "in": "inch",
    '"': "inch",
    "inches": "inch",
    "32nds": "thirty_second_inch",
    "1/32 in": "thirty_second_inch",
    '1/32"': "thirty_second_inch",
    "/32": "thirty_second_inch",
    "64ths_inch": "sixty_fourth_inch",
    "64ths": "sixty_fourth_inch",
    "1/64 in": "sixty_fourth_inch",
    "%": "percent",
    "pct": "percent",
    "percent": "percent",
    "wt%": "percent",
    "wt %": "percent",
    "ppm": "ppm",
    "per_mille": "permille",
    "permille": "permille",
    "‰": "permille",
    "karat": "karat_purity",
    "kt": "karat_purity",
    "g/tex": "gram_force / tex",
    "gf/tex": "gram_force / tex",
    "cn/tex": "centinewton / tex",
    "kg/hl": "kilogram / hectoliter",
    "lb/bu": "pound / bushel",
    "s": "second",
    "sec": "second",
    "seconds": "second",
    "ozt": "troy_ounce",
    "g": "gram",
    "kg": "kilogram",
    "psi": "psi",
    # Not pint units: these labels only ever match themselves.
    "°api": "api",
    "degrees api": "api",
    "deg api": "api",
    "specific gravity": "sg",
}


def quality_unit_key(label: str | None) -> str:
    """A comparable key for a quality unit label: '%' and 'percent' share one key."""
    if label is None:
        return ""
    text = " ".join(label.strip().lower().split())
    return _QUALITY_TOKENS.get(text, text)


def convert_quality_unit(value: float, from_label: str | None, to_label: str | None) -> float:
    """Convert a quality value between two labels by a plain unit factor (pint)."""
    source, target = quality_unit_key(from_label), quality_unit_key(to_label)
    if source == target:
        return value
    try:
        converted = UNITS.Quantity(value, source).to(target).magnitude
    except pint.errors.PintError as exc:
        raise UnitError(f"cannot convert {from_label!r} to {to_label!r}: {exc}") from exc
    result = float(converted)
    if not math.isfinite(result):
        raise UnitError(f"converting {value} {from_label} gave {result}")
    return result

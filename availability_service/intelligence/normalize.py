"""Quality parameters as sellers send them -> canonical numbers the catalog can range-check.

Sellers send "2.9 cm", "1-2/32", "42" (micronaire x10), "3%", karats or specific gravity.
Plain unit factors go through pint (units.py); formulas that are not unit conversions
(wheat test weight from lb/bu, API gravity from SG) come from the catalog's `conversions`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

from availability_service.intelligence.catalog import Commodity, QualityParameter
from availability_service.intelligence.errors import InvalidQuality, QualityOutOfRange, UnitError
from availability_service.intelligence.quality_units import convert_quality_unit, quality_unit_key

# Six decimals hide float noise (2.9 cm -> 29.000000000000004 mm) so range and tolerance
# edges compare as the seller meant them.
QUALITY_DECIMALS = 6

_NUMBER = re.compile(r"^([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s*(.*)$")
_INCH = r'\s*(?:"|in|inch|inches)?'
# ICE staple notation: 1-2/32" is one inch and two 32nds.
_MIXED_32NDS = re.compile(r"^(\d+)\s*[- ]\s*(\d+)\s*/\s*32" + _INCH + "$")
_PLAIN_32NDS = re.compile(r"^(\d+)\s*/\s*32" + _INCH + "$")


@dataclass(frozen=True)
class QualityInput:
    """One quality parameter as received: a number with a unit, or text to parse."""

    number: float | None = None
    unit: str | None = None
    text: str | None = None


@dataclass(frozen=True)
class NormalizedQuality:
    """A quality value in the catalog's canonical unit, or text for grade-like parameters.

    `known` is False for parameters the catalog does not describe; they are kept as given.
    """

    number: float | None
    unit: str | None
    text: str | None = None
    known: bool = True


def normalize_quality_params(
    commodity: Commodity, params: Mapping[str, QualityInput]
) -> dict[str, NormalizedQuality]:
    """Canonical name -> canonical value for every parameter; raises on bad values.

    Raises InvalidQuality (NaN, infinity, unreadable text, unit not accepted or not
    convertible, a parameter given twice under two aliases) and QualityOutOfRange.
    """
    result: dict[str, NormalizedQuality] = {}
    for given_name, given in params.items():
        if given.number is not None and not math.isfinite(given.number):
            raise InvalidQuality(given_name, f"quality parameter {given_name!r} is not finite")
        parameter = commodity.parameter(given_name)
        if parameter is None:
            result[given_name] = NormalizedQuality(given.number, given.unit, given.text, False)
            continue
        if parameter.name in result:
            raise InvalidQuality(
                parameter.name, f"quality parameter {parameter.name!r} is given more than once"
            )
        result[parameter.name] = normalize_one(parameter, given)
    return result


def normalize_one(parameter: QualityParameter, given: QualityInput) -> NormalizedQuality:
    """Normalise one value of a catalog parameter."""
    if parameter.kind == "text":
        text = given.text if given.text is not None else _number_as_text(given.number)
        if text is None or not text.strip():
            raise InvalidQuality(parameter.name, f"quality parameter {parameter.name!r} is empty")
        return NormalizedQuality(number=None, unit=None, text=text.strip())
    number, unit = _read_number(parameter.name, given)
    value = _to_canonical(parameter, number, unit)
    rule = parameter.scale_if_above
    if rule is not None and value > rule.threshold:
        value = value / rule.divisor
    value = round(value, QUALITY_DECIMALS)
    if not math.isfinite(value):
        raise InvalidQuality(parameter.name, f"quality parameter {parameter.name!r} overflowed")
    low, high = parameter.minimum, parameter.maximum
    if (low is not None and value < low) or (high is not None and value > high):
        raise QualityOutOfRange(parameter.name, value, low, high, parameter.unit)
    return NormalizedQuality(number=value, unit=parameter.unit)


def _number_as_text(number: float | None) -> str | None:
    return None if number is None else f"{number:g}"


def _read_number(name: str, given: QualityInput) -> tuple[float, str | None]:
    """The number and unit of an input, parsing text such as '2.9 cm' or '1-2/32"'."""
    if given.number is not None:
        return float(given.number), given.unit
    if given.text is None or not given.text.strip():
        raise InvalidQuality(name, f"quality parameter {name!r} has neither number nor text")
    text = given.text.strip()
    if (mixed := _MIXED_32NDS.match(text)) is not None:
        return float(int(mixed[1]) * 32 + int(mixed[2])), "32nds"
    if (plain := _PLAIN_32NDS.match(text)) is not None:
        return float(plain[1]), "32nds"
    if text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")  # "2,9 cm": a decimal comma, not a thousands separator
    match = _NUMBER.match(text)
    if match is None:
        raise InvalidQuality(name, f"quality parameter {name!r}: cannot read {given.text!r}")
    number = float(match[1])
    if not math.isfinite(number):
        raise InvalidQuality(name, f"quality parameter {name!r} is not finite")
    unit = match[2].strip() or given.unit
    return number, unit


def _to_canonical(parameter: QualityParameter, number: float, unit: str | None) -> float:
    key = quality_unit_key(unit)
    if unit is None or key in ("", quality_unit_key(parameter.unit)):
        return number
    if parameter.unit is None and key in (parameter.name, *parameter.aliases):
        return number  # "4.2 mic": the parameter name used as its (unitless) unit
    refused = parameter.refused_units.get(key) or parameter.refused_units.get(unit.lower())
    if refused is not None:
        raise InvalidQuality(parameter.name, f"quality parameter {parameter.name!r}: {refused}")
    for conversion in parameter.conversions:
        if quality_unit_key(conversion.from_unit) == key:
            try:
                return conversion.apply(number)
            except ZeroDivisionError as exc:
                raise InvalidQuality(parameter.name, str(exc)) from exc
    if key in {quality_unit_key(u) for u in parameter.alternate_units}:
        try:
            return convert_quality_unit(number, unit, parameter.unit)
        except UnitError as exc:
            raise InvalidQuality(parameter.name, f"{parameter.name}: {exc}") from exc
    accepted = [parameter.unit or "(no unit)", *parameter.alternate_units]
    accepted += [c.from_unit for c in parameter.conversions]
    raise InvalidQuality(
        parameter.name,
        f"unit {unit!r} is not accepted for quality parameter {parameter.name!r}; "
        f"accepted: {', '.join(accepted)}",
    )

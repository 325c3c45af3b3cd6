"""Trade units on top of pint, and conversion of quantities and prices to canonical units.

User strings never reach pint directly: pint's own `bbl` is the 31.5 gallon barrel and its
`bag` is a 94 lb cement bag, both wrong for commodities. Every accepted token is mapped
explicitly here, and tokens whose size depends on the commodity (bushel, bale, bag) come
from the catalog's `unit_settings`. Currencies are pint dimensions of their own, so cents
convert to dollars but dollars never silently convert to rupees (no FX here).
"""

from __future__ import annotations

import functools
from decimal import Decimal

import pint

from availability_service.intelligence.catalog import Commodity
from availability_service.intelligence.errors import UnitError

QUANTITY_PLACES = Decimal("0.000001")
PRICE_PLACES = Decimal("0.000001")

# Trade units pint lacks, each defined once. The bushels are masses: pint's `bushel` is a
# volume, but grain trades a bushel as a fixed weight that differs by grain.
_TRADE_DEFINITIONS = (
    "bale_us = 480 * pound",
    "bale_in = 170 * kilogram",
    "candy = 784 * pound",  # 355.6164 kg; 355.6222 is a widespread bug
    "tola = 11.6638 * gram",
    "coffee_bag = 60 * kilogram",
    "wheat_bushel = 60 * pound",
    "soybean_bushel = 60 * pound",
    "thirty_second_inch = inch / 32",
    "sixty_fourth_inch = inch / 64",
    "karat_purity = 1 / 24",
)
# (major, minor-unit token or None). Each major currency is its own dimension.
_CURRENCIES = {
    "USD": "USc",
    "EUR": "EURc",
    "GBP": "GBp",
    "INR": None,
    "CNY": None,
    "BRL": None,
    "AUD": None,
    "CAD": None,
    "CHF": None,
    "JPY": None,
    "PKR": None,
    "ZAR": None,
}


def _build_registry() -> pint.UnitRegistry:
    registry: pint.UnitRegistry = pint.UnitRegistry()
    for definition in _TRADE_DEFINITIONS:
        registry.define(definition)
    for major, minor in _CURRENCIES.items():
        registry.define(f"{major} = [currency_{major.lower()}]")
        if minor:
            registry.define(f"{minor} = {major} / 100")
    return registry


UNITS = _build_registry()

# Quantity tokens (lower case) accepted from callers and catalogs -> pint expression.
_QUANTITY_TOKENS = {
    "t": "tonne",
    "mt": "tonne",
    "tonne": "tonne",
    "metric_ton": "tonne",
    "kg": "kilogram",
    "g": "gram",
    "lb": "pound",
    "lbs": "pound",
    "ozt": "troy_ounce",
    "toz": "troy_ounce",
    "troy_oz": "troy_ounce",
    "tola": "tola",
    "bbl": "oil_barrel",
    "barrel": "oil_barrel",
    "l": "liter",
    "litre": "liter",
    "liter": "liter",
    "m3": "meter ** 3",
    "gal": "gallon",
    "bale_us": "bale_us",
    "bale_in": "bale_in",
    "candy": "candy",
    "coffee_bag": "coffee_bag",
}
_CURRENCY_TOKENS = {
    token.lower(): token
    for major, minor in _CURRENCIES.items()
    for token in (major, minor)
    if token
}
_MAJOR_OF = {major: major for major in _CURRENCIES} | {
    minor: major for major, minor in _CURRENCIES.items() if minor
}
_HINTS = {
    "oz": "'oz' is the 28.35 g avoirdupois ounce; precious metals trade in troy ounces (ozt)",
    "bu": "a bushel is a volume in general; its trade weight is set per grain in the catalog",
    "bushel": "a bushel's trade weight is set per grain in the catalog",
    "bag": "bag weight differs by commodity and is set in the catalog",
    "bale": "bale weight differs by origin and is set in the catalog",
}


def _quantity_expression(unit: str, commodity: Commodity, *, check_accepted: bool) -> str:
    token = unit.strip().lower()
    accepted = {u.lower() for u in commodity.accepted_quantity_units}
    accepted.add(commodity.quantity_unit.lower())
    if check_accepted and token not in accepted:
        hint = f" ({_HINTS[token]})" if token in _HINTS else _density_hint(token, commodity)
        raise UnitError(
            f"unit {unit!r} is not accepted for {commodity.code}{hint}; accepted units: "
            f"{', '.join(commodity.accepted_quantity_units)}",
            field="unit",
        )
    settings = {k.lower(): v for k, v in commodity.unit_settings.items()}
    if token in settings:
        return settings[token]
    if token in _QUANTITY_TOKENS:
        return _QUANTITY_TOKENS[token]
    hint = f" ({_HINTS[token]})" if token in _HINTS else ""
    raise UnitError(f"unknown unit {unit!r} for {commodity.code}{hint}", field="unit")


def _density_hint(token: str, commodity: Commodity) -> str:
    """Explain a mass unit offered for a volume commodity (or the reverse)."""
    canonical = _QUANTITY_TOKENS.get(commodity.quantity_unit.lower())
    if token not in _QUANTITY_TOKENS or canonical is None:
        return ""
    given = UNITS.Quantity(1, _QUANTITY_TOKENS[token]).dimensionality
    if given == UNITS.Quantity(1, canonical).dimensionality:
        return ""
    return (
        f" ({commodity.code} is measured by {'volume' if given == {'[mass]': 1} else 'mass'};"
        " mass <-> volume needs the density of the actual lot, e.g. crude runs about 7.2 to"
        " 7.6 bbl per t: not a unit conversion)"
    )


@functools.lru_cache(maxsize=4096)
def _plain_ratio(from_expression: str, to_expression: str) -> float:
    # Cached: pint parsing costs about a millisecond and the same few pairs recur on every
    # lot; failures raise and are not cached.
    # parse_expression, not Quantity(1, unit): catalog settings may carry a number
    # ("bu: 56 lb").
    source = UNITS.parse_expression(from_expression)
    target = UNITS.parse_expression(to_expression)
    return float((source / target).to("dimensionless").magnitude)


@functools.lru_cache(maxsize=256)
def _currency_factor(token: str, major: str) -> float:
    # Cached like _plain_ratio: a pint conversion per price was a visible share of a create.
    return float(UNITS.Quantity(1, token).to(major).magnitude)


def _ratio(from_expression: str, to_expression: str, commodity: Commodity, field: str) -> float:
    """How many `to` units one `from` unit is."""
    try:
        return _plain_ratio(from_expression, to_expression)
    except pint.DimensionalityError:
        source_dim = str(UNITS.parse_expression(from_expression).dimensionality)
        target_dim = str(UNITS.parse_expression(to_expression).dimensionality)
        if {source_dim, target_dim} == {"[mass]", "[length] ** 3"}:
            raise UnitError(
                f"{commodity.code} is measured by {'volume' if '3' in target_dim else 'mass'}; "
                "converting between mass and volume needs the density of the actual lot "
                "(crude runs about 7.2 to 7.6 bbl per t), which is not a unit conversion",
                field=field,
            ) from None
        raise UnitError(
            f"cannot convert {from_expression} to {to_expression} for {commodity.code}",
            field=field,
        ) from None
    except pint.errors.PintError as exc:
        raise UnitError(f"bad unit definition for {commodity.code}: {exc}", field=field) from exc


def _finite(value: Decimal, what: str, field: str) -> None:
    if not value.is_finite():
        raise UnitError(f"{what} must be a finite number, got {value}", field=field)


def _times(value: Decimal, factor: float, places: Decimal) -> Decimal:
    # repr() is the shortest decimal that round-trips, so exact factors stay exact.
    return (value * Decimal(repr(factor))).quantize(places)


def to_canonical_quantity(
    value: Decimal, unit: str, commodity: Commodity, *, field: str = "unit"
) -> Decimal:
    """`value` `unit` in the commodity's canonical quantity unit, to 6 decimal places."""
    _finite(value, "quantity", field)
    source = _quantity_expression(unit, commodity, check_accepted=True)
    target = _quantity_expression(commodity.quantity_unit, commodity, check_accepted=False)
    return _times(value, _ratio(source, target, commodity, field), QUANTITY_PLACES)


def _currency_token(text: str, field: str) -> str:
    token = _CURRENCY_TOKENS.get(text.strip().lower())
    if token is None:
        raise UnitError(
            f"unknown currency {text!r}; known: {', '.join(sorted(_MAJOR_OF))}", field=field
        )
    return token


def to_canonical_price(
    amount: Decimal,
    currency: str,
    price_unit: str,
    commodity: Commodity,
    *,
    field: str = "price_unit",
) -> tuple[Decimal, str]:
    """A price per `price_unit` as a price per the commodity's canonical price unit.

    `price_unit` is "CUR/unit" (e.g. "USc/lb", "INR/candy") or just "unit" when `currency`
    carries the currency. Minor units become major units (USc -> USD); the currency itself
    is kept, so the result unit is "<major currency>/<canonical price quantity unit>".
    """
    _finite(amount, "price", field)
    if "/" in price_unit:
        currency_text, unit_text = price_unit.split("/", 1)
    else:
        currency_text, unit_text = currency, price_unit
    token = _currency_token(currency_text, field)
    major = _MAJOR_OF[token]
    if currency and _MAJOR_OF[_currency_token(currency, "currency")] != major:
        raise UnitError(
            f"price unit {price_unit!r} is in {major} but the currency is {currency!r}; "
            "currencies are not converted here",
            field=field,
        )
    per_unit = _quantity_expression(unit_text, commodity, check_accepted=True)
    per_canonical = _quantity_expression(
        commodity.price_quantity_unit, commodity, check_accepted=False
    )
    # Price per canonical unit = price per unit x (units in one canonical unit).
    units_per_canonical = _ratio(per_canonical, per_unit, commodity, field)
    minor_to_major = _currency_factor(token, major)
    factor = units_per_canonical * minor_to_major
    return _times(amount, factor, PRICE_PLACES), f"{major}/{commodity.price_quantity_unit}"

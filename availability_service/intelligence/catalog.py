"""The commodity catalog: YAML data loaded into frozen dataclasses.

The catalog is data, not code: a commodity or parameter added to the YAML works without a
code change, because every rule (units, ranges, empirical formulas) is read from it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import yaml

from availability_service.intelligence.errors import CatalogError, UnknownCommodity

FAMILIES = ("fibre", "grain", "oilseed", "precious_metal", "base_metal", "energy", "softs")


@dataclass(frozen=True)
class ScaleRule:
    """Divide values above `threshold` by `divisor` (micronaire reported x10: 42 means 4.2)."""

    threshold: float
    divisor: float


@dataclass(frozen=True)
class EmpiricalConversion:
    """A formula from an alternate unit that is NOT a plain unit factor.

    linear: canonical = scale * x + offset; reciprocal: canonical = numerator / x + offset.
    """

    from_unit: str
    formula: Literal["linear", "reciprocal"]
    scale: float = 1.0
    offset: float = 0.0
    numerator: float = 1.0
    note: str = ""

    def apply(self, value: float) -> float:
        if self.formula == "linear":
            return self.scale * value + self.offset
        if value == 0:
            raise ZeroDivisionError(f"{self.from_unit} of 0 has no {self.formula} conversion")
        return self.numerator / value + self.offset


@dataclass(frozen=True)
class QualityParameter:
    """One quality parameter of a commodity with its canonical unit and realistic range."""

    name: str
    kind: Literal["number", "text"] = "number"
    unit: str | None = None
    alternate_units: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    higher_is_better: bool | None = None
    aliases: tuple[str, ...] = ()
    scale_if_above: ScaleRule | None = None
    conversions: tuple[EmpiricalConversion, ...] = ()
    refused_units: Mapping[str, str] = field(default_factory=dict)
    note: str = ""

    @property
    def width(self) -> float | None:
        """Span of the realistic range, used to scale values into [0, 1]."""
        if self.minimum is None or self.maximum is None or self.maximum <= self.minimum:
            return None
        return self.maximum - self.minimum


@dataclass(frozen=True)
class Commodity:
    """A tradeable commodity: its units, quality parameters and fallback price band."""

    code: str
    display_name: str
    family: str
    quantity_unit: str
    price_unit: str
    accepted_quantity_units: tuple[str, ...]
    unit_settings: Mapping[str, str]
    quality: Mapping[str, QualityParameter]
    price_band: tuple[Decimal, Decimal] | None = None

    @property
    def price_currency(self) -> str:
        return self.price_unit.split("/", 1)[0]

    @property
    def price_quantity_unit(self) -> str:
        return self.price_unit.split("/", 1)[1]

    def parameter(self, name: str) -> QualityParameter | None:
        """The parameter called `name` or one of its aliases (case-insensitive)."""
        key = name.strip().lower().replace(" ", "_").replace("-", "_")
        if key in self.quality:
            return self.quality[key]
        for parameter in self.quality.values():
            if key in parameter.aliases:
                return parameter
        return None


@dataclass(frozen=True)
class Catalog:
    """All commodities of one catalog version, looked up by code."""

    version: int
    commodities: Mapping[str, Commodity]

    def get(self, code: str) -> Commodity:
        try:
            return self.commodities[code.strip().lower()]
        except KeyError:
            raise UnknownCommodity(code, list(self.commodities)) from None

    @property
    def codes(self) -> list[str]:
        return sorted(self.commodities)

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and code.strip().lower() in self.commodities

    def __iter__(self) -> Iterator[Commodity]:
        return iter(self.commodities.values())


def load_catalog(path: str | Path | None = None) -> Catalog:
    """Load the catalog from `path`, or the file packaged in availability_service/catalog."""
    if path is None:
        text = (
            resources.files("availability_service")
            .joinpath("catalog", "commodities.yaml")
            .read_text(encoding="utf-8")
        )
    else:
        text = Path(path).read_text(encoding="utf-8")
    return parse_catalog(yaml.safe_load(text))


def parse_catalog(document: Any) -> Catalog:
    """Build a Catalog from the parsed YAML document (a dict)."""
    if not isinstance(document, dict) or not isinstance(document.get("commodities"), dict):
        raise CatalogError("catalog must be a mapping with 'version' and 'commodities'")
    version = document.get("version")
    if not isinstance(version, int):
        raise CatalogError("catalog 'version' must be an integer")
    commodities = {
        str(code).lower(): _commodity(str(code).lower(), body)
        for code, body in document["commodities"].items()
    }
    return Catalog(version=version, commodities=MappingProxyType(commodities))


def _commodity(code: str, body: Any) -> Commodity:
    if not isinstance(body, dict):
        raise CatalogError(f"commodity {code!r} must be a mapping")
    try:
        price_unit = str(body["price_unit"])
        if "/" not in price_unit:
            raise CatalogError(f"{code}: price_unit must look like CURRENCY/unit")
        band = body.get("price_band")
        quality = {
            str(name): _parameter(str(name), spec or {})
            for name, spec in (body.get("quality") or {}).items()
        }
        return Commodity(
            code=code,
            display_name=str(body.get("display_name", code)),
            family=str(body["family"]),
            quantity_unit=str(body["quantity_unit"]),
            price_unit=price_unit,
            accepted_quantity_units=tuple(str(u) for u in body["accepted_quantity_units"]),
            unit_settings=MappingProxyType(
                {str(k): str(v) for k, v in (body.get("unit_settings") or {}).items()}
            ),
            quality=MappingProxyType(quality),
            price_band=(Decimal(str(band[0])), Decimal(str(band[1]))) if band else None,
        )
    except (KeyError, TypeError, IndexError) as exc:
        raise CatalogError(f"commodity {code!r} is malformed: {exc!r}") from exc


def _parameter(name: str, spec: dict[str, Any]) -> QualityParameter:
    low, high = spec.get("range") or (None, None)
    scale = spec.get("scale_if_above")
    return QualityParameter(
        name=name,
        kind="text" if spec.get("kind") == "text" else "number",
        unit=None if spec.get("unit") is None else str(spec["unit"]),
        alternate_units=tuple(str(u) for u in spec.get("alternate_units") or ()),
        minimum=None if low is None else float(low),
        maximum=None if high is None else float(high),
        higher_is_better=spec.get("higher_is_better"),
        aliases=tuple(str(a).lower() for a in spec.get("aliases") or ()),
        scale_if_above=ScaleRule(float(scale["threshold"]), float(scale["divisor"]))
        if scale
        else None,
        conversions=tuple(
            EmpiricalConversion(
                from_unit=str(c["from"]),
                formula=c.get("formula", "linear"),
                scale=float(c.get("scale", 1.0)),
                offset=float(c.get("offset", 0.0)),
                numerator=float(c.get("numerator", 1.0)),
                note=str(c.get("note", "")),
            )
            for c in spec.get("conversions") or ()
        ),
        refused_units=MappingProxyType(
            {str(k).lower(): str(v) for k, v in (spec.get("refused_units") or {}).items()}
        ),
        note=str(spec.get("note", "")),
    )


def catalog_to_rows(catalog: Catalog) -> list[dict[str, Any]]:
    """Plain JSON-ready dicts, one per commodity, for the storage layer's catalog table."""
    rows: list[dict[str, Any]] = []
    for commodity in catalog:
        rows.append(
            {
                "catalog_version": catalog.version,
                "code": commodity.code,
                "display_name": commodity.display_name,
                "family": commodity.family,
                "quantity_unit": commodity.quantity_unit,
                "price_unit": commodity.price_unit,
                "accepted_quantity_units": list(commodity.accepted_quantity_units),
                "unit_settings": dict(commodity.unit_settings),
                "price_band_min": None
                if commodity.price_band is None
                else str(commodity.price_band[0]),
                "price_band_max": None
                if commodity.price_band is None
                else str(commodity.price_band[1]),
                "quality_parameters": [
                    {
                        "name": p.name,
                        "kind": p.kind,
                        "unit": p.unit,
                        "alternate_units": list(p.alternate_units),
                        "min": p.minimum,
                        "max": p.maximum,
                        "higher_is_better": p.higher_is_better,
                        "aliases": list(p.aliases),
                        "note": p.note,
                    }
                    for p in commodity.quality.values()
                ],
            }
        )
    return rows

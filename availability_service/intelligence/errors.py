"""Errors raised by the commodity-intelligence package.

Each error carries a `field` so the gRPC layer can build a BadRequest field violation
without parsing messages; the message itself is written for a human reading a log line.
"""

from __future__ import annotations


class IntelligenceError(Exception):
    """Base class: any input the intelligence package refuses."""

    field: str = ""

    def __init__(self, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.field = field


class CatalogError(IntelligenceError):
    """The catalog file is malformed (a deployment problem, not a caller problem)."""


class UnknownCommodity(IntelligenceError, LookupError):
    """A commodity code the catalog does not know; the message lists the known codes."""

    def __init__(self, code: str, known: list[str]) -> None:
        super().__init__(
            f"unknown commodity {code!r}; known commodities: {', '.join(sorted(known))}",
            field="commodity",
        )
        self.code = code
        self.known = sorted(known)


class UnitError(IntelligenceError, ValueError):
    """A unit that is unknown, not accepted for the commodity, or not convertible."""


class InvalidQuality(IntelligenceError, ValueError):
    """A quality value that cannot be read (NaN, infinity, unparseable text)."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(message, field=f"quality_params[{parameter}]")
        self.parameter = parameter


class QualityOutOfRange(InvalidQuality):
    """A normalised quality value outside the catalog's realistic range.

    The range is in the message so a seller who typed 42 instead of 4.2 sees why.
    """

    def __init__(
        self,
        parameter: str,
        value: float,
        minimum: float | None,
        maximum: float | None,
        unit: str | None,
    ) -> None:
        unit_text = f" {unit}" if unit else ""
        low = "-inf" if minimum is None else f"{minimum:g}"
        high = "+inf" if maximum is None else f"{maximum:g}"
        super().__init__(
            parameter,
            f"quality parameter {parameter!r} = {value:g}{unit_text} is outside the realistic "
            f"range [{low}, {high}]{unit_text}",
        )
        self.value = value
        self.minimum = minimum
        self.maximum = maximum

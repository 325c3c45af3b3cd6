"""Field rules for lots: each bad field becomes one violation naming it."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from urllib.parse import urlparse

import pycountry

from availability_service.domain.errors import Violations
from availability_service.domain.model import ZERO, Availability, PriceType, Visibility

INCOTERMS_2020 = frozenset(
    {"EXW", "FCA", "CPT", "CIP", "DAP", "DPU", "DDP", "FAS", "FOB", "CFR", "CIF"}
)
MAX_INTEGER_DIGITS = 18
MAX_FRACTION_DIGITS = 6
SHORT_TEXT = 128
LONG_TEXT = 4000
MAX_LIST = 32
MAX_TAG = 64
MAX_URL = 2048
MAX_QUALITY_PARAMS = 64
MAX_ID_LIST = 1000

_DECIMAL_RE = re.compile(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$")  # ASCII digits only
_CODE_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_HHMM_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_LOCODE_RE = re.compile(r"^[A-Z]{2}[A-Z2-9]{3}$")
_PARAM_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_ .%/-]{0,63}$")


def parse_decimal(
    raw: str, field: str, v: Violations, *, required: bool = True, positive: bool = True
) -> Decimal | None:
    """A decimal string with at most 18 integer and 6 fraction digits; never a float."""
    text = raw.strip()
    if not text:
        if required:
            v.add(field, "is required")
        return None
    if not _DECIMAL_RE.match(text):
        v.add(field, f"must be a decimal string such as '12.5', got {raw[:40]!r}")
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the regex admits only valid decimals
        v.add(field, "must be a decimal string")
        return None
    _sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    fraction = max(0, -exponent)
    integer = max(0, len(digits) + exponent)
    if fraction > MAX_FRACTION_DIGITS or integer > MAX_INTEGER_DIGITS:
        v.add(
            field,
            f"at most {MAX_INTEGER_DIGITS} integer and {MAX_FRACTION_DIGITS} fractional digits",
        )
        return None
    if positive and value <= ZERO:
        v.add(field, "must be greater than 0")
        return None
    return value


_CURRENCY_RE = re.compile(r"^[A-Z]{3}$|^USc$")


def parse_money(
    amount: str, currency: str, field: str, v: Violations
) -> tuple[Decimal, str] | None:
    """A Money given in a request: a positive decimal amount and an ISO 4217 code (or USc)."""
    value = parse_decimal(amount, f"{field}.amount", v)
    if not _CURRENCY_RE.match(currency):
        v.add(f"{field}.currency_code", "must be an ISO 4217 code such as 'USD' (or 'USc')")
        return None
    return None if value is None else (value, currency)


def check_text(value: str, field: str, v: Violations, limit: int = SHORT_TEXT) -> None:
    if len(value) > limit:
        v.add(field, f"at most {limit} characters")
    elif "\x00" in value:
        v.add(field, "must not contain NUL characters")


def check_url(value: str, field: str, v: Violations) -> None:
    if len(value) > MAX_URL:
        v.add(field, f"at most {MAX_URL} characters")
        return
    parsed = urlparse(value)
    if parsed.scheme not in {"http", "https"} or not parsed.netloc or " " in value:
        v.add(field, f"must be a well-formed http(s) URL, got {value[:60]!r}")


def check_code(value: str, field: str, v: Violations) -> None:
    if not _CODE_RE.match(value):
        v.add(field, "must be a lower-case code such as 'cotton'")


def check_country(value: str, field: str, v: Violations) -> None:
    if (
        len(value) != 2
        or pycountry.countries.get(alpha_2=value.upper()) is None
        or value != value.upper()
    ):
        v.add(field, f"must be an ISO 3166-1 alpha-2 code such as 'IN', got {value[:8]!r}")


def check_incoterm(value: str, field: str, v: Violations) -> None:
    if value not in INCOTERMS_2020:
        v.add(field, f"must be an Incoterms 2020 code ({', '.join(sorted(INCOTERMS_2020))})")


def validate_lot(lot: Availability, v: Violations) -> None:
    """Cross-field and format rules of a complete lot (after create or after an update)."""
    check_code(lot.commodity, "availability.commodity", v)
    if not lot.quantity_unit.strip():
        v.add("availability.quantity_unit", "is required")
    for fname in (
        "variety",
        "grade",
        "quantity_unit",
        "price_unit",
        "delivery_region",
        "location_id",
        "internal_reference",
        "seller_id",
        "company_id",
    ):
        check_text(getattr(lot, fname), f"availability.{fname}", v)
    check_text(lot.description, "availability.description", v, LONG_TEXT)
    if lot.min_order_quantity is not None and lot.min_order_quantity > lot.total_quantity:
        v.add("availability.min_order_quantity", "must not exceed total_quantity")
    if lot.market_visibility is Visibility.PRIVATE and not lot.restricted_buyer_ids:
        v.add("availability.restricted_buyer_ids", "PRIVATE lots need at least one buyer id")
    if lot.market_visibility is Visibility.RESTRICTED and not lot.allowed_regions:
        v.add("availability.allowed_regions", "RESTRICTED lots need at least one region")
    for fname in ("restricted_buyer_ids", "allowed_regions"):
        items = getattr(lot, fname)
        if len(items) > MAX_ID_LIST:
            v.add(f"availability.{fname}", f"at most {MAX_ID_LIST} entries")
        for i, item in enumerate(items):
            if not item.strip():
                v.add(f"availability.{fname}[{i}]", "must not be empty")
            check_text(item, f"availability.{fname}[{i}]", v)
    if lot.price_type is PriceType.FIXED and lot.base_price_amount is None:
        v.add("availability.base_price", "PRICE_TYPE_FIXED needs a base_price")
    if lot.price_type is PriceType.MATRIX and not lot.price_options:
        v.add("availability.price_options", "PRICE_TYPE_MATRIX needs price_options")
    if lot.base_price_amount is not None and not _CURRENCY_RE.match(lot.base_price_currency):
        v.add(
            "availability.base_price.currency_code",
            "must be an ISO 4217 code such as 'USD' (or 'USc' for US cents)",
        )
    if len(lot.price_options) > MAX_LIST:
        v.add("availability.price_options", f"at most {MAX_LIST} options")
    if lot.incoterm:
        check_incoterm(lot.incoterm, "availability.incoterm", v)
    for i, term in enumerate(lot.supported_incoterms):
        check_incoterm(term, f"availability.supported_incoterms[{i}]", v)
    if lot.country_of_origin:
        check_country(lot.country_of_origin, "availability.country_of_origin", v)
    if lot.export_port:
        if not _LOCODE_RE.match(lot.export_port):
            v.add("availability.export_port", "must be a UN/LOCODE such as 'INMUN'")
        else:
            check_country(lot.export_port[:2], "availability.export_port", v)
    if lot.eod_cutoff and not _HHMM_RE.match(lot.eod_cutoff):
        v.add("availability.eod_cutoff", "must be HH:MM in 24-hour time")
    _check_window(lot.available_from, lot.available_until, "available_until", "available_from", v)
    _check_window(
        lot.delivery_window_start,
        lot.delivery_window_end,
        "delivery_window_end",
        "delivery_window_start",
        v,
    )
    if (lot.latitude is None) != (lot.longitude is None):
        v.add("availability.delivery_location", "needs both latitude and longitude")
    if len(lot.tags) > MAX_LIST:
        v.add("availability.tags", f"at most {MAX_LIST} tags")
    for i, tag in enumerate(lot.tags):
        if not tag.strip():
            v.add(f"availability.tags[{i}]", "must not be empty")
        check_text(tag, f"availability.tags[{i}]", v, MAX_TAG)
    if lot.test_report_url:
        check_url(lot.test_report_url, "availability.test_report_url", v)
    if len(lot.media_urls) > MAX_LIST:
        v.add("availability.media_urls", f"at most {MAX_LIST} URLs")
    for i, url in enumerate(lot.media_urls):
        check_url(url, f"availability.media_urls[{i}]", v)
    if len(lot.quality_params) > MAX_QUALITY_PARAMS:
        v.add("availability.quality_params", f"at most {MAX_QUALITY_PARAMS} parameters")
    for key in lot.quality_params:
        if not _PARAM_RE.match(key):
            v.add(
                f"availability.quality_params[{key[:40]}]",
                "parameter names are 1-64 letters, digits, '_', '.', '%', '/', '-' or spaces",
            )


def _check_window(
    start: object, end: object, end_field: str, start_field: str, v: Violations
) -> None:
    if start is not None and end is not None and end <= start:  # type: ignore[operator]  # both datetimes
        v.add(f"availability.{end_field}", f"must be after {start_field}")

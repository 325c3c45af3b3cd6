"""Field rules for lots: each bad field becomes one violation naming it."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlparse

import pycountry

from availability_service.domain.errors import Violations
from availability_service.domain.model import ZERO, Availability, PriceType, Visibility

INCOTERMS_2020 = frozenset(
    {"EXW", "FCA", "CPT", "CIP", "DAP", "DPU", "DDP", "FAS", "FOB", "CFR", "CIF"}
)
MAX_INTEGER_DIGITS = 18
MAX_FRACTION_DIGITS = 6
# Every limit below is in UTF-8 bytes (strings) or entries (lists and maps); docs/contract.md
# has them as a table. Each one also bounds the whole lot: see MAX_LOT_BYTES.
SHORT_TEXT = 128
LONG_TEXT = 4000
MAX_LIST = 32
MAX_TAG = 64
MAX_URL = 2048
MAX_QUALITY_PARAMS = 64
MAX_QUALITY_TEXT = 256
MAX_QUALITY_UNIT = 32
MAX_CURRENCY = 8
MAX_ID_LIST = 100
MAX_PRICE_OPTIONS = 32
MAX_REJECTION_REASON = 1000
# Each Incoterms 2020 rule at most once.
MAX_INCOTERMS = len(INCOTERMS_2020)
# The whole lot as its owner sees it (the largest view), encoded, when it is written. Later
# server-side changes (approval, rejection with its reason, quantities, deletion) add at most
# SERVER_FIELDS_HEADROOM, so every emitted lot stays under MAX_EMITTED_LOT_BYTES and a full
# page of them fits a 4 MiB gRPC message (tests/unit/domain/test_size_bounds.py).
MAX_LOT_BYTES = 6 * 1024
SERVER_FIELDS_HEADROOM = 2 * 1024
MAX_EMITTED_LOT_BYTES = MAX_LOT_BYTES + SERVER_FIELDS_HEADROOM

_DECIMAL_RE = re.compile(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$")  # ASCII digits only
_CODE_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_HHMM_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_LOCODE_RE = re.compile(r"^[A-Z]{2}[A-Z2-9]{3}$")
_PARAM_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_ .%/-]{0,63}$")
_CURRENCY_RE = re.compile(r"^[A-Z]{3}$|^USc$")
MAX_PAYMENT_TERMS_DAYS = 3650


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


def parse_money(
    amount: str, currency: str, field: str, v: Violations
) -> tuple[Decimal, str] | None:
    """A Money given in a request: a positive decimal amount and an ISO 4217 code (or USc)."""
    value = parse_decimal(amount, f"{field}.amount", v)
    if not _CURRENCY_RE.match(currency):
        v.add(f"{field}.currency_code", "must be an ISO 4217 code such as 'USD' (or 'USc')")
        return None
    return None if value is None else (value, currency)


def utf8_size(value: str) -> int:
    """Bytes on the wire: limits count these, not characters ("é" is 2, "棉" is 3)."""
    return len(value.encode("utf-8", "surrogatepass"))


def check_text(value: str, field: str, v: Violations, limit: int = SHORT_TEXT) -> bool:
    """True when the text is within `limit` UTF-8 bytes and has no NUL."""
    if utf8_size(value) > limit:
        v.add(field, f"at most {limit} bytes of UTF-8, got {utf8_size(value)}")
        return False
    if "\x00" in value:
        v.add(field, "must not contain NUL characters")
        return False
    return True


def check_count(items: object, field: str, v: Violations, limit: int) -> bool:
    """True when the list or map has at most `limit` entries; its entries are checked only then,
    so an oversized list costs one violation, not one per entry."""
    if len(items) > limit:  # type: ignore[arg-type]  # lists and dicts alike
        v.add(field, f"at most {limit} entries, got {len(items)}")  # type: ignore[arg-type]
        return False
    return True


def check_url(value: str, field: str, v: Violations) -> None:
    if not check_text(value, field, v, MAX_URL):
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


def check_currency(value: str, field: str, v: Violations) -> None:
    if not _CURRENCY_RE.match(value):
        v.add(field, "must be an ISO 4217 code such as 'USD' (or 'USc' for US cents)")


def check_price_option(option: dict[str, Any], field: str, v: Violations) -> None:
    """A matrix row is checked like the lot's own price: label, currency, incoterm, terms."""
    check_text(option.get("label") or "", f"{field}.label", v)
    if option.get("amount") is not None:
        check_currency(option.get("currency_code") or "", f"{field}.price.currency_code", v)
    if option.get("incoterm"):
        check_incoterm(option["incoterm"], f"{field}.incoterm", v)
    days = option.get("payment_terms_days") or 0
    if not 0 <= days <= MAX_PAYMENT_TERMS_DAYS:
        v.add(f"{field}.payment_terms_days", f"must be between 0 and {MAX_PAYMENT_TERMS_DAYS}")


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
        if not check_count(items, f"availability.{fname}", v, MAX_ID_LIST):
            continue
        for i, item in enumerate(items):
            if not item.strip():
                v.add(f"availability.{fname}[{i}]", "must not be empty")
            check_text(item, f"availability.{fname}[{i}]", v)
    if lot.price_type is PriceType.FIXED and lot.base_price_amount is None:
        v.add("availability.base_price", "PRICE_TYPE_FIXED needs a base_price")
    if lot.price_type is PriceType.MATRIX and not lot.price_options:
        v.add("availability.price_options", "PRICE_TYPE_MATRIX needs price_options")
    if lot.base_price_amount is not None:
        check_currency(lot.base_price_currency, "availability.base_price.currency_code", v)
    if check_count(lot.price_options, "availability.price_options", v, MAX_PRICE_OPTIONS):
        for i, option in enumerate(lot.price_options):
            check_price_option(option, f"availability.price_options[{i}]", v)
    if lot.incoterm:
        check_incoterm(lot.incoterm, "availability.incoterm", v)
    _check_incoterms(lot.supported_incoterms, v)
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
    if check_count(lot.tags, "availability.tags", v, MAX_LIST):
        for i, tag in enumerate(lot.tags):
            if not tag.strip():
                v.add(f"availability.tags[{i}]", "must not be empty")
            check_text(tag, f"availability.tags[{i}]", v, MAX_TAG)
    if lot.test_report_url:
        check_url(lot.test_report_url, "availability.test_report_url", v)
    if check_count(lot.media_urls, "availability.media_urls", v, MAX_LIST):
        for i, url in enumerate(lot.media_urls):
            check_url(url, f"availability.media_urls[{i}]", v)
    if not check_count(lot.quality_params, "availability.quality_params", v, MAX_QUALITY_PARAMS):
        return
    for key in lot.quality_params:
        if not _PARAM_RE.match(key):
            v.add(
                f"availability.quality_params[{key[:40]}]",
                "parameter names are 1-64 letters, digits, '_', '.', '%', '/', '-' or spaces",
            )


def check_lot_size(size: int, largest_field: str, v: Violations) -> None:
    """The whole lot's cap, named after its largest field (the one worth shortening)."""
    if size > MAX_LOT_BYTES:
        v.add(
            f"availability.{largest_field}",
            f"the lot would encode to {size} bytes, over the {MAX_LOT_BYTES}-byte limit of a "
            "lot; this field is its largest part",
        )


def _check_incoterms(terms: list[str], v: Violations) -> None:
    if not check_count(terms, "availability.supported_incoterms", v, MAX_INCOTERMS):
        return
    seen: set[str] = set()
    for i, term in enumerate(terms):
        check_incoterm(term, f"availability.supported_incoterms[{i}]", v)
        if term in seen:
            v.add(f"availability.supported_incoterms[{i}]", f"{term} is listed twice")
        seen.add(term)


def _check_window(
    start: object, end: object, end_field: str, start_field: str, v: Violations
) -> None:
    if start is not None and end is not None and end <= start:  # type: ignore[operator]  # both datetimes
        v.add(f"availability.{end_field}", f"must be after {start_field}")

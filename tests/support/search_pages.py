"""Helpers of the search equality tests: lots as table rows, every page of a search, and
the comparison with brute force (tests.support.search_oracle)."""

from __future__ import annotations

from typing import Any

import pytest

from availability_service.domain.model import AVAILABILITY_FIELDS, Availability
from tests.support.callers import Caller
from tradedesk.availability.v1 import availability_service_pb2 as api


def row_values(lot: Availability) -> dict[str, Any]:
    """The lot as a row of the availabilities table (enums by value)."""
    values = {name: getattr(lot, name) for name in AVAILABILITY_FIELDS}
    for key in ("state", "market_visibility", "price_type"):
        values[key] = values[key].value
    return values


def paged(caller: Caller, request: api.SearchAvailabilitiesRequest) -> list[tuple[str, float]]:
    """(name, score) of every result, page after page."""
    found: list[tuple[str, float]] = []
    while True:
        page = caller.SearchAvailabilities(request)
        found += [(r.availability.name, r.score) for r in page.results]
        if not page.next_page_token:
            return found
        request.page_token = page.next_page_token


def assert_same_results(found: list[tuple[str, float]], expected: list[tuple[str, float]]) -> None:
    """The same lots in the same order, with the same scores (up to float printing)."""
    assert [name for name, _ in found] == [name for name, _ in expected]
    assert [score for _, score in found] == pytest.approx(
        [score for _, score in expected], rel=1e-12
    )

"""Page tokens are opaque, bound to their query, and reject anything they did not issue."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from availability_service.domain.errors import InvalidArgument
from availability_service.service_layer import paging


def test_a_token_round_trips_its_position() -> None:
    fp = paging.fingerprint("list", "seller-1")
    token = paging.encode_token(["2026-01-01T00:00:00+00:00", "abc"], fp)
    assert paging.decode_token(token, fp) == ["2026-01-01T00:00:00+00:00", "abc"]


def test_a_token_for_other_filters_is_rejected() -> None:
    token = paging.encode_token([1], paging.fingerprint("list", "a"))
    with pytest.raises(InvalidArgument) as err:
        paging.decode_token(token, paging.fingerprint("list", "b"))
    assert err.value.violations[0].field == "page_token"


@pytest.mark.parametrize("token", ["", "%%%", "bm90IGpzb24", "e30", "W10", "x" * 5000])
def test_garbage_is_invalid_argument(token: str) -> None:
    with pytest.raises(InvalidArgument):
        paging.decode_token(token, paging.fingerprint("q"))


def test_a_page_size_of_zero_is_the_default_and_a_large_one_is_capped() -> None:
    assert paging.page_size(0, 50, 500) == 50
    assert paging.page_size(7, 50, 500) == 7
    assert paging.page_size(10_000, 50, 500) == 500


def test_a_negative_page_size_is_invalid_argument_naming_page_size() -> None:
    with pytest.raises(InvalidArgument) as err:
        paging.page_size(-1, 50, 500)
    assert err.value.violations[0].field == "page_size"


@pytest.mark.parametrize("position", [[], [1], ["a", "b"], [None]])
def test_a_key_token_holds_exactly_one_text_key(position: list[object]) -> None:
    fp = paging.fingerprint("keys")
    with pytest.raises(InvalidArgument) as err:
        paging.decode_key(paging.encode_token(position, fp), fp)
    assert err.value.violations[0].field == "page_token"


def test_a_key_and_a_time_id_round_trip_and_an_empty_token_is_the_first_page() -> None:
    fp = paging.fingerprint("keys")
    assert paging.decode_key(paging.encode_key("wheat", fp), fp) == "wheat"
    assert paging.decode_key("", fp) is None
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    row_id = uuid.uuid4()
    assert paging.decode_time_id(paging.encode_time_id(moment, row_id, fp), fp) == (moment, row_id)
    assert paging.decode_time_id("", fp) is None

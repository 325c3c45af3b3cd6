"""Page tokens are opaque, bound to their query, and reject anything they did not issue."""

from __future__ import annotations

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

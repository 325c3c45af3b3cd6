"""A lot has a bounded size: byte limits at their edge, count limits, the whole-lot cap, and a
full page of the largest lots that still fits one message."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import grpc
import pytest
from google.protobuf import field_mask_pb2
from sqlalchemy import Engine, text

from availability_service.domain.validation import MAX_LOT_BYTES
from availability_service.grpc_api.batch_rpc import MAX_BATCH
from availability_service.service_layer.lots import MAX_PAGE_SIZE
from tests.support.callers import Caller
from tests.support.lots import cotton_lot, error_details
from tradedesk.availability.v1 import availability_service_pb2 as api
from tradedesk.availability.v1 import resources_pb2 as pb

Refused = Callable[[Caller, pb.Availability], list[str]]
COTTON = "棉"  # 3 bytes of UTF-8
E_ACUTE = "é"  # 2 bytes of UTF-8


def writes(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM events")).scalar_one())


@pytest.fixture
def refused(engine: Engine) -> Callable[[Caller, pb.Availability], list[str]]:
    """refused(caller, lot): the fields a refused create names; asserts INVALID_ARGUMENT and
    that nothing was written."""

    def create_refused(caller: Caller, lot: pb.Availability) -> list[str]:
        before = writes(engine)
        with pytest.raises(grpc.RpcError) as caught:
            caller.CreateAvailability(api.CreateAvailabilityRequest(availability=lot))
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert writes(engine) == before
        return error_details(caught.value)["fields"]  # type: ignore[no-any-return]

    return create_refused


def created(caller: Caller, lot: pb.Availability) -> pb.Availability:
    return caller.CreateAvailability(api.CreateAvailabilityRequest(availability=lot)).availability


@pytest.mark.parametrize(
    ("field", "at_limit", "over_limit"),
    [
        ("description", COTTON * 1333 + "a", COTTON * 1333 + E_ACUTE),  # 4000 / 4001 bytes
        ("variety", E_ACUTE * 64, E_ACUTE * 64 + "a"),  # 128 / 129 bytes
        ("internal_reference", COTTON * 42 + "ab", COTTON * 42 + E_ACUTE + "a"),
    ],
)
def test_text_limits_count_utf8_bytes_and_one_byte_over_is_refused(
    seller: Caller, field: str, at_limit: str, over_limit: str, refused: Refused
) -> None:
    lot = created(seller, cotton_lot(**{field: at_limit}))
    assert getattr(lot, field) == at_limit
    assert refused(seller, cotton_lot(**{field: over_limit})) == [f"availability.{field}"]


def test_a_tag_of_64_bytes_is_kept_and_one_of_65_bytes_is_refused(
    seller: Caller, refused: Refused
) -> None:
    assert list(created(seller, cotton_lot(tags=[COTTON * 21 + "a"])).tags) == [COTTON * 21 + "a"]
    assert refused(seller, cotton_lot(tags=["ok", COTTON * 21 + E_ACUTE])) == [
        "availability.tags[1]"
    ]


def test_three_hundred_thousand_incoterms_are_refused_with_one_violation(
    seller: Caller, refused: Refused
) -> None:
    lot = cotton_lot(supported_incoterms=["FOB"] * 300_000)
    assert refused(seller, lot) == ["availability.supported_incoterms"]


def test_every_incoterms_rule_once_is_accepted_and_a_repeat_is_refused(
    seller: Caller, refused: Refused
) -> None:
    every = ["EXW", "FCA", "CPT", "CIP", "DAP", "DPU", "DDP", "FAS", "FOB", "CFR", "CIF"]
    assert list(created(seller, cotton_lot(supported_incoterms=every)).supported_incoterms) == every
    assert refused(seller, cotton_lot(supported_incoterms=["FOB", "CIF", "FOB"])) == [
        "availability.supported_incoterms[2]"
    ]


@pytest.mark.parametrize(
    ("field", "count"),
    [("tags", 33), ("media_urls", 33), ("restricted_buyer_ids", 101), ("allowed_regions", 101)],
)
def test_a_list_over_its_count_limit_is_one_violation_naming_the_list(
    seller: Caller, field: str, count: int, refused: Refused
) -> None:
    values = [f"https://e.example/{i}" if field == "media_urls" else f"x{i}" for i in range(count)]
    # The audience lists are kept only for the visibility that uses them.
    visibility = {
        "restricted_buyer_ids": pb.Availability.MARKET_VISIBILITY_PRIVATE,
        "allowed_regions": pb.Availability.MARKET_VISIBILITY_RESTRICTED,
    }.get(field, pb.Availability.MARKET_VISIBILITY_PUBLIC)
    fields = refused(seller, cotton_lot(market_visibility=visibility, **{field: values}))
    assert f"availability.{field}" in fields
    assert not any(f.startswith(f"availability.{field}[") for f in fields)


def matrix(*options: tuple[str, str, str]) -> pb.Availability:
    return cotton_lot(
        price_type=pb.Availability.PRICE_TYPE_MATRIX,
        price_options=[
            pb.PriceOption(
                label=f"option {i}",
                price=pb.Money(currency_code=currency, amount=amount),
                incoterm=incoterm,
            )
            for i, (incoterm, currency, amount) in enumerate(options)
        ],
    )


def test_each_price_option_is_checked_like_the_lots_own_price(
    seller: Caller, refused: Refused
) -> None:
    fields = refused(
        seller,
        matrix(("FOB", "USD", "1650"), ("CIF", "usd", "1700"), ("FOBX", "USD", "1690")),
    )
    assert sorted(fields) == [
        "availability.price_options[1].price.currency_code",
        "availability.price_options[2].incoterm",
    ]


def test_valid_price_options_are_stored(seller: Caller) -> None:
    lot = created(seller, matrix(("FOB", "USD", "1650"), ("CIF", "USD", "1700")))
    assert [o.incoterm for o in lot.price_options] == ["FOB", "CIF"]


def test_thirty_three_price_options_are_one_violation(seller: Caller, refused: Refused) -> None:
    fields = refused(seller, matrix(*[("FOB", "USD", "1650")] * 33))
    assert fields == ["availability.price_options"]


def big_lot(media: int, url_bytes: int = 200) -> pb.Availability:
    urls = [f"https://media.example/{i:03d}/" + "p" * (url_bytes - 27) for i in range(media)]
    return cotton_lot(description="d" * 4000, media_urls=urls)


def test_a_lot_over_the_whole_lot_cap_is_refused_naming_its_largest_field(
    seller: Caller, refused: Refused
) -> None:
    lot = big_lot(media=32)  # every field within its own limit, together ~10.6 kB
    assert lot.ByteSize() > MAX_LOT_BYTES
    assert refused(seller, lot) == ["availability.media_urls"]


def test_an_update_that_would_outgrow_the_cap_is_refused_and_changes_nothing(
    seller: Caller, engine: Engine
) -> None:
    lot = created(seller, cotton_lot(description="d" * 4000))
    before = writes(engine)
    grown = pb.Availability(name=lot.name, media_urls=big_lot(media=32).media_urls)
    with pytest.raises(grpc.RpcError) as caught:
        seller.UpdateAvailability(
            api.UpdateAvailabilityRequest(
                availability=grown, update_mask=field_mask_pb2.FieldMask(paths=["media_urls"])
            )
        )
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error_details(caught.value)["fields"] == ["availability.media_urls"]
    assert writes(engine) == before
    again = seller.GetAvailability(api.GetAvailabilityRequest(name=lot.name))
    assert again.availability.etag == lot.etag


def largest_accepted(caller: Caller) -> pb.Availability:
    """The lot with the most media URLs (of 200 bytes) the cap still admits."""
    for media in range(32, 0, -1):
        lot = big_lot(media)
        try:
            caller.CreateAvailability(api.CreateAvailabilityRequest(availability=lot))
        except grpc.RpcError as error:
            assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
            continue
        return lot
    raise AssertionError("no lot of that shape fits the cap")


def test_a_full_batch_and_a_full_list_page_of_the_largest_lots_fit_one_message(
    caller: Callable[..., Caller],
) -> None:
    trader = caller("TRADER")
    lot = largest_accepted(trader)
    # A full batch of them fits one request and its reply one response.
    batch = [
        api.CreateAvailabilityRequest(availability=lot, request_id=uuid.uuid4().hex)
        for _ in range(MAX_BATCH)
    ]
    results = trader.BatchCreateAvailabilities(
        api.BatchCreateAvailabilitiesRequest(requests=batch), timeout=300
    ).results
    assert {r.code for r in results} == {0}
    page = trader.ListAvailabilities(
        api.ListAvailabilitiesRequest(seller_id=trader.subject, page_size=MAX_PAGE_SIZE),
        timeout=60,
    )
    assert len(page.availabilities) == MAX_PAGE_SIZE
    assert page.next_page_token  # the first lot makes 501
    sizes: list[Any] = [a.ByteSize() for a in page.availabilities]
    assert min(sizes) > MAX_LOT_BYTES * 0.8  # a page of lots near the cap, not a light one
    assert page.ByteSize() <= 4 * 1024 * 1024

"""Enrichment end to end: catalog, canonical units, quality normalisation, price anomalies."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from decimal import Decimal

import grpc
import pytest
from google.protobuf import field_mask_pb2
from sqlalchemy import Engine, select

from availability_service.app import Application
from availability_service.storage.tables import commodities
from tests.support.callers import Caller
from tests.support.lots import cotton_lot, error_details
from tests.support.market import approved_market, fresh_grade_and_region
from tradedesk.availability.v1 import availability_service_pb2 as api
from tradedesk.availability.v1 import resources_pb2 as pb


def create(caller: Caller, lot: pb.Availability) -> pb.Availability:
    return caller.CreateAvailability(api.CreateAvailabilityRequest(availability=lot)).availability


def rejected(caller: Caller, lot: pb.Availability) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as err:
        create(caller, lot)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    return err.value


@pytest.fixture
def trader(caller: Callable[..., Caller]) -> Caller:
    """A TRADER posts from any point and region (a SELLER only from its own location)."""
    return caller("TRADER", company=f"co-{uuid.uuid4().hex[:6]}")


def test_the_catalog_is_loaded_into_the_commodities_table(app: Application, engine: Engine) -> None:
    with engine.connect() as conn:
        rows = {r.code: r for r in conn.execute(select(commodities))}
    for code in ("cotton", "wheat", "gold", "crude_oil", "coffee", "soybeans", "copper_cathode"):
        assert code in rows
        assert rows[code].catalog_version == 1
    assert rows["cotton"].spec["price_unit"] == "USD/t"
    assert "staple_length" in [p["name"] for p in rows["cotton"].spec["quality_parameters"]]


def test_quality_is_normalised_to_the_catalog_units_and_unknown_parameters_are_kept(
    seller: Caller,
) -> None:
    lot = cotton_lot()
    lot.quality_params.clear()
    lot.quality_params["staple"].text = "2.9 cm"  # an alias and a unit in the text
    lot.quality_params["micronaire"].number = 42  # reported x10
    lot.quality_params["trash"].text = "3%"
    lot.quality_params["ginning"].text = "roller"
    created = create(seller, lot)
    normalized = created.normalized_quality_params
    assert (normalized["staple_length"].number, normalized["staple_length"].unit) == (29.0, "mm")
    assert normalized["micronaire"].number == pytest.approx(4.2)
    assert (normalized["trash"].number, normalized["trash"].unit) == (3.0, "%")
    assert normalized["ginning"].text == "roller"
    assert created.quality_params["staple"].text == "2.9 cm"  # what the seller sent is kept


def test_a_quality_value_outside_the_realistic_range_names_the_parameter_and_range(
    seller: Caller,
) -> None:
    lot = cotton_lot()
    lot.quality_params["staple_length"].number = 55
    error = rejected(seller, lot)
    assert error_details(error)["fields"] == ["availability.quality_params[staple_length]"]
    assert "[20, 40]" in (error.details() or "")


def test_an_unknown_commodity_is_refused_with_the_known_codes(seller: Caller) -> None:
    error = rejected(seller, cotton_lot(commodity="unobtainium"))
    assert error_details(error)["fields"] == ["availability.commodity"]
    assert "cotton" in (error.details() or "") and "wheat" in (error.details() or "")


def test_a_quantity_unit_the_commodity_does_not_accept_is_refused(seller: Caller) -> None:
    error = rejected(seller, cotton_lot(quantity_unit="bbl"))
    assert error_details(error)["fields"] == ["availability.quantity_unit"]


def test_quantity_and_price_are_converted_to_canonical_units(seller: Caller) -> None:
    lot = cotton_lot(
        total_quantity="100", price_unit="lb", base_price=pb.Money(currency_code="USc", amount="75")
    )
    created = create(seller, lot)
    assert (created.quantity_in_base_unit, created.base_quantity_unit) == ("100000", "kg")
    assert created.base_price_unit == "USD/t"
    assert created.price_per_base_unit.currency_code == "USD"
    # 75 US cents per lb is 75 x 22.0462 USD per tonne.
    assert Decimal(created.price_per_base_unit.amount) == pytest.approx(
        Decimal("1653.467"), abs=Decimal("0.001")
    )
    wheat = pb.Availability(
        commodity="wheat",
        quantity_unit="bu",
        total_quantity="1000",
        base_price=pb.Money(currency_code="USD", amount="7"),
    )
    created = create(seller, wheat)
    # A wheat bushel trades as 60 lb = 27.2155 kg; the price unit defaults to the bushel.
    assert Decimal(created.quantity_in_base_unit) == pytest.approx(
        Decimal("27215.5422"), abs=Decimal("0.001")
    )
    assert Decimal(created.price_per_base_unit.amount) == pytest.approx(
        Decimal("257.2057"), abs=Decimal("0.001")
    )


def test_every_lot_gets_a_feature_embedding(seller: Caller) -> None:
    created = create(seller, cotton_lot())
    full = seller.GetAvailability(
        api.GetAvailabilityRequest(name=created.name, view=api.VIEW_FULL)
    ).availability
    assert len(full.ai_score_vector) == 64
    assert sum(x * x for x in full.ai_score_vector) == pytest.approx(1.0, rel=1e-5)


def market(make_caller: Callable[..., Caller], admin: Caller) -> tuple[str, str]:
    """25 approved cotton lots at 1650 USD/t from five sellers, in a grade and region of their own.

    One price on purpose: while they are posted they are checked against every other
    cotton lot of the session, and only the usual 1650 is sure never to be flagged there.
    """
    grade, region = fresh_grade_and_region()
    for _, lot in approved_market(make_caller, admin, grade=grade, region=region, sellers=5):
        assert not lot.ai_price_anomaly
    return grade, region


def test_a_price_in_cents_entered_as_dollars_is_flagged_and_a_normal_one_passes(
    trader: Caller, caller: Callable[..., Caller], admin: Caller
) -> None:
    grade, region = market(caller, admin)
    normal = create(
        trader,
        cotton_lot(
            grade=grade,
            delivery_region=region,
            base_price=pb.Money(currency_code="USD", amount="1660"),
        ),
    )
    assert not normal.ai_price_anomaly
    assert normal.ai_anomaly_reason == ""
    assert normal.ai_confidence_score > 0.5
    slip = create(
        trader,
        cotton_lot(
            grade=grade,
            delivery_region=region,
            base_price=pb.Money(currency_code="USD", amount="165000"),
        ),
    )
    assert slip.ai_price_anomaly
    assert "cents entered as dollars" in slip.ai_anomaly_reason
    assert "same grade and region" in slip.ai_anomaly_reason
    assert Decimal(slip.ai_suggested_price.amount) == pytest.approx(Decimal("1650"), abs=1)


def test_the_suggested_price_is_in_the_unit_the_seller_quoted(
    trader: Caller, caller: Callable[..., Caller], admin: Caller
) -> None:
    grade, region = market(caller, admin)
    # 75 quoted per lb in dollars where the seller meant US cents.
    slip = create(
        trader,
        cotton_lot(
            grade=grade,
            delivery_region=region,
            price_unit="lb",
            base_price=pb.Money(currency_code="USD", amount="75"),
        ),
    )
    assert slip.ai_price_anomaly
    assert "cents entered as dollars" in slip.ai_anomaly_reason
    # The market median, 1650 USD/t, back in USD per lb (1650 / 2204.62), comparable with 75.
    assert Decimal(slip.ai_suggested_price.amount) == pytest.approx(
        Decimal("0.748427"), abs=Decimal("0.000002")
    )
    assert slip.ai_suggested_price.currency_code == "USD"


def test_a_price_change_is_checked_again_and_clears_the_flag(
    trader: Caller, caller: Callable[..., Caller], admin: Caller
) -> None:
    grade, region = market(caller, admin)
    slip = create(
        trader,
        cotton_lot(
            grade=grade,
            delivery_region=region,
            base_price=pb.Money(currency_code="USD", amount="165000"),
        ),
    )
    assert slip.ai_price_anomaly
    fixed = trader.UpdateAvailability(
        api.UpdateAvailabilityRequest(
            availability=pb.Availability(
                name=slip.name,
                etag=slip.etag,
                base_price=pb.Money(currency_code="USD", amount="1650"),
            ),
            update_mask=field_mask_pb2.FieldMask(paths=["base_price"]),
        )
    ).availability
    assert not fixed.ai_price_anomaly
    assert fixed.price_per_base_unit.amount == "1650"


def test_too_few_comparable_lots_fall_back_to_the_catalog_band(seller: Caller) -> None:
    gold = pb.Availability(
        commodity="gold",
        quantity_unit="kg",
        total_quantity="10",
        price_unit="ozt",
        base_price=pb.Money(currency_code="USD", amount="2400"),
    )
    assert not create(seller, gold).ai_price_anomaly
    gold.price_unit = "g"  # 2400 USD per gram: a per-ozt price against the wrong unit
    flagged = create(seller, gold)
    assert flagged.ai_price_anomaly
    assert "catalog band" in flagged.ai_anomaly_reason
    assert flagged.ai_confidence_score == pytest.approx(0.2)


def test_a_flagged_lot_is_not_approved_automatically_but_an_admin_may_approve_it(
    trader: Caller, caller: Callable[..., Caller], admin: Caller
) -> None:
    grade, region = market(caller, admin)
    slip = create(
        trader,
        cotton_lot(
            grade=grade,
            delivery_region=region,
            base_price=pb.Money(currency_code="USD", amount="165000"),
        ),
    )
    assert slip.state == pb.Availability.STATE_DRAFT
    approved = admin.ApproveAvailability(api.ApproveAvailabilityRequest(name=slip.name))
    assert approved.availability.state == pb.Availability.STATE_ACTIVE
    assert approved.availability.ai_price_anomaly

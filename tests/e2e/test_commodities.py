"""ListCommodities: the loaded catalog as a caller needs it to build a valid request."""

from __future__ import annotations

import grpc
import pytest

from availability_service.intelligence import load_catalog
from tests.support.callers import Caller
from tests.support.lots import error_details
from tradedesk.availability.v1 import catalog_pb2

Kind = catalog_pb2.CommodityParameter.Kind


def all_pages(caller: Caller, page_size: int) -> list[catalog_pb2.Commodity]:
    out: list[catalog_pb2.Commodity] = []
    request = catalog_pb2.ListCommoditiesRequest(page_size=page_size)
    while True:
        response = caller.ListCommodities(request)
        out += response.commodities
        if not response.next_page_token:
            return out
        request.page_token = response.next_page_token


def test_the_catalog_comes_whole_in_one_page_ordered_by_code(buyer: Caller) -> None:
    catalog = load_catalog()
    response = buyer.ListCommodities(catalog_pb2.ListCommoditiesRequest())
    assert not response.next_page_token
    assert response.catalog_version == catalog.version
    assert [c.code for c in response.commodities] == sorted(catalog.codes)
    cotton = next(c for c in response.commodities if c.code == "cotton")
    assert (cotton.family, cotton.quantity_unit, cotton.price_unit) == ("fibre", "kg", "USD/t")
    assert {"t", "bale_us", "candy"} <= set(cotton.accepted_quantity_units)
    params = {p.name: p for p in cotton.quality_parameters}
    staple = params["staple_length"]
    assert (staple.canonical_unit, staple.range_min, staple.range_max) == ("mm", 20, 40)
    assert "staple" in staple.aliases and "cm" in staple.alternate_units
    assert staple.kind == Kind.KIND_NUMBER
    micronaire = params["micronaire"]
    assert micronaire.canonical_unit == "" and "mic" in micronaire.aliases


def test_a_parameter_without_a_range_leaves_the_range_unset(buyer: Caller) -> None:
    catalog = load_catalog()
    unranged = [
        (c.code, p.name)
        for c in catalog
        for p in c.quality.values()
        if p.minimum is None or p.maximum is None
    ]
    commodities = {c.code: c for c in all_pages(buyer, 0)}
    for code, name in unranged:
        parameter = next(p for p in commodities[code].quality_parameters if p.name == name)
        assert not (parameter.HasField("range_min") and parameter.HasField("range_max"))
    texts = [
        p for c in commodities.values() for p in c.quality_parameters if p.kind == Kind.KIND_TEXT
    ]
    assert all(p.canonical_unit == "" for p in texts)


def test_small_pages_walk_the_same_catalog(buyer: Caller) -> None:
    whole = buyer.ListCommodities(catalog_pb2.ListCommoditiesRequest()).commodities
    assert all_pages(buyer, 2) == list(whole)
    assert len(whole) > 2  # so the walk really took several pages


@pytest.mark.parametrize(
    ("request_fields", "field"),
    [({"page_size": -1}, "page_size"), ({"page_token": "bogus"}, "page_token")],
)
def test_bad_paging_is_invalid_argument_naming_the_field(
    request_fields: dict[str, object], field: str, seller: Caller
) -> None:
    with pytest.raises(grpc.RpcError) as err:
        seller.ListCommodities(catalog_pb2.ListCommoditiesRequest(**request_fields))  # type: ignore[arg-type]
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field in error_details(err.value)["fields"]

"""The authorisation table: complete, closed by default, and the spot rules from the brief."""

from __future__ import annotations

import pytest

from availability_service.auth.errors import PermissionDeniedError
from availability_service.auth.policy import (
    POLICY,
    authorize,
    may_modify_lot,
    policy_markdown,
    short_method_name,
)
from availability_service.auth.principal import Principal, Role
from availability_service.auth.ratelimit import METHOD_GROUPS

ALL_RPCS = {
    "CreateAvailability",
    "GetAvailability",
    "ListAvailabilities",
    "UpdateAvailability",
    "DeleteAvailability",
    "ApproveAvailability",
    "RejectAvailability",
    "SearchAvailabilities",
    "ListSimilarAvailabilities",
    "GetNegotiationReadiness",
    "ReserveAvailability",
    "GetReservation",
    "ExtendReservation",
    "ReleaseReservation",
    "MarkSold",
    "ListReservations",
    "WatchAvailabilities",
    "WatchSearch",
    "BatchCreateAvailabilities",
    "UpsertLocation",
    "ListLocations",
    "ListAvailabilityEvents",
    "ListCommodities",
}


def as_role(role: Role, subject: str = "partner-1") -> Principal:
    return Principal(subject=subject, company_id="acme", roles=frozenset({role}), region="EU")


def allowed(method: str, role: Role) -> bool:
    try:
        authorize(method, as_role(role))
    except PermissionDeniedError:
        return False
    return True


def test_the_table_covers_every_rpc_and_nothing_else() -> None:
    assert set(POLICY) == ALL_RPCS


def test_every_rpc_has_a_rate_limit_group() -> None:
    assert set(METHOD_GROUPS) == ALL_RPCS


def test_admin_may_call_everything_except_creating_lots() -> None:
    # Lots are posted by the sellers and traders who own them; an admin acts on existing ones.
    denied = {method for method in ALL_RPCS if not allowed(method, Role.ADMIN)}
    assert denied == {"CreateAvailability", "BatchCreateAvailabilities"}


@pytest.mark.parametrize(
    ("method", "role", "expected"),
    [
        ("CreateAvailability", Role.BUYER, False),
        ("CreateAvailability", Role.SELLER, True),
        ("BatchCreateAvailabilities", Role.TRADER, True),
        ("ApproveAvailability", Role.SELLER, False),
        ("RejectAvailability", Role.TRADER, False),
        ("ReserveAvailability", Role.SERVICE, True),
        ("ReserveAvailability", Role.BUYER, False),
        ("MarkSold", Role.SELLER, False),
        ("GetReservation", Role.BUYER, False),
        ("UpdateAvailability", Role.SELLER, True),
        ("DeleteAvailability", Role.BUYER, False),
        ("SearchAvailabilities", Role.BUYER, True),
        ("WatchAvailabilities", Role.SERVICE, True),
        ("WatchSearch", Role.BUYER, True),
        ("WatchSearch", Role.TRADER, True),
        ("UpsertLocation", Role.SELLER, False),
        ("ListLocations", Role.BUYER, False),
        ("ListLocations", Role.TRADER, True),
        ("ListReservations", Role.SERVICE, True),
        ("ListReservations", Role.ADMIN, True),
        ("ListReservations", Role.SELLER, True),
        ("ListReservations", Role.BUYER, False),
        ("ListAvailabilityEvents", Role.BUYER, True),
        ("ListCommodities", Role.BUYER, True),
    ],
)
def test_spot_rules(method: str, role: Role, expected: bool) -> None:
    assert allowed(method, role) is expected


def test_unknown_methods_and_roleless_callers_are_denied() -> None:
    with pytest.raises(PermissionDeniedError, match="not in the access policy"):
        authorize("DropAllTables", as_role(Role.ADMIN))
    with pytest.raises(PermissionDeniedError, match="requires one of"):
        authorize("GetAvailability", Principal(subject="nobody"))


def test_only_the_owner_or_an_admin_may_modify_a_lot() -> None:
    assert may_modify_lot(as_role(Role.SELLER, "seller-1"), "seller-1")
    assert not may_modify_lot(as_role(Role.SELLER, "seller-2"), "seller-1")
    assert may_modify_lot(as_role(Role.ADMIN, "admin"), "seller-1")
    # A buyer whose id happens to equal the seller id still holds no write role.
    assert not may_modify_lot(as_role(Role.BUYER, "seller-1"), "seller-1")
    assert not may_modify_lot(as_role(Role.SERVICE, "matching"), "seller-1")


def test_the_markdown_table_lists_every_rpc_with_a_column_per_role() -> None:
    markdown = policy_markdown()
    lines = markdown.strip().splitlines()
    assert lines[0] == "| RPC | SELLER | TRADER | BUYER | ADMIN | SERVICE |"
    assert len(lines) == 2 + len(ALL_RPCS)
    assert "| ApproveAvailability |  |  |  | yes |  |" in lines


def test_short_method_name_strips_the_service_path() -> None:
    assert (
        short_method_name("/tradedesk.availability.v1.AvailabilityService/MarkSold") == "MarkSold"
    )

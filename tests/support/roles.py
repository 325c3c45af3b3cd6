"""One caller per role of the exposure rules, for matrices over who sees what."""

from __future__ import annotations

import uuid

import grpc

from tests.support.callers import Caller, make_token
from tests.support.lots import random_point, register_location
from tradedesk.availability.v1 import resources_pb2 as pb

# "invited buyer" is the one a fixture lists on its PRIVATE lots.
ROLE_CLAIMS = {
    "owner": "SELLER",
    "other seller": "SELLER",
    "buyer": "BUYER",
    "invited buyer": "BUYER",
    "trader": "TRADER",
    "admin": "ADMIN",
    "service": "SERVICE",
}
ROLES = list(ROLE_CLAIMS)
SEES_EVERYTHING = {"owner", "admin", "service"}


def callers_per_role(channel: grpc.Channel, region: str = "IN-GJ") -> dict[str, Caller]:
    """Fresh identities, each with a company of its own and `region`."""
    tag = uuid.uuid4().hex[:6]
    callers = {}
    for role, claim in ROLE_CLAIMS.items():
        subject = f"{role.replace(' ', '-')}-{tag}"
        token = make_token(subject, [claim], f"co-{subject}", region)
        callers[role] = Caller(channel, token, subject)
    return callers


def owner_posts_from_a_point_of_its_own(callers: dict[str, Caller], region: str) -> pb.LatLng:
    """Registers a location at a random point for the owner, who posts from it by default."""
    point = random_point()
    callers["owner"].location_id = register_location(
        callers["admin"], callers["owner"].subject, point=point, region=region
    ).location_id
    return point

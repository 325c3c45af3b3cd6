"""The Python client reads its own writes through a hot standby that has not replayed them."""

from __future__ import annotations

from tests.clients.conftest import Identity, registered_seller
from tests.support.callers import make_token
from tests.support.replication import Replicated, paused, replicated  # noqa: F401  # fixtures
from tradedesk_availability_client import AvailabilityClient


def test_the_client_sees_its_own_write_although_the_standby_has_not_replayed_it(
    paused: Replicated,  # noqa: F811  # the fixture
) -> None:
    address = paused.server.address
    with AvailabilityClient(address, make_token("admin-rw", ["ADMIN"])) as admin:
        seller: Identity = registered_seller(admin)
    with AvailabilityClient(address, seller.token) as writer:
        lot = writer.create_availability(seller.lot())
        assert writer.get_availability(lot.name).name == lot.name
        page = writer.list_availabilities(seller_id=seller.subject)
        assert lot.name in [item.name for item in page.availabilities]
    # A fresh client (no write of its own) reads the paused standby: the write is not there yet.
    # (A Get would show it: the lot the writer read is in the server's lot cache, which answers
    # only with what the primary has, never older, so it is listed here instead.)
    with AvailabilityClient(address, seller.token) as reader:
        page = reader.list_availabilities(seller_id=seller.subject)
        assert lot.name not in [item.name for item in page.availabilities]

"""GetAvailability's one-statement read (typed text, compiled once) on real PostgreSQL."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import Engine

from availability_service.app import Application
from availability_service.auth.principal import Principal, Role
from availability_service.domain.deadline import Deadline
from availability_service.domain.viewer import SYSTEM, Viewer
from availability_service.grpc_api.lot_input import draft_from_proto
from availability_service.storage import lots
from availability_service.storage.unit_of_work import SqlUnitOfWork
from tests.support.lots import cotton_lot

SELLER = Principal("seller-reads", "co-reads", frozenset({Role.TRADER}), "IN-GJ")
OWNER = Viewer(SELLER.subject, SELLER.company_id, SELLER.region)
STRANGER = Viewer("stranger-reads", "co-other", "IN-GJ")


@pytest.fixture
def lot_id(app: Application) -> uuid.UUID:
    """A lot just posted (in review): its owner sees it, a stranger does not."""
    outcome = app.services.lots.create(SELLER, draft_from_proto(cotton_lot()), None)
    assert outcome.availability is not None
    return outcome.availability.id


@pytest.mark.parametrize("deadline", [None, 30.0], ids=["no deadline", "deadline"])
def test_the_one_statement_read_finds_the_lot_for_its_owner_and_not_for_a_stranger(
    engine: Engine, lot_id: uuid.UUID, deadline: float | None
) -> None:
    uow = SqlUnitOfWork(engine)
    with uow.statement_read(Deadline.within(deadline)) as tx:
        assert tx.lots.get(lot_id, STRANGER) is None
        found = tx.lots.get(lot_id, OWNER)
        assert found is not None and found.id == lot_id
        assert tx.lots.get(uuid.uuid4(), SYSTEM) is None


@pytest.mark.parametrize("timeout_ms", [None, 30_000])
def test_the_one_statement_read_types_every_field_as_the_table_read_does(
    engine: Engine, lot_id: uuid.UUID, timeout_ms: int | None
) -> None:
    with engine.connect() as conn:
        expected = lots.get_lot(conn, lot_id)
        read = lots.read_lot(conn, lot_id, None, statement_timeout_ms=timeout_ms)
    assert expected is not None and read == expected
    assert isinstance(read.id, uuid.UUID) and read.ai_score_vector is not None
    assert all(isinstance(x, float) for x in read.ai_score_vector)

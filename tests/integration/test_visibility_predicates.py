"""The visibility predicate in SQL (storage.lots.visible_to_sql) and in Python
(auth.visibility.can_see) decide the same, on the same lots and the same callers."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import Engine, select

from availability_service.app import Application
from availability_service.auth.principal import Principal, Role
from availability_service.auth.visibility import can_see_lot
from availability_service.domain.model import Availability, LotState, Visibility
from availability_service.domain.stored_event import NewEvent
from availability_service.storage import lot_writes, lots
from availability_service.storage.tables import availabilities

OWNER = f"owner-{uuid.uuid4().hex[:6]}"
COMPANY = f"co-{uuid.uuid4().hex[:6]}"
MOMENT = datetime(2026, 1, 2, tzinfo=UTC)

CALLERS = [
    Principal(OWNER, COMPANY, frozenset({Role.SELLER}), "EU"),
    Principal("seller-other", "elsewhere", frozenset({Role.SELLER}), "EU"),
    Principal("buyer-invited", None, frozenset({Role.BUYER}), "APAC"),
    Principal("buyer-in-region", "buyco", frozenset({Role.BUYER}), "EU"),
    Principal("buyer-nowhere", None, frozenset({Role.BUYER}), None),
    Principal("colleague", COMPANY, frozenset({Role.TRADER}), None),
    Principal("ops", None, frozenset({Role.ADMIN}), None),
    Principal("matching", None, frozenset({Role.SERVICE}), None),
]


def lot(state: LotState, visibility: Visibility, company: str) -> Availability:
    quantity = Decimal(10)
    sold = quantity if state is LotState.SOLD else Decimal(0)
    return Availability(
        id=uuid.uuid4(),
        seller_id=OWNER,
        company_id=company,
        commodity="predicate-test",
        quantity_unit="t",
        total_quantity=quantity,
        available_quantity=quantity - sold,
        sold_quantity=sold,
        state=state,
        create_time=MOMENT,
        update_time=MOMENT,
        market_visibility=visibility,
        restricted_buyer_ids=["buyer-invited"] if visibility is Visibility.PRIVATE else [],
        allowed_regions=["EU"] if visibility is Visibility.RESTRICTED else [],
    )


def test_sql_and_python_visibility_agree_for_every_state_visibility_and_caller(
    app: Application, engine: Engine
) -> None:
    del app  # migrated database
    made = [
        lot(state, visibility, company)
        for state, visibility, company in itertools.product(LotState, Visibility, [COMPANY, ""])
    ]
    with engine.connect() as conn, conn.begin() as transaction:
        for each in made:
            created = NewEvent("CREATED", ["CREATED"], "predicate-test", [], None, {})
            lot_writes.write_lot(conn, each, created, is_new=True)
        checked = 0
        for caller in CALLERS:
            query = select(availabilities.c.id).where(
                availabilities.c.commodity == "predicate-test"
            )
            visible = lots.visible_to_sql(
                caller.subject, caller.company_id, caller.region, caller.is_privileged
            )
            if visible is not None:
                query = query.where(visible)
            in_sql = {row.id for row in conn.execute(query)}
            in_python = {each.id for each in made if can_see_lot(caller, each)}
            assert in_sql == in_python, caller.subject
            checked += len(in_sql)
        transaction.rollback()
    # Not vacuous: the privileged and the owner see all 56, others some but not all.
    assert checked > 3 * len(made)

"""ListSimilarAvailabilities' read on real PostgreSQL: one graph per commodity, one statement.

The lots are posted through the real server (a TRADER posts, an ADMIN approves); the
service is then called in-process so that the statements it sends can be watched.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, event, select, text

from availability_service.app import Application
from availability_service.auth.principal import Principal, Role
from availability_service.intelligence import load_catalog
from availability_service.storage import similar
from availability_service.storage.lots import _VISIBLE
from availability_service.storage.similar import nearest_lots
from availability_service.storage.tables import availabilities
from availability_service.storage.viewing import visibility_params
from tests.support.callers import Caller
from tests.support.lots import random_point
from tradedesk.availability.v1 import availability_service_pb2 as api
from tradedesk.availability.v1 import resources_pb2 as pb

BUYER = Principal("buyer-similar-reads", "co-similar-buyer", frozenset({Role.BUYER}), "IN-GJ")


def _grain(trader: Caller, admin: Caller, commodity: str, **extra: Any) -> pb.Availability:
    lot = pb.Availability(
        commodity=commodity,
        quantity_unit="t",
        total_quantity="400",
        base_price=pb.Money(currency_code="USD", amount="230"),
        delivery_location=random_point(),
        delivery_region="ZZ-SIMILAR",
        **extra,
    )
    lot.quality_params["moisture"].number = 12.5
    created = trader.CreateAvailability(api.CreateAvailabilityRequest(availability=lot))
    return admin.ApproveAvailability(
        api.ApproveAvailabilityRequest(name=created.availability.name)
    ).availability


@pytest.fixture
def grains(caller: Callable[..., Caller], admin: Caller) -> dict[str, pb.Availability]:
    """A wheat lot with a wheat and a corn neighbour, and a wheat lot invited to someone
    else only (the buyer must not see it)."""
    trader = caller("TRADER", company=f"co-{uuid.uuid4().hex[:6]}")
    return {
        "source": _grain(trader, admin, "wheat"),
        "twin": _grain(trader, admin, "wheat"),
        "corn": _grain(trader, admin, "corn"),
        "hidden": _grain(
            trader,
            admin,
            "wheat",
            market_visibility=pb.Availability.MARKET_VISIBILITY_PRIVATE,
            restricted_buyer_ids=["someone-else"],
        ),
    }


@pytest.fixture
def sent(app: Application) -> Iterator[list[tuple[str, bool]]]:
    """(SQL, whether the connection was in autocommit) of every statement this thread sends
    on the application's engine while the test runs."""
    mine = threading.get_ident()
    seen: list[tuple[str, bool]] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if threading.get_ident() == mine:
            seen.append((statement, bool(conn.connection.driver_connection.autocommit)))

    event.listen(app.engine, "before_cursor_execute", record)
    yield seen
    event.remove(app.engine, "before_cursor_execute", record)


def _indexes_walked(engine: Engine, commodities: list[str], source: pb.Availability) -> set[str]:
    """The indexes in the plan of nearest_lots' statement for these commodities."""
    captured: list[str] = []

    def capture(conn: Any, cursor: Any, *args: Any) -> None:
        captured.append(cursor.query.decode())

    lot_id = uuid.UUID(source.name.split("/")[-1])
    with engine.begin() as conn:
        vector = conn.execute(
            select(availabilities.c.ai_score_vector).where(availabilities.c.id == lot_id)
        ).scalar_one()
        event.listen(conn, "after_cursor_execute", capture)
        nearest_lots(
            conn,
            vector=list(vector),
            commodities=commodities,
            exclude_id=lot_id,
            visibility=visibility_params(BUYER.viewer),
            limit=10,
        )
        event.remove(conn, "after_cursor_execute", capture)
        *settings, query = captured[-1].split("; ")
        for setting in settings:
            conn.execute(text(setting))
        # The question is whether each commodity's graph can serve its walk (its partial
        # predicate is implied by the query), not the planner's cost choice: over the few
        # lots a test database holds, a B-tree and a sort can be cheaper than the graph,
        # depending on when the table was last analysed.
        conn.execute(text("SET LOCAL enable_sort = off"))
        plan = conn.execute(text("EXPLAIN (FORMAT JSON) " + query)).scalar_one()
    names: set[str] = set()

    def walk(node: dict[str, Any]) -> None:
        if "Index Name" in node:
            names.add(node["Index Name"])
        for child in node.get("Plans", []):
            walk(child)

    walk((plan if isinstance(plan, list) else json.loads(plan))[0]["Plan"])
    return names


GROUP_INDEX = "availabilities_vector_group"


def _graphs_and_group(names: set[str]) -> tuple[set[str], bool]:
    """The graphs walked, and whether the group's index was read (the group's nearest are
    then read whole by id: by the primary key or a scan, as the planner likes)."""
    return {n for n in names if n.startswith("availabilities_similar_")}, GROUP_INDEX in names


def test_similar_lots_of_each_commodity_are_walked_on_that_commoditys_own_graph(
    engine: Engine, grains: dict[str, pb.Availability]
) -> None:
    # Each commodity's walk on its own graph; beside it, the query's group from its index.
    assert _graphs_and_group(_indexes_walked(engine, ["wheat"], grains["source"])) == (
        {"availabilities_similar_wheat"},
        True,
    )
    family = sorted(c.code for c in load_catalog() if c.family == "grain" and c.code != "wheat")
    assert _graphs_and_group(_indexes_walked(engine, family, grains["source"])) == (
        {f"availabilities_similar_{code}" for code in family},
        True,
    )


def _vector_of(conn: Any, lot: pb.Availability) -> list[float]:
    lot_id = uuid.UUID(lot.name.split("/")[-1])
    query = select(availabilities.c.ai_score_vector).where(availabilities.c.id == lot_id)
    return list(conn.execute(query).scalar_one())


def _brute_force(engine: Engine, source: pb.Availability, limit: int) -> list[uuid.UUID]:
    """The `limit` wheat lots the buyer may see nearest to `source`, every lot compared."""
    with engine.begin() as conn:
        vector = _vector_of(conn, source)
        query = text(
            "SELECT id FROM availabilities WHERE commodity = 'wheat'"
            " AND state IN ('ACTIVE', 'RESERVED') AND delete_time IS NULL"
            f" AND id <> :source AND {_VISIBLE.text}"
            " ORDER BY (ai_score_vector <=> CAST(:vector AS vector)) + 0, id LIMIT :limit"
        )
        params = {
            "vector": str(vector).replace(" ", ""),
            "source": uuid.UUID(source.name.split("/")[-1]),
            "limit": limit,
            **visibility_params(BUYER.viewer),
        }
        return list(conn.execute(query, params).scalars())


def test_a_lot_whose_group_no_walk_reaches_still_gets_its_nearest_and_not_what_it_must_not_see(
    engine: Engine,
    caller: Callable[..., Caller],
    admin: Caller,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """At 1,000,000 lots one lot in 60 got none of its ten neighbours: they sat in a small
    group (the same embedding shape) the commodity's graph did not reach. With the walk
    made to find nothing, the group's own branch must give exactly the brute-force page,
    without the twin invited to someone else."""
    trader = caller("TRADER", company=f"co-{uuid.uuid4().hex[:6]}")

    def wheat(moisture: float, **extra: Any) -> pb.Availability:
        lot = pb.Availability(
            commodity="wheat",
            quantity_unit="t",
            total_quantity="400",
            base_price=pb.Money(currency_code="USD", amount="230"),
            delivery_location=random_point(),
            delivery_region="ZZ-GROUPED",
            grade="unusual",
            **extra,
        )
        lot.quality_params["moisture"].number = moisture
        lot.quality_params["protein"].number = 11.0
        created = trader.CreateAvailability(api.CreateAvailabilityRequest(availability=lot))
        return admin.ApproveAvailability(
            api.ApproveAvailabilityRequest(name=created.availability.name)
        ).availability

    source = wheat(12.0)
    hidden = wheat(
        12.0,
        market_visibility=pb.Availability.MARKET_VISIBILITY_PRIVATE,
        restricted_buyer_ids=["someone-else"],
    )
    group = [wheat(m) for m in (12.4, 11.3, 12.9, 10.6)]
    expected = _brute_force(engine, source, 3)
    by_id = {uuid.UUID(lot.name.split("/")[-1]): lot for lot in group}
    assert set(expected) <= set(by_id)  # the group's own lots are the nearest

    walk = similar._walk
    monkeypatch.setattr(
        similar,
        "_walk",
        lambda branch, visible: walk(branch, visible).replace(
            " ORDER BY ", " AND false ORDER BY ", 1
        ),
    )
    similar._statement.cache_clear()
    try:
        with engine.begin() as conn:
            found = nearest_lots(
                conn,
                vector=_vector_of(conn, source),
                commodities=["wheat"],
                exclude_id=uuid.UUID(source.name.split("/")[-1]),
                visibility=visibility_params(BUYER.viewer),
                limit=3,
            )
    finally:
        similar._statement.cache_clear()
    assert [lot.id for lot, _ in found] == expected
    assert hidden.name not in {f"availabilities/{lot.id}" for lot, _ in found}


def test_a_lot_found_by_the_walk_and_in_its_group_is_on_the_page_once(
    engine: Engine, grains: dict[str, pb.Availability]
) -> None:
    with engine.begin() as conn:
        found = nearest_lots(
            conn,
            vector=_vector_of(conn, grains["source"]),
            commodities=["wheat"],
            exclude_id=uuid.UUID(grains["source"].name.split("/")[-1]),
            visibility=visibility_params(BUYER.viewer),
            limit=100,
        )
    ids = [lot.id for lot, _ in found]
    assert len(ids) == len(set(ids))
    assert uuid.UUID(grains["twin"].name.split("/")[-1]) in ids


def test_every_catalog_commodity_has_a_graph_of_its_own_and_no_graph_holds_them_all(
    engine: Engine,
) -> None:
    with engine.connect() as conn:
        hnsw = dict(
            conn.execute(
                text(
                    "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'availabilities'"
                    " AND indexdef LIKE '%USING hnsw%'"
                )
            ).all()
        )
    assert set(hnsw) == {f"availabilities_similar_{c.code}" for c in load_catalog()}
    # Built with a long candidate list: the default (64) left clusters of lots unreachable.
    assert all("ef_construction='200'" in definition for definition in hnsw.values())


def test_a_page_of_similar_lots_is_two_statements_outside_any_transaction_and_hides_what_it_must(
    app: Application, grains: dict[str, pb.Availability], sent: list[tuple[str, bool]]
) -> None:
    page = app.services.insight.similar(BUYER, grains["source"].name, 100)
    names = [s.availability.name for s in page]
    assert grains["twin"].name in names and grains["corn"].name in names
    assert grains["hidden"].name not in names and grains["source"].name not in names
    assert [s.same_commodity for s in page] == sorted(
        (s.same_commodity for s in page), reverse=True
    )
    # Its commodity's nearest, then its family's (the page of 100 is not full), each walk
    # outside any transaction. (The lot itself is read on the driver's cursor, which the
    # engine's events do not see: storage/driver_read.py.)
    walks = [autocommit for statement, autocommit in sent if "hnsw" in statement]
    assert len(walks) == 2 and all(walks)
    sent.clear()
    app.services.insight.similar(BUYER, grains["source"].name, 1)
    # The twin fills the page: the family is not read.
    assert len([statement for statement, _ in sent if "hnsw" in statement]) == 1

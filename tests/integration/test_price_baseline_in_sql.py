"""The price baseline summed up in PostgreSQL gives the anomaly check exactly what the prices
themselves give it in Python: the same scope, median, MAD and mean absolute deviation, so the
same verdict, reason, score and suggestion for every price checked against it."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import Engine, text

from availability_service.app import Application
from availability_service.domain.market import ComparablePrice
from availability_service.domain.model import Availability, LotState
from availability_service.domain.stored_event import NewEvent
from availability_service.intelligence.anomaly import detect_price_anomaly, judge_price
from availability_service.storage import comparables, lot_writes
from availability_service.storage.lots import MARKET_STATES_SQL
from availability_service.storage.write_transaction import REVISION_SETTING
from tests.support.fake_repositories import narrowest

MINIMUM = 20
BAND = (Decimal("1000"), Decimal("3500"))
NOW = datetime.now(UTC)
GRADES = ["A", "B", ""]
REGIONS = ["IN-GJ", "IN-MH", ""]


def market_lot(
    rng: random.Random, unit: str, price: Decimal, grade: str, region: str, age: int
) -> Availability:
    moment = NOW - timedelta(minutes=age)
    return Availability(
        id=uuid.uuid4(),
        seller_id=f"seller-{uuid.uuid4().hex[:8]}",  # one lot per seller: no cap applies
        commodity="baseline-test",
        quantity_unit="t",
        total_quantity=Decimal(10),
        available_quantity=Decimal(10),
        state=rng.choice([LotState.ACTIVE, LotState.SOLD, LotState.RESERVED]),
        create_time=moment,
        update_time=moment,
        grade=grade,
        delivery_region=region,
        base_price_unit=unit,
        price_per_base_unit=price,
    )


def random_price(rng: random.Random, flat: bool) -> Decimal:
    """Clustered prices with ties (flat markets too), the odd outlier, and a zero (unusable)."""
    roll = rng.random()
    if roll < 0.03:
        return Decimal("0.000000")
    if flat or roll < 0.3:
        return Decimal(rng.choice(["1650.000000", "1650.500000", "1700.000000"]))
    if roll < 0.35:
        return Decimal(rng.randint(100_000, 300_000)) / 100
    return Decimal(rng.gauss(1650, 80)).quantize(Decimal("0.000001"))


def test_sql_baseline_gives_the_same_verdicts_as_the_prices_in_python(
    app: Application, engine: Engine
) -> None:
    del app  # migrated database
    rng = random.Random(15)
    checked = 0
    for market in range(12):
        unit = f"XTS/t-{uuid.uuid4().hex[:6]}"  # a market of its own
        size = rng.choice([5, 19, 20, 21, 40, 77, 120])
        flat = market % 4 == 0
        lots = [
            market_lot(
                rng, unit, random_price(rng, flat), rng.choice(GRADES), rng.choice(REGIONS), age
            )
            for age in range(1, size + 1)
        ]
        # Rolled back at the end: no other test sees these markets.
        with engine.connect() as conn, conn.begin() as transaction:
            for each in lots:
                created = NewEvent("CREATED", ["CREATED"], "baseline-test", [], None, {})
                lot_writes.write_lot(conn, each, created, is_new=True)
            newest_first = sorted(lots, key=lambda lot: lot.create_time, reverse=True)
            rows = [
                ComparablePrice(
                    lot.price_per_base_unit or Decimal(0), lot.grade, lot.delivery_region
                )
                for lot in newest_first
            ]
            for grade in GRADES:
                for region in REGIONS:
                    in_sql = comparables.price_baseline(
                        conn,
                        commodity="baseline-test",
                        base_price_unit=unit,
                        exclude_id=uuid.uuid4(),
                        exclude_seller="nobody",
                        since=NOW - timedelta(days=1),
                        limit=500,
                        per_seller=5,
                        scan=5000,
                        grade=grade,
                        region=region,
                        minimum=MINIMUM,
                    )
                    in_python = narrowest(rows, grade, region, MINIMUM)
                    assert in_sql == in_python, (market, grade, region)
                    scope_prices = _scope_prices(rows, in_python.scope, grade, region)
                    for price in _probes(rng):
                        expected = detect_price_anomaly(price, scope_prices, BAND, MINIMUM)
                        assert judge_price(price, in_sql.usable, BAND, MINIMUM) == expected
                        checked += 1
            transaction.rollback()
    assert checked > 1000


def _scope_prices(
    rows: list[ComparablePrice], scope: int, grade: str, region: str
) -> list[Decimal]:
    keep = (
        lambda r: r.grade == grade and r.delivery_region == region,
        lambda r: r.grade == grade,
        lambda r: r.delivery_region == region,
        lambda r: True,
    )[scope]
    return [r.price for r in rows if keep(r)]


def _probes(rng: random.Random) -> list[Decimal]:
    """Prices near the market, far from it, at unit-slip factors, and invalid."""
    out = [Decimal("1650"), Decimal("1650.250000"), Decimal("0"), Decimal("-5")]
    out += [Decimal(rng.randint(1000, 2500)) for _ in range(4)]
    out += [Decimal("165000"), Decimal("16.5"), Decimal("74.8")]
    return out


def function_body(engine: Engine, name: str) -> str:
    with engine.connect() as conn:
        body: str = conn.execute(
            text("SELECT pg_get_functiondef(CAST(:name AS regproc))"), {"name": name}
        ).scalar_one()
    return body


def test_the_functions_planned_once_use_the_services_states_channel_and_setting(
    app: Application, engine: Engine
) -> None:
    """Migration 0013 froze these into the functions that each connection plans once."""
    del app  # migrated database
    assert f"state IN {MARKET_STATES_SQL}" in function_body(engine, "market_price_baseline")
    stamp = function_body(engine, "stamp_new_lot")
    assert f"pg_notify('{lot_writes.NOTIFY_CHANNEL}'" in stamp
    assert f"set_config('{REVISION_SETTING}'" in stamp

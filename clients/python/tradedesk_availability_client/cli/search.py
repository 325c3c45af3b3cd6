"""Finding lots: `search` (ranked, with flags for every common criterion), `similar`,
`readiness`."""

from __future__ import annotations

from typing import Any

import click
from rich.table import Table

from tradedesk.availability.v1 import resources_pb2 as pb
from tradedesk.availability.v1 import search_pb2
from tradedesk_availability_client.cli import output
from tradedesk_availability_client.cli.context import Context, lot_name, parse_point, pass_ctx


def quality_target(spec: str) -> tuple[str, search_pb2.QualityTarget]:
    """ "staple_length=29~1" (target 29, tolerance 1), "micronaire=3.5..4.9" (a band) or
    "grade=41-4" (a text target)."""
    name, sep, value = spec.partition("=")
    if not sep or not name:
        raise click.BadParameter(f"expected NAME=VALUE, got {spec!r}", param_hint="--quality")
    target = search_pb2.QualityTarget()
    if ".." in value:
        low, _, high = value.partition("..")
        if low:
            target.min = float(low)
        if high:
            target.max = float(high)
        return name, target
    number, _, tolerance = value.partition("~")
    try:
        target.value.number = float(number)
    except ValueError:
        target.value.text = number
    if tolerance:
        target.tolerance = float(tolerance)
    return name, target


CRITERIA_OPTIONS = [
    click.option("--max-price", help="Highest price per unit, such as 1700."),
    click.option("--currency", default="USD", show_default=True),
    click.option("--price-unit", default="", help='Unit of --max-price, such as "t" or "USc/lb".'),
    click.option("--price-tolerance", type=float, default=0.0, help="Percent above --max-price."),
    click.option("--near", help="LAT,LNG centre of a radius search."),
    click.option("--radius-km", type=float, default=0.0),
    click.option("--min-quantity", default=""),
    click.option("--min-price", help="Lowest price per unit, in --currency and --price-unit."),
    click.option("--region", "regions", multiple=True, help="Delivery region code; repeatable."),
    click.option(
        "--order-quantity", default="", help="Only lots that would grant a hold of this much now."
    ),
    click.option("--incoterm", default=""),
    click.option(
        "--quality",
        "qualities",
        multiple=True,
        help="NAME=VALUE[~TOL] or NAME=MIN..MAX; repeatable.",
    ),
    click.option("--include-anomalies", is_flag=True),
    click.option("--threshold", type=float, default=0.0, help="Drop results scoring below this."),
]


def criteria_options(command: Any) -> Any:
    """The search criteria flags, shared by `avail search` and `avail watch-search`."""
    for option in reversed(CRITERIA_OPTIONS):
        command = option(command)
    return command


def criteria_from(
    max_price: str | None,
    currency: str,
    price_unit: str,
    price_tolerance: float,
    near: str | None,
    radius_km: float,
    min_quantity: str,
    min_price: str | None,
    regions: tuple[str, ...],
    order_quantity: str,
    incoterm: str,
    qualities: tuple[str, ...],
    include_anomalies: bool,
    threshold: float,
) -> dict[str, Any]:
    """The flags of criteria_options as SearchAvailabilitiesRequest fields."""
    criteria: dict[str, Any] = {
        "min_quantity": min_quantity,
        "order_quantity": order_quantity,
        "delivery_regions": list(regions),
        "incoterm": incoterm,
        "price_unit": price_unit,
        "price_tolerance_percent": price_tolerance,
        "include_anomalies": include_anomalies,
        "score_threshold": threshold,
        "quality_targets": dict(quality_target(q) for q in qualities),
    }
    if max_price:
        criteria["max_price"] = pb.Money(currency_code=currency, amount=max_price)
    if min_price:
        criteria["min_price"] = pb.Money(currency_code=currency, amount=min_price)
    if near:
        criteria["near"] = parse_point(near, "--near")
        criteria["radius_km"] = radius_km
    return criteria


@click.command()
@click.argument("commodity")
@criteria_options
@click.option("--limit", default=20, show_default=True)
@pass_ctx
def search(ctx: Context, commodity: str, limit: int, **flags: Any) -> None:
    """Ranked search of ACTIVE lots of COMMODITY, best first."""
    criteria = criteria_from(**flags)
    results = []
    for result in ctx.client.iter_search(commodity, page_size=min(limit, 200), **criteria):
        results.append(result)
        if len(results) >= limit:
            break
    table = Table(title=f"{len(results)} results for {commodity}", header_style="bold")
    for column in ("score", "name", "variety / grade", "available", "price", "region", "why"):
        table.add_column(column)
    for r in results:
        lot = r.availability
        why = ", ".join(f"{f.name} {f.contribution:.2f}" for f in r.breakdown)
        table.add_row(
            f"{r.score:.3f}",
            lot.name.removeprefix("availabilities/"),
            " / ".join(x for x in (lot.variety, lot.grade) if x) or "-",
            f"{lot.available_quantity} {lot.quantity_unit}",
            f"{lot.base_price.amount} {lot.base_price.currency_code}/{lot.price_unit}",
            lot.delivery_region or "-",
            why,
        )
    output.show_items(results, table)


@click.command()
@click.argument("name")
@click.option("--limit", default=10, show_default=True)
@pass_ctx
def similar(ctx: Context, name: str, limit: int) -> None:
    """Lots most like lot NAME, most similar first."""
    results = ctx.client.list_similar_availabilities(lot_name(name), page_size=limit)
    table = Table(title=f"{len(results)} lots like {name}", header_style="bold")
    for column in ("similarity", "name", "commodity", "variety / grade", "available"):
        table.add_column(column)
    for r in results:
        lot = r.availability
        table.add_row(
            f"{r.similarity:.3f}",
            lot.name.removeprefix("availabilities/"),
            lot.commodity,
            " / ".join(x for x in (lot.variety, lot.grade) if x) or "-",
            f"{lot.available_quantity} {lot.quantity_unit}",
        )
    output.show_items(results, table)


@click.command()
@click.argument("name")
@pass_ctx
def readiness(ctx: Context, name: str) -> None:
    """How ready lot NAME is for negotiation, factor by factor."""
    output.show_message(ctx.client.get_negotiation_readiness(lot_name(name)))


COMMANDS = (search, similar, readiness)

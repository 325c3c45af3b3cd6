"""`avail history` (a lot's events, oldest first) and `avail commodities` (the catalog)."""

from __future__ import annotations

from typing import Any

import click
from rich.table import Table

from tradedesk.availability.v1 import catalog_pb2
from tradedesk_availability_client.cli import output


def _range(parameter: catalog_pb2.CommodityParameter) -> str:
    if not (parameter.HasField("range_min") or parameter.HasField("range_max")):
        return "-"
    low = f"{parameter.range_min:g}" if parameter.HasField("range_min") else ""
    high = f"{parameter.range_max:g}" if parameter.HasField("range_max") else ""
    return f"{low}..{high}"


@click.command()
@click.argument("name")
@click.option("--page-size", default=0, help="Events per call (default: the server's).")
@click.pass_obj
def history(ctx: Any, name: str, page_size: int) -> None:
    """Every event of lot NAME (an id or availabilities/{id}), oldest first."""
    parent = name if "/" in name else f"availabilities/{name}"
    for event in ctx.client.iter_availability_events(parent, page_size=page_size):
        if output.interactive():
            output.console.print(output.event_line(event), highlight=False)
        else:
            output.emit(event)


@click.command()
@click.option("--code", "codes", multiple=True, help="Only these commodity codes; repeatable.")
@click.pass_obj
def commodities(ctx: Any, codes: tuple[str, ...]) -> None:
    """The commodity catalog: units and quality parameters with their realistic ranges."""
    found = [c for c in ctx.client.iter_commodities() if not codes or c.code in codes]
    if not output.interactive():
        for commodity in found:
            output.emit(commodity)
        return
    for commodity in found:
        table = Table(
            title=(
                f"{commodity.code} ({commodity.family}): quantities in {commodity.quantity_unit} "
                f"[{', '.join(commodity.accepted_quantity_units)}], prices in "
                f"{commodity.price_unit}"
            ),
            header_style="bold",
        )
        for column in ("parameter", "unit", "range", "also in", "aliases"):
            table.add_column(column)
        for p in commodity.quality_parameters:
            kind = catalog_pb2.CommodityParameter.Kind.Name(p.kind).removeprefix("KIND_")
            table.add_row(
                p.name,
                p.canonical_unit or ("text" if kind == "TEXT" else "-"),
                _range(p),
                ", ".join(p.alternate_units) or "-",
                ", ".join(p.aliases) or "-",
            )
        output.console.print(table)


COMMANDS = (history, commodities)

"""Seller delivery location commands: upsert-location, locations."""

from __future__ import annotations

import click
from rich.table import Table

from tradedesk.availability.v1 import resources_pb2 as pb
from tradedesk_availability_client.cli import output
from tradedesk_availability_client.cli.context import Context, parse_point, pass_ctx


@click.command("upsert-location")
@click.argument("location_id")
@click.option("--owner", "owner_id", required=True, help="The seller it belongs to.")
@click.option("--point", required=True, metavar="LAT,LNG")
@click.option("--region", required=True, help="Region code such as IN-GJ.")
@click.option("--display-name", default="")
@pass_ctx
def upsert_location(
    ctx: Context, location_id: str, owner_id: str, point: str, region: str, display_name: str
) -> None:
    """Register or replace a seller's delivery location (ADMIN)."""
    location = pb.Location(
        location_id=location_id,
        owner_id=owner_id,
        point=parse_point(point, "--point"),
        region=region,
        display_name=display_name,
    )
    output.show_message(ctx.client.upsert_location(location))


@click.command()
@click.option("--owner", "owner_id", default="", help="Only this seller's locations.")
@click.option("--limit", default=100, show_default=True)
@pass_ctx
def locations(ctx: Context, owner_id: str, limit: int) -> None:
    """List delivery locations (a SELLER sees its own)."""
    found = []
    for location in ctx.client.iter_locations(owner_id=owner_id, page_size=min(limit, 500)):
        found.append(location)
        if len(found) >= limit:
            break
    table = Table(title=f"{len(found)} locations", header_style="bold")
    for column in ("location_id", "owner", "name", "point", "region"):
        table.add_column(column)
    for place in found:
        table.add_row(
            place.location_id,
            place.owner_id,
            place.display_name or "-",
            f"{place.point.latitude:.4f},{place.point.longitude:.4f}",
            place.region,
        )
    output.show_items(found, table)


COMMANDS = (upsert_location, locations)

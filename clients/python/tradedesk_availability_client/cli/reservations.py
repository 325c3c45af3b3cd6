"""`avail reservations`: list holds (and direct-sale records), oldest first, across pages."""

from __future__ import annotations

import itertools
from typing import Any

import click
from rich.table import Table

from tradedesk.availability.v1 import resources_pb2 as pb
from tradedesk_availability_client.cli import output

_STATES = [v.name.removeprefix("STATE_") for v in pb.Reservation.State.DESCRIPTOR.values][1:]


def _parent(lot: str | None) -> str:
    """A lot id or name, or every lot the caller may see holds on."""
    if not lot:
        return "availabilities/-"
    return lot if "/" in lot else f"availabilities/{lot}"


@click.command()
@click.argument("lot", required=False)
@click.option("--buyer", "buyer_id", default="", help="Only holds of this buyer.")
@click.option("--negotiation", "negotiation_id", default="", help="Only this negotiation's.")
@click.option(
    "--state",
    "states",
    multiple=True,
    type=click.Choice(_STATES, case_sensitive=False),
    help="Only holds in this state; repeatable.",
)
@click.option("--limit", default=100, show_default=True, help="At most this many holds.")
@click.pass_obj
def reservations(
    ctx: Any,
    lot: str | None,
    buyer_id: str,
    negotiation_id: str,
    states: tuple[str, ...],
    limit: int,
) -> None:
    """Holds on LOT (a lot id or name), or on every lot you may see holds on."""
    found = ctx.client.iter_reservations(
        _parent(lot),
        buyer_id=buyer_id,
        negotiation_id=negotiation_id,
        states=[pb.Reservation.State.Value(f"STATE_{s.upper()}") for s in states],
        page_size=min(limit, 500),
    )
    holds = list(itertools.islice(found, limit))
    if not output.interactive():
        for hold in holds:
            output.emit(hold)
        return
    table = Table(title=f"{len(holds)} reservations", header_style="bold")
    for column in ("name", "state", "quantity", "buyer", "negotiation", "price", "expires"):
        table.add_column(column)
    for h in holds:
        price = "-"
        if h.price.amount:
            price = f"{h.price.amount} {h.price.currency_code}/{h.price_unit}"
        table.add_row(
            h.name.removeprefix("availabilities/"),
            pb.Reservation.State.Name(h.state).removeprefix("STATE_"),
            f"{h.quantity} {h.quantity_unit}",
            h.buyer_id,
            h.negotiation_id or "-",
            price,
            h.expire_time.ToJsonString(),
        )
    output.console.print(table)


COMMANDS = (reservations,)

"""Hold and sale commands: reserve, reservation, extend, release, mark-sold."""

from __future__ import annotations

import click

from tradedesk.availability.v1 import resources_pb2 as pb
from tradedesk_availability_client.cli import output
from tradedesk_availability_client.cli.context import Context, lot_name, parse_ttl, pass_ctx


@click.command()
@click.argument("name")
@click.argument("quantity")
@click.option("--buyer", "buyer_id", required=True, help="Buyer the hold is for.")
@click.option("--ttl", help='How long to hold: "90s", "15m", "2h", "1d" (server default 24 h).')
@click.option("--negotiation", "negotiation_id", default="")
@click.option("--price-option", "price_option_label", default="", help="Price option to hold.")
@pass_ctx
def reserve(
    ctx: Context,
    name: str,
    quantity: str,
    buyer_id: str,
    ttl: str | None,
    negotiation_id: str,
    price_option_label: str,
) -> None:
    """Hold QUANTITY of lot NAME for a buyer."""
    reply = ctx.client.reserve_availability(
        lot_name(name),
        quantity,
        buyer_id,
        ttl=parse_ttl(ttl),
        negotiation_id=negotiation_id,
        price_option_label=price_option_label,
    )
    output.show_reservation(reply.reservation, reply.availability)


@click.command()
@click.argument("reservation")
@pass_ctx
def reservation(ctx: Context, reservation: str) -> None:
    """Show one hold ("availabilities/{id}/reservations/{id}")."""
    output.show_reservation(ctx.client.get_reservation(reservation), None)


@click.command()
@click.argument("reservation")
@click.argument("ttl")
@pass_ctx
def extend(ctx: Context, reservation: str, ttl: str) -> None:
    """Give a hold TTL more time from now ("30m", "2h", ...)."""
    seconds = parse_ttl(ttl)
    assert seconds is not None  # TTL is a required argument
    output.show_reservation(ctx.client.extend_reservation(reservation, seconds), None)


@click.command()
@click.argument("reservation")
@click.option("--reason", default="")
@click.option("--quantity", default="", help="Release only this much (default: the whole hold).")
@pass_ctx
def release(ctx: Context, reservation: str, reason: str, quantity: str) -> None:
    """Release a hold ("availabilities/{id}/reservations/{id}")."""
    reply = ctx.client.release_reservation(reservation, reason=reason, quantity=quantity)
    output.show_reservation(reply.reservation, reply.availability)


@click.command("mark-sold")
@click.argument("name")
@click.option("--quantity", default="", help="Default: the whole hold.")
@click.option("--trade-id", default="")
@click.option("--buyer", "buyer_id", default="", help="Buyer of a direct sale from a lot.")
@click.option("--price", help="Agreed price per unit, such as 1690 (recorded with the sale).")
@click.option("--currency", default="USD", show_default=True, help="Currency of --price.")
@pass_ctx
def mark_sold(
    ctx: Context,
    name: str,
    quantity: str,
    trade_id: str,
    buyer_id: str,
    price: str | None,
    currency: str,
) -> None:
    """Sell a hold (a reservation name) or sell directly from a lot (a lot name)."""
    reply = ctx.client.mark_sold(
        lot_name(name),
        quantity=quantity,
        trade_id=trade_id,
        buyer_id=buyer_id,
        sold_price=pb.Money(currency_code=currency, amount=price) if price else None,
    )
    hold = reply.reservation if reply.HasField("reservation") else pb.Reservation()
    output.show_reservation(hold, reply.availability)


COMMANDS = (reserve, reservation, extend, release, mark_sold)

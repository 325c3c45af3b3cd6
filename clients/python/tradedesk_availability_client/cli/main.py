"""`avail`: the Availability Engine from the command line.

Token from --token or AVAIL_TOKEN, server from --target or AVAIL_TARGET. Tables on a
terminal, JSON (one document, or one line per item) when the output is piped.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
from google.protobuf import json_format

from tradedesk.availability.v1 import resources_pb2 as pb
from tradedesk.availability.v1 import watch_pb2
from tradedesk_availability_client.cli import output
from tradedesk_availability_client.cli.lotfile import load_documents, to_availability
from tradedesk_availability_client.cli.reservations import reservations
from tradedesk_availability_client.cli.search import search
from tradedesk_availability_client.cli.watch_search import watch_search
from tradedesk_availability_client.client import AvailabilityClient
from tradedesk_availability_client.errors import AvailabilityError
from tradedesk_availability_client.transport import DEFAULT_TARGET


def lot_name(value: str) -> str:
    """Accept a bare id as well as "availabilities/{id}"."""
    return value if "/" in value else f"availabilities/{value}"


def parse_ttl(value: str | None) -> float | None:
    """ "90s", "15m", "2h", "1d" or plain seconds."""
    if not value:
        return None
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    if value[-1] in units:
        return float(value[:-1]) * units[value[-1]]
    return float(value)


def _names(enum: Any, prefix: str) -> list[str]:
    """Enum value names without their prefix and without the zero value."""
    return [v.name.removeprefix(prefix) for v in enum.values if v.number != 0]


class Context:
    def __init__(self, target: str, token: str | None, timeout: float) -> None:
        self.target, self.token, self.timeout = target, token, timeout
        self._client: AvailabilityClient | None = None

    @property
    def client(self) -> AvailabilityClient:
        if self._client is None:
            self._client = AvailabilityClient(self.target, self.token, timeout=self.timeout)
        return self._client


pass_ctx = click.make_pass_decorator(Context)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--target",
    envvar="AVAIL_TARGET",
    default=DEFAULT_TARGET,
    show_default=True,
    help="host:port of the server (AVAIL_TARGET).",
)
@click.option("--token", envvar="AVAIL_TOKEN", help="Bearer token (AVAIL_TOKEN).")
@click.option("--timeout", default=10.0, show_default=True, help="Seconds per call.")
@click.pass_context
def cli(ctx: click.Context, target: str, token: str | None, timeout: float) -> None:
    """Post, find, hold, sell and watch inventory lots."""
    ctx.obj = Context(target, token, timeout)


@cli.command()
@click.argument("file")
@pass_ctx
def create(ctx: Context, file: str) -> None:
    """Create lots from a YAML or JSON FILE (one lot or a list; "-" for stdin)."""
    for doc in load_documents(file):
        output.show_lot(ctx.client.create_availability(to_availability(doc)))


@cli.command()
@click.argument("name")
@click.option("--full", is_flag=True, help="Include the feature vector.")
@pass_ctx
def get(ctx: Context, name: str, full: bool) -> None:
    """Show one lot (NAME is "availabilities/{id}" or just the id)."""
    output.show_lot(ctx.client.get_availability(lot_name(name), full=full))


@cli.command("list")
@click.option("--commodity", default="")
@click.option("--seller", "seller_id", default="")
@click.option(
    "--state",
    "states",
    multiple=True,
    type=click.Choice(_names(pb.Availability.State.DESCRIPTOR, "STATE_"), case_sensitive=False),
)
@click.option("--show-deleted", is_flag=True)
@click.option("--limit", default=50, show_default=True, help="At most this many lots.")
@pass_ctx
def list_lots(
    ctx: Context,
    commodity: str,
    seller_id: str,
    states: tuple[str, ...],
    show_deleted: bool,
    limit: int,
) -> None:
    """List visible lots, newest first."""
    lots = []
    for lot in ctx.client.iter_availabilities(
        commodity=commodity,
        seller_id=seller_id,
        show_deleted=show_deleted,
        states=[pb.Availability.State.Value(f"STATE_{s.upper()}") for s in states],
        page_size=min(limit, 500),
    ):
        lots.append(lot)
        if len(lots) >= limit:
            break
    if output.interactive():
        output.console.print(output.lots_table(lots, title=f"{len(lots)} lots"))
    else:
        for lot in lots:
            output.emit_json(lot)


cli.add_command(search)
cli.add_command(reservations)
cli.add_command(watch_search)


@cli.command()
@click.argument("name")
@click.argument("quantity")
@click.option("--buyer", "buyer_id", required=True, help="Buyer the hold is for.")
@click.option("--ttl", help='How long to hold: "90s", "15m", "2h", "1d" (server default 24 h).')
@click.option("--negotiation", "negotiation_id", default="")
@pass_ctx
def reserve(
    ctx: Context, name: str, quantity: str, buyer_id: str, ttl: str | None, negotiation_id: str
) -> None:
    """Hold QUANTITY of lot NAME for a buyer."""
    reply = ctx.client.reserve_availability(
        lot_name(name), quantity, buyer_id, ttl=parse_ttl(ttl), negotiation_id=negotiation_id
    )
    output.show_reservation(reply.reservation, reply.availability)


@cli.command()
@click.argument("reservation")
@click.option("--reason", default="")
@pass_ctx
def release(ctx: Context, reservation: str, reason: str) -> None:
    """Release a hold ("availabilities/{id}/reservations/{id}")."""
    reply = ctx.client.release_reservation(reservation, reason=reason)
    output.show_reservation(reply.reservation, reply.availability)


@cli.command("mark-sold")
@click.argument("name")
@click.option("--quantity", default="", help="Default: the whole hold.")
@click.option("--trade-id", default="")
@click.option("--buyer", "buyer_id", default="", help="Buyer of a direct sale from a lot.")
@pass_ctx
def mark_sold(ctx: Context, name: str, quantity: str, trade_id: str, buyer_id: str) -> None:
    """Sell a hold (a reservation name) or sell directly from a lot (a lot name)."""
    reply = ctx.client.mark_sold(
        name if "/" in name else lot_name(name),
        quantity=quantity,
        trade_id=trade_id,
        buyer_id=buyer_id,
    )
    hold = reply.reservation if reply.HasField("reservation") else pb.Reservation()
    output.show_reservation(hold, reply.availability)


@cli.command()
@click.option("--commodity", "commodities", multiple=True)
@click.option("--seller", "seller_ids", multiple=True)
@click.option("--region", "delivery_regions", multiple=True)
@click.option("--name", "names", multiple=True, help="Only these lots.")
@click.option(
    "--type",
    "event_types",
    multiple=True,
    type=click.Choice(_names(watch_pb2.EventType.DESCRIPTOR, "EVENT_TYPE_"), case_sensitive=False),
)
@click.option("--from-revision", type=int, default=None, help="Replay from after this revision.")
@click.option("--initial", is_flag=True, help="First show the current matching lots.")
@pass_ctx
def watch(
    ctx: Context,
    commodities: tuple[str, ...],
    seller_ids: tuple[str, ...],
    delivery_regions: tuple[str, ...],
    names: tuple[str, ...],
    event_types: tuple[str, ...],
    from_revision: int | None,
    initial: bool,
) -> None:
    """Follow changes live (Ctrl-C to stop); reconnects by itself after a disconnect."""
    stream = ctx.client.watch(
        commodities=commodities,
        seller_ids=seller_ids,
        delivery_regions=delivery_regions,
        names=[lot_name(n) for n in names],
        send_initial_state=initial,
        event_types=[watch_pb2.EventType.Value(f"EVENT_TYPE_{t.upper()}") for t in event_types],
        start_revision=from_revision,
    )
    if output.interactive():
        output.err_console.print(f"[dim]watching from revision {stream.revision}…[/dim]")
    try:
        for event in stream:
            if output.interactive():
                output.console.print(output.event_line(event), highlight=False)
            else:
                output.emit_json(event)
    except KeyboardInterrupt:
        stream.cancel()


@cli.command("import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--scope",
    help="Idempotency scope (default: the file name). Re-running the "
    "same file in the same scope creates only the rows still missing.",
)
@click.option(
    "--batch-size",
    type=click.IntRange(1, 500),
    default=100,
    show_default=True,
    help="Rows per BatchCreateAvailabilities call (the server takes at most 500).",
)
@pass_ctx
def import_csv(ctx: Context, csv_file: Path, scope: str | None, batch_size: int) -> None:
    """Create one lot per CSV row; prints what failed and why."""
    from tradedesk_availability_client.cli.import_view import run_import

    failed = run_import(ctx.client, csv_file, scope or csv_file.name, batch_size)
    if failed:
        sys.exit(1)


def main(argv: list[str] | None = None) -> Any:
    try:
        return cli.main(args=argv, prog_name="avail", standalone_mode=False)
    except click.exceptions.Abort:
        sys.exit(130)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except AvailabilityError as error:
        output.err_console.print(f"[red]error:[/red] {error}", highlight=False)
        sys.exit(2)
    except (ValueError, OSError, json_format.ParseError) as error:
        output.err_console.print(f"[red]error:[/red] {error}", highlight=False)
        sys.exit(2)


if __name__ == "__main__":
    main()

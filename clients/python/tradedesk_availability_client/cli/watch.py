"""`avail watch`: follow changes live, resuming after disconnects."""

from __future__ import annotations

import click

from tradedesk.availability.v1 import watch_pb2
from tradedesk_availability_client.cli import output
from tradedesk_availability_client.cli.context import Context, enum_names, lot_name, pass_ctx


@click.command()
@click.option("--commodity", "commodities", multiple=True)
@click.option("--seller", "seller_ids", multiple=True)
@click.option("--region", "delivery_regions", multiple=True)
@click.option("--name", "names", multiple=True, help="Only these lots.")
@click.option(
    "--type",
    "event_types",
    multiple=True,
    type=click.Choice(
        enum_names(watch_pb2.EventType.DESCRIPTOR, "EVENT_TYPE_"), case_sensitive=False
    ),
)
@click.option("--from-revision", type=int, default=None, help="Replay from after this revision.")
@click.option("--initial", is_flag=True, help="First show the current matching lots.")
@click.option("--limit", type=int, default=None, help="Stop after this many events.")
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
    limit: int | None,
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
    seen = 0
    try:
        for event in stream:
            if output.interactive():
                output.console.print(output.event_line(event), highlight=False)
            else:
                output.emit(event)
            seen += 1
            if limit is not None and seen >= limit:
                break
    finally:
        stream.cancel()


COMMANDS = (watch,)

"""`avail watch-search`: a standing search, followed live (lots entering, changing, leaving)."""

from __future__ import annotations

from typing import Any

import click

from tradedesk.availability.v1 import watch_pb2
from tradedesk_availability_client.cli import output
from tradedesk_availability_client.cli.context import Context, pass_ctx
from tradedesk_availability_client.cli.search import criteria_from, criteria_options

_COLOUR = {"ENTERED": "green", "UPDATED": "cyan", "LEFT": "red"}


def change_line(change: watch_pb2.SearchChange) -> str:
    """One human line per change: revision, kind, lot, score, price, the causing events."""
    kind = watch_pb2.MatchKind.Name(change.kind).removeprefix("MATCH_KIND_")
    colour = _COLOUR.get(kind, "white")
    causes = ",".join(
        watch_pb2.EventType.Name(t).removeprefix("EVENT_TYPE_") for t in change.event_types
    )
    lot = change.result.availability
    detail = "(no longer visible)"
    if change.HasField("result"):
        detail = (
            f"score {change.result.score:.3f} {lot.available_quantity} {lot.quantity_unit} "
            f"{lot.base_price.amount} {lot.base_price.currency_code}/{lot.price_unit}"
        )
    return (
        f"[dim]{change.revision:>8}[/dim] [{colour}]{kind:<8}[/{colour}] "
        f"{change.name.removeprefix('availabilities/')[:8]} {detail} [dim]{causes}[/dim]"
    )


@click.command("watch-search")
@click.argument("commodity")
@criteria_options
@click.option("--from-revision", type=int, default=None, help="Resume after this revision.")
@click.option("--initial", is_flag=True, help="First show the current match set.")
@pass_ctx
def watch_search(
    ctx: Context, commodity: str, from_revision: int | None, initial: bool, **flags: Any
) -> None:
    """Follow a standing search of COMMODITY live (Ctrl-C to stop): lots that enter the
    results, change score or payload while in them, and leave them. Reconnects by itself."""
    stream = ctx.client.watch_search(
        commodity,
        start_revision=from_revision,
        send_initial_state=initial,
        **criteria_from(**flags),
    )
    if output.interactive():
        output.err_console.print(f"[dim]standing search from revision {stream.revision}…[/dim]")
    try:
        for change in stream:
            if output.interactive():
                output.console.print(change_line(change), highlight=False)
            else:
                output.emit(change)
    except KeyboardInterrupt:
        stream.cancel()


COMMANDS = (watch_search,)

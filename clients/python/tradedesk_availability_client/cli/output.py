"""Output as `--output` says: table (the default on a terminal), json (the default when piped,
one JSON document per line, so `avail list | jq` just works) or yaml (one YAML document per
item, `---` between them)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from typing import Any

import yaml
from google.protobuf import json_format
from google.protobuf.message import Message
from rich.console import Console
from rich.table import Table

from tradedesk.availability.v1 import resources_pb2 as pb
from tradedesk.availability.v1 import watch_pb2

console = Console()
err_console = Console(stderr=True)

FORMATS = ("table", "json", "yaml")
_format: str | None = None  # None: table on a terminal, else json


def set_format(name: str | None) -> None:
    global _format
    _format = name


def current_format() -> str:
    return _format or ("table" if sys.stdout.isatty() else "json")


def interactive() -> bool:
    """True when output is for people (tables, colours, progress bars)."""
    return current_format() == "table"


def as_dict(message: Message) -> dict[str, Any]:
    return json_format.MessageToDict(message, preserving_proto_field_name=True)


def emit(value: Any) -> None:
    """One item as a JSON line or a YAML document (for json and yaml output)."""
    if isinstance(value, Message):
        value = as_dict(value)
    if current_format() == "yaml":
        sys.stdout.write(yaml.safe_dump(value, sort_keys=False, explicit_start=True))
    else:
        sys.stdout.write(json.dumps(value, default=str) + "\n")
    sys.stdout.flush()


def show_message(message: Message) -> None:
    """Any reply: key/value lines on a terminal, else emit()."""
    if not interactive():
        emit(message)
        return
    table = Table(show_header=False, box=None)
    table.add_column(style="bold cyan")
    table.add_column()
    for key, value in as_dict(message).items():
        table.add_row(key, value if isinstance(value, str) else json.dumps(value))
    console.print(table)


def lot_state(lot: pb.Availability) -> str:
    return pb.Availability.State.Name(lot.state).removeprefix("STATE_")


def lots_table(lots: Iterable[pb.Availability], title: str | None = None) -> Table:
    table = Table(title=title, header_style="bold")
    for column in (
        "name",
        "commodity",
        "variety / grade",
        "state",
        "available / total",
        "price",
        "region",
        "rev",
    ):
        table.add_column(column, justify="right" if column in ("rev",) else "left")
    for lot in lots:
        price = (
            f"{lot.base_price.amount} {lot.base_price.currency_code}/{lot.price_unit}"
            if lot.base_price.amount
            else "-"
        )
        table.add_row(
            lot.name.removeprefix("availabilities/"),
            lot.commodity,
            " / ".join(x for x in (lot.variety, lot.grade) if x) or "-",
            lot_state(lot),
            f"{lot.available_quantity} / {lot.total_quantity} {lot.quantity_unit}",
            price,
            lot.delivery_region or "-",
            str(lot.revision),
        )
    return table


def show_reservation(reservation: pb.Reservation, lot: pb.Availability | None) -> None:
    if not interactive():
        emit(
            {
                "reservation": as_dict(reservation),
                "availability": as_dict(lot) if lot is not None else None,
            }
        )
        return
    state = pb.Reservation.State.Name(reservation.state).removeprefix("STATE_")
    console.print(
        f"[bold]{reservation.name}[/bold]  {state}  "
        f"{reservation.quantity} {reservation.quantity_unit}  "
        f"buyer={reservation.buyer_id or '-'}"
    )
    if lot is not None:
        console.print(lots_table([lot]))


def event_line(event: watch_pb2.AvailabilityEvent) -> str:
    """One human line per event: revision, time, type, change, lot, quantities, actor."""
    lot = event.availability
    kind = watch_pb2.EventType.Name(event.type).removeprefix("EVENT_TYPE_")
    change = watch_pb2.ChangeKind.Name(event.change).removeprefix("CHANGE_KIND_")
    when = (
        event.event_time.ToDatetime().strftime("%H:%M:%S")
        if event.event_time.seconds
        else "--:--:--"
    )
    colour = {
        "CREATED": "green",
        "APPROVED": "green",
        "RESERVED": "yellow",
        "RELEASED": "cyan",
        "SOLD": "magenta",
        "CANCELLED": "red",
        "REJECTED": "red",
        "EXPIRED": "red",
    }.get(kind, "white")
    fields = f" [dim]{','.join(event.changed_fields)}[/dim]" if event.changed_fields else ""
    return (
        f"[dim]{event.revision:>8}[/dim] {when} [{colour}]{kind:<18}[/{colour}] "
        f"{change:<8} {lot.name.removeprefix('availabilities/')[:8]} {lot.commodity:<10} "
        f"{lot.available_quantity}/{lot.total_quantity} {lot.quantity_unit} "
        f"by {event.actor or '-'}{fields}"
    )


def show_items(items: list[Any], table: Table) -> None:
    """A list: the table on a terminal, else one emit() per item."""
    if interactive():
        console.print(table)
        return
    for item in items:
        emit(item)

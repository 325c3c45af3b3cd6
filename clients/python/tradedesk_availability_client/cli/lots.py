"""Lot commands: create, get, list, update, delete, approve, reject, import."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from tradedesk.availability.v1 import resources_pb2 as pb
from tradedesk_availability_client.cli import exit_codes, output
from tradedesk_availability_client.cli.context import Context, enum_names, lot_name, pass_ctx
from tradedesk_availability_client.cli.lotfile import (
    load_documents,
    row_to_document,
    to_availability,
)


@click.command()
@click.argument("file")
@click.option(
    "--batch", is_flag=True, help="All lots of FILE in one BatchCreateAvailabilities call."
)
@pass_ctx
def create(ctx: Context, file: str, batch: bool) -> None:
    """Create lots from a YAML or JSON FILE (one lot or a list; "-" for stdin)."""
    lots = [to_availability(doc) for doc in load_documents(file)]
    if not batch:
        for lot in lots:
            output.show_message(ctx.client.create_availability(lot))
        return
    results = ctx.client.batch_create_availabilities(lots)
    for result in results:
        output.show_message(result)
    if any(result.code for result in results):
        sys.exit(exit_codes.FAILED)


@click.command()
@click.argument("name")
@click.option("--full", is_flag=True, help="Include the feature vector.")
@pass_ctx
def get(ctx: Context, name: str, full: bool) -> None:
    """Show one lot (NAME is "availabilities/{id}" or just the id)."""
    output.show_message(ctx.client.get_availability(lot_name(name), full=full))


@click.command("list")
@click.option("--commodity", default="")
@click.option("--seller", "seller_id", default="")
@click.option(
    "--state",
    "states",
    multiple=True,
    type=click.Choice(enum_names(pb.Availability.State.DESCRIPTOR, "STATE_"), case_sensitive=False),
)
@click.option("--show-deleted", is_flag=True)
@click.option("--full", is_flag=True, help="Include the feature vectors.")
@click.option("--limit", default=50, show_default=True, help="At most this many lots.")
@pass_ctx
def list_lots(
    ctx: Context,
    commodity: str,
    seller_id: str,
    states: tuple[str, ...],
    show_deleted: bool,
    full: bool,
    limit: int,
) -> None:
    """List visible lots, newest first."""
    lots = []
    for lot in ctx.client.iter_availabilities(
        commodity=commodity,
        seller_id=seller_id,
        show_deleted=show_deleted,
        full=full,
        states=[pb.Availability.State.Value(f"STATE_{s.upper()}") for s in states],
        page_size=min(limit, 500),
    ):
        lots.append(lot)
        if len(lots) >= limit:
            break
    output.show_items(lots, output.lots_table(lots, title=f"{len(lots)} lots"))


@click.command()
@click.argument("name")
@click.argument("file", required=False)
@click.option(
    "--set",
    "assignments",
    multiple=True,
    metavar="FIELD=VALUE",
    help="A field as in `avail import` columns (base_price.amount=1700, tags=a|b, "
    "quality.staple_length=30 mm); repeatable.",
)
@click.option("--mask", help="Comma-separated fields to change (default: the fields given).")
@click.option("--etag", default="", help="Fail with exit 8 if the lot changed since this etag.")
@pass_ctx
def update(
    ctx: Context,
    name: str,
    file: str | None,
    assignments: tuple[str, ...],
    mask: str | None,
    etag: str,
) -> None:
    """Change fields of lot NAME, from a YAML/JSON FILE of fields and/or --set."""
    doc = load_documents(file)[0] if file else {}
    cells = dict(_assignment(a) for a in assignments)
    for key, value in row_to_document(cells).items():
        doc[key] = {**doc[key], **value} if isinstance(doc.get(key), dict) else value
    if not doc:
        raise click.UsageError("nothing to change: give a FILE or --set FIELD=VALUE")
    lot = to_availability(doc)
    lot.name, lot.etag = lot_name(name), etag
    paths = mask.split(",") if mask else list(doc)
    output.show_message(ctx.client.update_availability(lot, paths))


def _assignment(text: str) -> tuple[str, str]:
    field, sep, value = text.partition("=")
    if not sep or not field:
        raise click.BadParameter(f"expected FIELD=VALUE, got {text!r}", param_hint="--set")
    return field, value


@click.command()
@click.argument("name")
@click.option("--etag", default="")
@click.option("--force", is_flag=True, help="Release its open holds first (LOT_WITHDRAWN).")
@pass_ctx
def delete(ctx: Context, name: str, etag: str, force: bool) -> None:
    """Delete lot NAME (soft: `list --show-deleted` still shows it)."""
    output.show_message(ctx.client.delete_availability(lot_name(name), etag=etag, force=force))


@click.command()
@click.argument("name")
@click.option("--etag", default="")
@pass_ctx
def approve(ctx: Context, name: str, etag: str) -> None:
    """Approve lot NAME after review (ADMIN): it becomes ACTIVE."""
    output.show_message(ctx.client.approve_availability(lot_name(name), etag=etag))


@click.command()
@click.argument("name")
@click.option("--reason", required=True, help="Told to the seller.")
@click.option("--etag", default="")
@pass_ctx
def reject(ctx: Context, name: str, reason: str, etag: str) -> None:
    """Reject lot NAME after review (ADMIN)."""
    output.show_message(ctx.client.reject_availability(lot_name(name), reason, etag=etag))


@click.command("import")
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
    """Create one lot per CSV row; prints what failed and why (exit 1 if any row failed)."""
    from tradedesk_availability_client.cli.import_view import run_import

    failed = run_import(ctx.client, csv_file, scope or csv_file.name, batch_size)
    if failed:
        sys.exit(exit_codes.FAILED)


COMMANDS = (create, get, list_lots, update, delete, approve, reject, import_csv)

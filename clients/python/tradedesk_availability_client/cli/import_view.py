"""`avail import` on screen: a progress bar while rows go in, then what failed and why."""

from __future__ import annotations

from pathlib import Path

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from tradedesk_availability_client.cli import output
from tradedesk_availability_client.cli.importer import ImportSummary, import_rows, read_rows
from tradedesk_availability_client.client import AvailabilityClient


def run_import(client: AvailabilityClient, path: Path, scope: str, batch_size: int) -> int:
    """Import every row; returns the number of failed rows."""
    rows = read_rows(path)
    if output.interactive():
        with Progress(
            TextColumn("[bold]importing[/bold] {task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=output.err_console,
        ) as progress:
            task = progress.add_task(path.name, total=len(rows))
            summary = import_rows(
                client, rows, scope, on_row=lambda _: progress.advance(task), chunk_rows=batch_size
            )
        _print_summary(summary)
    else:
        summary = import_rows(client, rows, scope, chunk_rows=batch_size)
        output.emit(
            {
                "total": summary.total,
                "created": [{"row": row, "name": name} for row, name in summary.created],
                "failed": [vars(f) for f in summary.failed],
            }
        )
    return len(summary.failed)


def _print_summary(summary: ImportSummary) -> None:
    colour = "green" if not summary.failed else "yellow"
    output.console.print(
        f"[{colour}]{len(summary.created)} of {summary.total} rows "
        f"imported, {len(summary.failed)} failed[/{colour}]"
    )
    if not summary.failed:
        return
    table = Table(title="failed rows", header_style="bold")
    for column in ("row", "code", "reason", "why"):
        table.add_column(column)
    for failure in summary.failed:
        why = "; ".join(failure.fields) or failure.message
        table.add_row(str(failure.row), failure.code, failure.reason, why)
    output.console.print(table)

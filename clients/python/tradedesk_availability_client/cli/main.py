"""`avail`: the Availability Engine from the command line, one command per RPC.

Connection settings come from flags, AVAIL_* variables or a config file (cli/settings.py);
output is a table on a terminal, JSON when piped, or as --output says; the exit status
names the kind of failure (cli/exit_codes.py).
"""

from __future__ import annotations

import sys
from typing import Any

import click
from google.protobuf import json_format

from tradedesk_availability_client.cli import (
    exit_codes,
    history,
    holds,
    locations,
    lots,
    output,
    reservations,
    search,
    watch_search,
)
from tradedesk_availability_client.cli import watch as watching
from tradedesk_availability_client.cli.settings import config_file, make_context, resolve
from tradedesk_availability_client.errors import AvailabilityError
from tradedesk_availability_client.transport import DEFAULT_TARGET


def _fail(message: object, status: int) -> None:
    output.err_console.print(f"[red]error:[/red] {message}", highlight=False)
    sys.exit(status)


class AvailGroup(click.Group):
    """Turns a failed call into its exit status (exit_codes), with the error on stderr."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except AvailabilityError as error:
            _fail(error, exit_codes.for_status(error.code))
        except (ValueError, json_format.ParseError) as error:  # a lot file that does not parse
            _fail(error, exit_codes.INVALID_ARGUMENT)
        except OSError as error:  # a file that cannot be read, a token command that failed
            _fail(error, exit_codes.USAGE)


@click.group(cls=AvailGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config",
    envvar="AVAIL_CONFIG",
    type=click.Path(exists=True, dir_okay=False),
    help="Settings file (AVAIL_CONFIG; default ~/.config/avail/config.yaml if it exists).",
)
@click.option(
    "--target",
    envvar="AVAIL_TARGET",
    default=DEFAULT_TARGET,
    show_default=True,
    help="host:port of the server (AVAIL_TARGET).",
)
@click.option("--token", envvar="AVAIL_TOKEN", help="Bearer token (AVAIL_TOKEN).")
@click.option(
    "--token-file",
    envvar="AVAIL_TOKEN_FILE",
    help="File holding the token, re-read when it changes (AVAIL_TOKEN_FILE).",
)
@click.option(
    "--token-command",
    envvar="AVAIL_TOKEN_COMMAND",
    help="Command printing a token, run again before it expires (AVAIL_TOKEN_COMMAND).",
)
@click.option(
    "--tls/--no-tls",
    envvar="AVAIL_TLS",
    default=False,
    help="TLS with the system's CAs (AVAIL_TLS); implied by the three options below.",
)
@click.option("--ca-file", envvar="AVAIL_CA_FILE", help="CA to trust instead, PEM (AVAIL_CA_FILE).")
@click.option(
    "--cert-file", envvar="AVAIL_CERT_FILE", help="Client certificate, PEM (AVAIL_CERT_FILE)."
)
@click.option("--key-file", envvar="AVAIL_KEY_FILE", help="Its private key, PEM (AVAIL_KEY_FILE).")
@click.option(
    "--server-name",
    envvar="AVAIL_SERVER_NAME",
    help="Name the server's certificate must carry, if not the target's host.",
)
@click.option(
    "--timeout",
    envvar="AVAIL_TIMEOUT",
    type=float,
    default=10.0,
    show_default=True,
    help="Seconds per call, its retries included (AVAIL_TIMEOUT).",
)
@click.option(
    "-o",
    "--output",
    envvar="AVAIL_OUTPUT",
    type=click.Choice(output.FORMATS),
    help="table (default on a terminal), json (default when piped) or yaml (AVAIL_OUTPUT).",
)
@click.pass_context
def cli(ctx: click.Context, config: str | None, **options: Any) -> None:
    """Post, find, hold, sell and watch inventory lots."""
    values = resolve(ctx, options, config_file(config))
    output.set_format(values["output"])
    ctx.obj = make_context(values)
    ctx.call_on_close(ctx.obj.close)


for group in (lots, search, holds, reservations, history, watching, locations, watch_search):
    for command in group.COMMANDS:
        cli.add_command(command)


def main(argv: list[str] | None = None) -> Any:
    try:
        return cli.main(args=argv, prog_name="avail", standalone_mode=False)
    except click.exceptions.Abort:
        sys.exit(exit_codes.INTERRUPTED)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)


if __name__ == "__main__":
    main()

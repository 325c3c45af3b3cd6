"""Where `avail` finds its server and token: a flag, else an AVAIL_* variable, else the config
file ($AVAIL_CONFIG, or ~/.config/avail/config.yaml), else the default."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click
import yaml
from click.core import ParameterSource

from tradedesk_availability_client.cli.context import Context
from tradedesk_availability_client.tls import Tls
from tradedesk_availability_client.tokens import CommandToken, FileToken, TokenLike

# Config file keys: the global options' names with underscores.
KEYS = (
    "target",
    "token",
    "token_file",
    "token_command",
    "tls",
    "ca_file",
    "cert_file",
    "key_file",
    "server_name",
    "timeout",
    "output",
)
_PATHS = ("token_file", "ca_file", "cert_file", "key_file")
_FROM_CONFIG = 1
_RANK = {ParameterSource.COMMANDLINE: 3, ParameterSource.ENVIRONMENT: 2}


def config_file(explicit: str | None) -> Path | None:
    """The file named by --config/AVAIL_CONFIG (which must exist), else the default one if
    it exists."""
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    default = Path(base) / "avail" / "config.yaml"
    return default if default.is_file() else None


def load_config(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as error:
        raise click.UsageError(f"config file {path}: {error}") from None
    if not isinstance(data, dict):
        raise click.UsageError(f"config file {path}: expected a mapping of settings")
    unknown = sorted(set(data) - set(KEYS))
    if unknown:
        raise click.UsageError(
            f"config file {path}: unknown settings {', '.join(unknown)} (known: {', '.join(KEYS)})"
        )
    for key in _PATHS:  # relative to the config file, not to wherever avail runs
        if data.get(key):
            data[key] = str(path.parent / Path(str(data[key])).expanduser())
    return data


def resolve(ctx: click.Context, options: dict[str, Any], path: Path | None) -> dict[str, Any]:
    """The value of every option, and how specific its source is (for the token choice)."""
    config = load_config(path) if path else {}
    values: dict[str, Any] = {}
    ranks: dict[str, int] = {}
    for key, value in options.items():
        source = ctx.get_parameter_source(key)
        rank = _RANK.get(source, 0) if source else 0
        if rank == 0 and key in config:
            param = next(p for p in ctx.command.params if p.name == key)
            value, rank = param.type_cast_value(ctx, config[key]), _FROM_CONFIG
        values[key], ranks[key] = value, rank
    values["token"] = _token(values, ranks)
    return values


def _token(values: dict[str, Any], ranks: dict[str, int]) -> TokenLike:
    """The most specific of --token, --token-file and --token-command (in that order when
    equally specific): AVAIL_TOKEN set for one command beats a token_command in the file."""
    given = [k for k in ("token", "token_file", "token_command") if values.get(k)]
    if not given:
        return None
    best = max(given, key=lambda k: ranks[k])  # max keeps the first of equals
    if best == "token_file":
        return FileToken(Path(values["token_file"]).expanduser())
    if best == "token_command":
        return CommandToken(values["token_command"])
    return str(values["token"])


def make_context(values: dict[str, Any]) -> Context:
    tls = None
    if values["tls"] or values["ca_file"] or values["cert_file"] or values["key_file"]:
        try:
            tls = Tls(
                values["ca_file"], values["cert_file"], values["key_file"], values["server_name"]
            )
        except ValueError as error:
            raise click.UsageError(str(error)) from None
    return Context(values["target"], token=values["token"], tls=tls, timeout=values["timeout"])

"""`avail` exit statuses by kind of failure, and its settings from flags, the environment and
a config file."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
import yaml

from tests.clients.conftest import identity, registered_seller, run_avail
from tests.support.processes import free_port
from tests.support.server import ServerThread
from tradedesk_availability_client import AvailabilityClient
from tradedesk_availability_client.cli import exit_codes


def test_each_kind_of_failure_has_its_own_exit_status(server: ServerThread) -> None:
    with AvailabilityClient(server.address, identity("ADMIN").token) as admin:
        who = registered_seller(admin)
        lot = AvailabilityClient(server.address, who.token).create_availability(who.lot())
        admin.approve_availability(lot.name)
    seller, address = who.token, server.address
    missing = f"availabilities/{uuid.uuid4()}"
    stale = ("update", lot.name, "--set", "variety=DCH-32", "--etag", "stale")
    cases = {
        exit_codes.USAGE: run_avail(address, seller, "get"),
        exit_codes.INVALID_ARGUMENT: run_avail(address, seller, "get", "not/a-lot"),
        exit_codes.NOT_FOUND: run_avail(address, seller, "get", missing),
        exit_codes.PERMISSION_DENIED: run_avail(address, seller, "approve", lot.name),
        exit_codes.UNAUTHENTICATED: run_avail(address, "not-a-token", "get", lot.name),
        exit_codes.PRECONDITION: run_avail(address, identity("ADMIN").token, "approve", lot.name),
        exit_codes.CONFLICT: run_avail(address, seller, *stale),
        exit_codes.UNAVAILABLE: run_avail(
            f"127.0.0.1:{free_port()}", seller, "--timeout", "2", "get", lot.name
        ),
    }
    statuses = {expected: result.exit_code for expected, result in cases.items()}
    assert statuses == {expected: expected for expected in cases}
    bad_point = run_avail(address, seller, "search", "cotton", "--near", "22.3")
    assert (bad_point.exit_code, "--near" in bad_point.stderr) == (exit_codes.USAGE, True)
    # The code name is on stderr; stdout stays clean for the pipe.
    assert "NOT_FOUND" in cases[exit_codes.NOT_FOUND].stderr
    assert cases[exit_codes.NOT_FOUND].stdout == ""


def test_exit_statuses_are_all_different() -> None:
    statuses = [v for k, v in vars(exit_codes).items() if k.isupper() and isinstance(v, int)]
    assert len(statuses) == len(set(statuses))


@pytest.fixture
def seller_lot(server: ServerThread) -> tuple[str, str]:
    """(token, lot name) of a seller with one lot."""
    with AvailabilityClient(server.address, identity("ADMIN").token) as admin:
        who = registered_seller(admin)
    with AvailabilityClient(server.address, who.token) as seller:
        return who.token, seller.create_availability(who.lot()).name


def _config(path: Path, **settings: object) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(settings))
    return str(path)


def test_endpoint_and_token_come_from_the_config_file(
    server: ServerThread, seller_lot: tuple[str, str], tmp_path: Path
) -> None:
    token, name = seller_lot
    (tmp_path / "token").write_text(token)
    config = _config(
        tmp_path / "avail" / "config.yaml",
        target=server.address,
        token_file="../token",  # relative to the config file
        output="yaml",
    )
    by_variable = run_avail(None, None, "get", name, AVAIL_CONFIG=config)
    assert by_variable.exit_code == 0, by_variable.stderr
    assert yaml.safe_load(by_variable.stdout)["name"] == name
    by_default_place = run_avail(None, None, "get", name, XDG_CONFIG_HOME=str(tmp_path))
    assert yaml.safe_load(by_default_place.stdout)["name"] == name


def test_flags_and_variables_win_over_the_config_file(
    server: ServerThread, seller_lot: tuple[str, str], tmp_path: Path
) -> None:
    token, name = seller_lot
    config = _config(
        tmp_path / "config.yaml",
        target=f"127.0.0.1:{free_port()}",  # nobody there
        token_command="false",  # a command that fails
        output="yaml",
    )
    result = run_avail(
        server.address, token, "--target", server.address, "-o", "json", "get", name,
        AVAIL_CONFIG=config,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["name"] == name


def test_a_config_file_with_an_unknown_setting_is_a_usage_error(tmp_path: Path) -> None:
    config = _config(tmp_path / "config.yaml", target="x:1", tokn="typo")
    result = run_avail("x:1", None, "list", AVAIL_CONFIG=config)
    assert result.exit_code == exit_codes.USAGE
    assert "tokn" in result.output + result.stderr


def test_a_token_command_supplies_the_token(
    server: ServerThread, seller_lot: tuple[str, str]
) -> None:
    token, name = seller_lot
    result = run_avail(
        server.address, None, "--token-command", f"echo {token}", "-o", "json", "get", name
    )
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["name"] == name

"""Rate limits are configurable from settings, and a bad setting stops the server early."""

from __future__ import annotations

import pytest

from availability_service.auth.ratelimit import RateLimitConfig, parse_rate_limits


def test_named_groups_override_the_defaults_and_others_keep_them() -> None:
    config = parse_rate_limits("read=10/20, hold=5")
    assert config.limit_for("read") == (10.0, 20.0)
    assert config.limit_for("hold") == (5.0, 5.0)
    assert config.limit_for("write") == RateLimitConfig().limit_for("write")


def test_limits_can_be_switched_off() -> None:
    assert parse_rate_limits("", enabled=False).enabled is False


@pytest.mark.parametrize("spec", ["reads=1/2", "read=fast", "read=1/x", "=5"])
def test_a_malformed_spec_is_refused_naming_the_part(spec: str) -> None:
    with pytest.raises(ValueError, match="rate limit"):
        parse_rate_limits(spec)

"""Verified tokens are remembered until they expire, never beyond."""

from __future__ import annotations

import time

import pytest

from availability_service.auth.errors import AuthenticationError
from availability_service.auth.tokens import AuthConfig, TokenVerifier, mint_token

SECRET = b"k" * 40


def test_a_remembered_token_still_expires() -> None:
    verifier = TokenVerifier(AuthConfig(hs256_secret=SECRET, leeway_seconds=0))
    token = mint_token(SECRET, "buyer-1", ["BUYER"], ttl_seconds=2)
    first = verifier.verify(token)
    assert verifier.verify(token) is first  # served from memory
    time.sleep(3.1)
    with pytest.raises(AuthenticationError, match="expired"):
        verifier.verify(token)


def test_a_tampered_token_is_never_served_from_memory() -> None:
    verifier = TokenVerifier(AuthConfig(hs256_secret=SECRET))
    token = mint_token(SECRET, "buyer-1", ["BUYER"])
    verifier.verify(token)
    head, body, signature = token.split(".")
    with pytest.raises(AuthenticationError):
        verifier.verify(f"{head}.{body}.{signature[:-2]}AA")

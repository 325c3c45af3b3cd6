"""Bearer tokens: what is accepted, and each reason a token is refused."""

from __future__ import annotations

import json
import stat
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from availability_service.auth.errors import AuthenticationError
from availability_service.auth.principal import Principal, Role
from availability_service.auth.tokens import (
    DEFAULT_AUDIENCE,
    DEFAULT_ISSUER,
    AuthConfig,
    TokenVerifier,
    load_or_create_dev_secret,
    mint_token,
)

SECRET = b"s" * 32
OTHER_SECRET = b"o" * 32


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {
        "iss": DEFAULT_ISSUER,
        "aud": DEFAULT_AUDIENCE,
        "sub": "partner-1",
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "roles": ["BUYER"],
    }
    base.update(overrides)
    return {key: value for key, value in base.items() if value is not None}


def hs_verifier() -> TokenVerifier:
    return TokenVerifier(AuthConfig(hs256_secret=SECRET))


def refusal(verifier: TokenVerifier, token: str) -> str:
    with pytest.raises(AuthenticationError) as caught:
        verifier.verify(token)
    return caught.value.reason


def public_pem(private_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> str:
    return (
        private_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def test_a_minted_hs256_token_yields_the_principal() -> None:
    token = mint_token(SECRET, "partner-1", [Role.SELLER, "TRADER"], "acme", "EU")
    assert hs_verifier().verify(token) == Principal(
        subject="partner-1",
        company_id="acme",
        roles=frozenset({Role.SELLER, Role.TRADER}),
        region="EU",
    )


def test_optional_claims_default_to_none() -> None:
    principal = hs_verifier().verify(mint_token(SECRET, "p", ["BUYER"]))
    assert principal.company_id is None and principal.region is None


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        # Times relative to when the test runs, not to collection (a slow suite reaches this
        # test minutes after collecting it).
        ({"exp": timedelta(seconds=-120)}, "token expired"),
        ({"nbf": timedelta(seconds=600)}, "token not yet valid"),
        ({"aud": "some-other-service"}, "wrong audience"),
        ({"iss": "evil-issuer"}, "wrong issuer"),
        ({"exp": None}, "missing claim exp"),
        ({"sub": None}, "missing claim sub"),
        ({"roles": ["BUYER", "SUPERUSER"]}, "unknown role 'SUPERUSER'"),
        ({"roles": "BUYER"}, "claim roles must be a list of role names"),
        ({"company_id": 7}, "claim company_id must be a string"),
    ],
)
def test_a_token_with_bad_claims_is_refused_with_a_specific_reason(
    overrides: dict[str, Any], reason: str
) -> None:
    now = time.time()
    resolved = {
        k: int(now + v.total_seconds()) if isinstance(v, timedelta) else v
        for k, v in overrides.items()
    }
    token = jwt.encode(claims(**resolved), SECRET, algorithm="HS256")
    assert refusal(hs_verifier(), token) == reason


def test_expiry_within_the_leeway_is_still_accepted() -> None:
    token = jwt.encode(claims(exp=int(time.time()) - 5), SECRET, algorithm="HS256")
    assert hs_verifier().verify(token).subject == "partner-1"


def test_a_token_signed_with_another_secret_is_refused() -> None:
    token = jwt.encode(claims(), OTHER_SECRET, algorithm="HS256")
    assert refusal(hs_verifier(), token) == "bad signature"


def test_an_unsigned_alg_none_token_is_refused() -> None:
    token = jwt.encode(claims(), "", algorithm="none")
    assert refusal(hs_verifier(), token) == "algorithm 'none' not accepted"


def test_garbage_is_a_malformed_token() -> None:
    assert refusal(hs_verifier(), "not.a.jwt") == "malformed token"
    assert refusal(hs_verifier(), "") == "malformed token"


def test_rs256_tokens_verify_with_a_pem_public_key() -> None:
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    verifier = TokenVerifier(AuthConfig(public_key_pem=public_pem(private_key)))
    assert verifier.allowed_algorithms == frozenset({"RS256"})
    token = jwt.encode(claims(roles=["SERVICE"]), private_key, algorithm="RS256")
    assert verifier.verify(token).roles == frozenset({Role.SERVICE})


def test_hs256_is_refused_when_only_rsa_keys_are_configured() -> None:
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    verifier = TokenVerifier(AuthConfig(public_key_pem=public_pem(private_key)))
    assert refusal(verifier, jwt.encode(claims(), SECRET, algorithm="HS256")) == (
        "algorithm 'HS256' not accepted"
    )


def test_the_public_key_cannot_be_used_as_an_hmac_secret() -> None:
    """Algorithm confusion: an HS256 token "signed" with the PEM text must never verify."""
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = public_pem(private_key)
    verifier = TokenVerifier(AuthConfig(hs256_secret=SECRET, public_key_pem=pem))
    # PyJWT refuses to sign with PEM as an HMAC key, so forge the signature by hand.
    forged = jwt.api_jws.PyJWS(algorithms=["HS256"])
    forged._algorithms["HS256"].prepare_key = lambda key: key  # type: ignore[method-assign]
    token = forged.encode(json.dumps(claims()).encode(), pem.encode(), algorithm="HS256")
    assert refusal(verifier, token) == "bad signature"


def es256_jwks(tmp_path: Path, kid: str) -> tuple[ec.EllipticCurvePrivateKey, str]:
    private_key = ec.generate_private_key(ec.SECP256R1())
    jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(private_key.public_key()))
    jwk.update(kid=kid, use="sig")
    rsa_jwk = json.loads(
        jwt.algorithms.RSAAlgorithm.to_jwk(
            rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
        )
    )
    rsa_jwk.update(kid="rsa-1")
    # A symmetric member must be ignored: HS256 comes only from the configured secret.
    oct_jwk = {"kty": "oct", "kid": "shared", "k": "c2VjcmV0"}
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [rsa_jwk, jwk, oct_jwk]}))
    return private_key, str(path)


def test_es256_tokens_verify_with_the_jwks_key_named_by_kid(tmp_path: Path) -> None:
    private_key, path = es256_jwks(tmp_path, kid="ec-1")
    verifier = TokenVerifier(AuthConfig(jwks_path=path))
    assert verifier.allowed_algorithms == frozenset({"ES256", "RS256"})
    token = jwt.encode(claims(), private_key, algorithm="ES256", headers={"kid": "ec-1"})
    assert verifier.verify(token).subject == "partner-1"


def test_jwks_tokens_need_a_known_kid_bound_to_the_same_algorithm(tmp_path: Path) -> None:
    private_key, path = es256_jwks(tmp_path, kid="ec-1")
    verifier = TokenVerifier(AuthConfig(jwks_path=path))
    assert refusal(verifier, jwt.encode(claims(), private_key, algorithm="ES256")) == (
        "token has no kid"
    )
    unknown = jwt.encode(claims(), private_key, algorithm="ES256", headers={"kid": "nope"})
    assert refusal(verifier, unknown) == "unknown kid 'nope'"
    mismatched = jwt.encode(claims(), private_key, algorithm="ES256", headers={"kid": "rsa-1"})
    assert refusal(verifier, mismatched) == "algorithm ES256 does not match the signing key"
    shared = jwt.encode(claims(), SECRET, algorithm="HS256", headers={"kid": "shared"})
    assert refusal(verifier, shared) == "algorithm 'HS256' not accepted"


def test_a_verifier_without_keys_or_with_a_short_secret_is_a_configuration_error() -> None:
    with pytest.raises(ValueError, match="no token keys"):
        TokenVerifier(AuthConfig())
    with pytest.raises(ValueError, match="at least 32 bytes"):
        AuthConfig(hs256_secret=b"short")


def test_the_dev_secret_is_created_once_privately_and_reused(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    first = load_or_create_dev_secret(data_dir)
    path = data_dir / "dev-jwt-secret"
    assert len(first) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_dev_secret(data_dir) == first
    assert [p.name for p in data_dir.iterdir()] == ["dev-jwt-secret"]
    token = mint_token(first, "dev", ["ADMIN"])
    assert TokenVerifier(AuthConfig(hs256_secret=first)).verify(token).is_privileged

"""Bearer-token verification (PyJWT) and development token minting."""

from __future__ import annotations

import contextlib
import os
import secrets
import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import jwt

from availability_service.auth.errors import AuthenticationError
from availability_service.auth.keys import (
    ES256,
    HS256,
    MIN_HS256_SECRET_BYTES,
    RS256,
    VerificationKey,
    load_jwks,
    load_pem_public_key,
)
from availability_service.auth.principal import Principal, Role

DEFAULT_ISSUER = "tradedesk-dev"
DEFAULT_AUDIENCE = "availability-service"
DEV_SECRET_FILENAME = "dev-jwt-secret"

_REQUIRED_CLAIMS = ["exp", "sub", "iss", "aud"]
_ROLE_BY_NAME = {role.value: role for role in Role}


@dataclass(frozen=True)
class AuthConfig:
    """Where tokens come from and which keys may sign them; at least one key is required."""

    issuer: str = DEFAULT_ISSUER
    audience: str = DEFAULT_AUDIENCE
    hs256_secret: bytes | None = None
    public_key_pem: str | None = None
    jwks_path: str | None = None
    leeway_seconds: int = 30

    def __post_init__(self) -> None:
        if self.hs256_secret is not None and len(self.hs256_secret) < MIN_HS256_SECRET_BYTES:
            raise ValueError(f"hs256_secret must be at least {MIN_HS256_SECRET_BYTES} bytes")
        if self.leeway_seconds < 0:
            raise ValueError("leeway_seconds must not be negative")

    @cached_property
    def pem_key(self) -> VerificationKey | None:
        return load_pem_public_key(self.public_key_pem) if self.public_key_pem else None

    @cached_property
    def jwks(self) -> Mapping[str, VerificationKey]:
        return load_jwks(self.jwks_path) if self.jwks_path else {}

    @property
    def allowed_algorithms(self) -> frozenset[str]:
        """Only algorithms for which a key is configured; never "none"."""
        algorithms = {key.algorithm for key in self.jwks.values()}
        if self.pem_key is not None:
            algorithms.add(self.pem_key.algorithm)
        if self.hs256_secret is not None:
            algorithms.add(HS256)
        return frozenset(algorithms)


# Distinct tokens remembered after verification (oldest dropped first).
VERIFIED_CACHE_SIZE = 10_000


class TokenVerifier:
    """Turns a compact JWT into a Principal or raises AuthenticationError with a short reason."""

    def __init__(self, config: AuthConfig) -> None:
        self._config = config
        # Load keys now so a bad PEM or JWKS fails at startup, not on the first request.
        self._allowed = config.allowed_algorithms
        if not self._allowed:
            raise ValueError("no token keys configured: set hs256_secret, public_key_pem or jwks")
        # Engines send the same token on every call: remember what a verified token proved
        # until it expires, instead of checking its signature again each time.
        self._verified: OrderedDict[str, tuple[Principal, float, float]] = OrderedDict()

    @property
    def allowed_algorithms(self) -> frozenset[str]:
        return self._allowed

    def verify(self, token: str) -> Principal:
        cached = self._verified.get(token)
        if cached is not None:
            principal, not_before, expires = cached
            now = time.time()
            leeway = self._config.leeway_seconds
            if not_before - leeway <= now < expires + leeway:
                return principal
            self._verified.pop(token, None)  # expired: the full check gives the reason
        principal = self._verify_signature(token)
        return principal

    def _verify_signature(self, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise AuthenticationError("malformed token") from error
        algorithm = header.get("alg")
        if not isinstance(algorithm, str) or algorithm not in self._allowed:
            raise AuthenticationError(f"algorithm {algorithm!r} not accepted")
        key = self._key_for(algorithm, header.get("kid"))
        try:
            claims = jwt.decode(
                token,
                key,
                # Exactly the one algorithm the chosen key is bound to.
                algorithms=[algorithm],
                audience=self._config.audience,
                issuer=self._config.issuer,
                leeway=self._config.leeway_seconds,
                options={"require": _REQUIRED_CLAIMS},
            )
        except jwt.PyJWTError as error:
            raise AuthenticationError(_reason(error)) from error
        principal = principal_from_claims(claims)
        self._remember(token, principal, claims)
        return principal

    def _remember(self, token: str, principal: Principal, claims: Mapping[str, Any]) -> None:
        try:
            expires = float(claims["exp"])
            not_before = float(claims.get("nbf", 0))
        except (TypeError, ValueError):
            return
        self._verified[token] = (principal, not_before, expires)
        if len(self._verified) > VERIFIED_CACHE_SIZE:
            self._verified.popitem(last=False)

    def _key_for(self, algorithm: str, kid: object) -> Any:
        if algorithm == HS256:
            return self._config.hs256_secret
        jwks = self._config.jwks
        if isinstance(kid, str) and kid in jwks:
            chosen = jwks[kid]
        elif self._config.pem_key is not None and (kid is None or not jwks):
            chosen = self._config.pem_key
        elif kid is None:
            raise AuthenticationError("token has no kid")
        else:
            raise AuthenticationError(f"unknown kid {kid!r}")
        if chosen.algorithm != algorithm:
            raise AuthenticationError(f"algorithm {algorithm} does not match the signing key")
        return chosen.key


def _reason(error: jwt.PyJWTError) -> str:
    """Short, specific and safe to return to the caller (no key material, no claims echoed)."""
    # Order matters: several of these subclass each other (e.g. all are InvalidTokenError).
    if isinstance(error, jwt.ExpiredSignatureError):
        return "token expired"
    if isinstance(error, jwt.ImmatureSignatureError):
        return "token not yet valid"
    if isinstance(error, jwt.InvalidAudienceError):
        return "wrong audience"
    if isinstance(error, jwt.InvalidIssuerError):
        return "wrong issuer"
    if isinstance(error, jwt.MissingRequiredClaimError):
        return f"missing claim {error.claim}"
    if isinstance(error, jwt.InvalidSignatureError):
        return "bad signature"
    if isinstance(error, jwt.InvalidIssuedAtError):
        return "token issued in the future"
    if isinstance(error, jwt.InvalidKeyError):
        return "token key unusable"
    if isinstance(error, jwt.DecodeError):
        return "malformed token"
    return "invalid token"


def principal_from_claims(claims: Mapping[str, Any]) -> Principal:
    """Validate the application claims; unknown role names are rejected, not ignored."""
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise AuthenticationError("missing claim sub")
    raw_roles = claims.get("roles", [])
    if not isinstance(raw_roles, list) or not all(isinstance(r, str) for r in raw_roles):
        raise AuthenticationError("claim roles must be a list of role names")
    unknown = sorted(set(raw_roles) - _ROLE_BY_NAME.keys())
    if unknown:
        raise AuthenticationError(f"unknown role {unknown[0]!r}")
    return Principal(
        subject=subject,
        company_id=_optional_string(claims, "company_id"),
        roles=frozenset(_ROLE_BY_NAME[name] for name in raw_roles),
        region=_optional_string(claims, "region"),
    )


def _optional_string(claims: Mapping[str, Any], name: str) -> str | None:
    value = claims.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise AuthenticationError(f"claim {name} must be a string")
    return value


def mint_token(
    secret: bytes,
    sub: str,
    roles: Iterable[Role | str],
    company_id: str | None = None,
    region: str | None = None,
    ttl_seconds: int = 3600 * 12,
    issuer: str = DEFAULT_ISSUER,
    audience: str = DEFAULT_AUDIENCE,
) -> str:
    """An HS256 token for development and tests; production tokens come from the IdP."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": issuer,
        "aud": audience,
        "sub": sub,
        "iat": now,
        "nbf": now,
        "exp": now + ttl_seconds,
        "roles": [role.value if isinstance(role, Role) else role for role in roles],
    }
    if company_id is not None:
        claims["company_id"] = company_id
    if region is not None:
        claims["region"] = region
    return jwt.encode(claims, secret, algorithm=HS256)


def load_or_create_dev_secret(data_dir: Path) -> bytes:
    """The development HS256 secret in `<data_dir>/dev-jwt-secret`, created once with 0600."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / DEV_SECRET_FILENAME
    if not path.exists():
        # Write a private temp file, then link it into place: link fails if another process
        # won the race, so nobody ever reads a half-written or world-readable secret.
        temp = data_dir / f".{DEV_SECRET_FILENAME}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(secrets.token_bytes(32))
                handle.flush()
                os.fsync(handle.fileno())
            with contextlib.suppress(FileExistsError):  # another process created it first
                os.link(temp, path)
        finally:
            temp.unlink(missing_ok=True)
    secret = path.read_bytes()
    if len(secret) < MIN_HS256_SECRET_BYTES:
        raise ValueError(f"{path} holds {len(secret)} bytes; delete it to regenerate")
    return secret


__all__ = [
    "DEFAULT_AUDIENCE",
    "DEFAULT_ISSUER",
    "ES256",
    "HS256",
    "RS256",
    "AuthConfig",
    "TokenVerifier",
    "load_or_create_dev_secret",
    "mint_token",
    "principal_from_claims",
]

"""Verification keys for bearer tokens, each bound to exactly one algorithm.

Binding a key to its algorithm when it is loaded (not when a token arrives) is what prevents
algorithm confusion: the header's `alg` only selects among keys we already trust for that
algorithm, so an RS256 public key can never be used as an HS256 secret.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

HS256 = "HS256"
RS256 = "RS256"
ES256 = "ES256"

# RFC 7518 §3.2: an HMAC key must be at least as long as the hash output.
MIN_HS256_SECRET_BYTES = 32

PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey


@dataclass(frozen=True, slots=True)
class VerificationKey:
    """A public key and the single asymmetric algorithm it may verify."""

    algorithm: str
    key: PublicKey
    kid: str | None = None


def _algorithm_for(key: object) -> str:
    """RS256 for RSA, ES256 for P-256; anything else is a configuration error."""
    if isinstance(key, rsa.RSAPublicKey):
        return RS256
    if isinstance(key, ec.EllipticCurvePublicKey):
        if not isinstance(key.curve, ec.SECP256R1):
            raise ValueError(f"ES256 needs a P-256 key, got curve {key.curve.name}")
        return ES256
    raise ValueError(f"unsupported public key type {type(key).__name__}; use RSA or EC P-256")


def load_pem_public_key(pem: str) -> VerificationKey:
    """Parse a PEM public key and bind it to RS256 or ES256 by its type."""
    key = serialization.load_pem_public_key(pem.encode("ascii"))
    algorithm = _algorithm_for(key)
    assert isinstance(key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey)  # checked above
    return VerificationKey(algorithm=algorithm, key=key)


def load_jwks(path: str | Path) -> dict[str, VerificationKey]:
    """Read a JWKS file into kid -> key, keeping only signing keys for RS256/ES256.

    Symmetric ("oct") members are dropped on purpose: HS256 is allowed only through the
    explicitly configured secret, never through a file that may be shared with clients.
    """
    document = json.loads(Path(path).read_text(encoding="utf-8"))
    members = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(members, list):
        raise ValueError(f"{path}: not a JWKS document (no 'keys' list)")
    keys: dict[str, VerificationKey] = {}
    for member in members:
        if not isinstance(member, dict) or member.get("use", "sig") != "sig":
            continue
        kid = member.get("kid")
        if not isinstance(kid, str) or not kid:
            raise ValueError(f"{path}: every signing key needs a 'kid' to be selectable")
        if member.get("kty") not in ("RSA", "EC"):
            continue
        try:
            jwk = jwt.PyJWK(member)
        except jwt.PyJWTError as error:
            raise ValueError(f"{path}: key {kid!r} is unusable: {error}") from error
        key = jwk.key
        # A JWK carrying private parameters yields a private key; verify with its public half.
        if isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
            key = key.public_key()
        algorithm = _algorithm_for(key)
        if jwk.algorithm_name != algorithm:
            continue  # e.g. RS512 or PS256: not an algorithm this service accepts
        if kid in keys:
            raise ValueError(f"{path}: duplicate kid {kid!r}")
        keys[kid] = VerificationKey(algorithm=algorithm, key=key, kid=kid)
    if not keys:
        raise ValueError(f"{path}: no usable RS256/ES256 signing keys")
    return keys

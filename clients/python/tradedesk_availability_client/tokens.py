"""Where bearer tokens come from: a fixed string, a file re-read when it changes, a command
run again before its token expires, or any callable. Every call and every watch reconnect
asks the source, so a long-lived client keeps working while short-lived tokens rotate."""

from __future__ import annotations

import base64
import json
import os
import shlex
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol, runtime_checkable


@runtime_checkable
class TokenSource(Protocol):
    """Anything with token() -> the current bearer token (a JWT), or "" for none."""

    def token(self) -> str: ...


def jwt_expiry(token: str) -> float | None:
    """The `exp` claim of a JWT (seconds since the epoch), read without verifying: only to
    know when to fetch a new one. None when the token is not a JWT or has no exp."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except ValueError:
        return None
    exp = payload.get("exp") if isinstance(payload, dict) else None
    return float(exp) if isinstance(exp, int | float) else None


class StaticToken:
    """One token for the client's lifetime (fine for scripts; a watch outliving it fails)."""

    def __init__(self, value: str) -> None:
        self._value = value.strip()

    def token(self) -> str:
        return self._value


class FileToken:
    """The token in a file, re-read whenever the file changes (a sidecar or a Kubernetes
    projected volume rotates it in place)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._value = ""

    def token(self) -> str:
        stat = self.path.stat()
        stamp = (stat.st_mtime_ns, stat.st_size)
        with self._lock:
            if stamp != self._stamp:
                self._value, self._stamp = self.path.read_text().strip(), stamp
            return self._value


class CommandToken:
    """The output of a command (such as `vault read -field=token ...`), run again when the
    token is within `refresh_before` seconds of its JWT expiry, or after `max_age` seconds
    for tokens that are not JWTs."""

    def __init__(
        self,
        command: str | list[str],
        *,
        refresh_before: float = 60.0,
        max_age: float = 300.0,
        timeout: float = 30.0,
    ) -> None:
        self.argv = shlex.split(command) if isinstance(command, str) else list(command)
        self.refresh_before = refresh_before
        self.max_age = max_age
        self.timeout = timeout
        self._lock = threading.Lock()
        self._value = ""
        self._refresh_at = 0.0

    def token(self) -> str:
        with self._lock:
            if not self._value or time.time() >= self._refresh_at:
                self._value = self._run()
                expiry = jwt_expiry(self._value)
                self._refresh_at = (
                    expiry - self.refresh_before
                    if expiry is not None
                    else time.time() + self.max_age
                )
            return self._value

    def _run(self) -> str:
        done = subprocess.run(
            self.argv, capture_output=True, text=True, timeout=self.timeout, check=False
        )
        if done.returncode != 0:
            raise OSError(
                f"token command {self.argv[0]!r} exited {done.returncode}: {done.stderr.strip()}"
            )
        return done.stdout.strip()


class CallableToken:
    """token() calls the function every time: it decides itself when to fetch a new one."""

    def __init__(self, fetch: Callable[[], str]) -> None:
        self._fetch = fetch

    def token(self) -> str:
        return self._fetch().strip()


TokenLike = str | TokenSource | Callable[[], str] | None


def token_source(token: TokenLike) -> TokenSource:
    """A TokenSource for whatever the caller passed as `token=`."""
    if token is None:
        return StaticToken("")
    if isinstance(token, str):
        return StaticToken(token)
    if isinstance(token, TokenSource):
        return token
    return CallableToken(token)

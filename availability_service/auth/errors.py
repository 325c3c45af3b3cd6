"""Errors raised by the identity-and-access building blocks.

They carry no grpc types so the service layer can raise and catch them too; the interceptor
(and the shared error table in grpc_api) maps them to UNAUTHENTICATED and PERMISSION_DENIED.
"""

from __future__ import annotations


class AuthenticationError(Exception):
    """The caller could not be identified: no token, a malformed token, or a bad one."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class PermissionDeniedError(Exception):
    """The caller is identified but its roles do not allow this operation."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

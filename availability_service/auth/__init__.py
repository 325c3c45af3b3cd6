"""Identity and access: tokens, roles, the authorisation table, visibility and limits.

Only `interceptor` imports grpc, so the domain and service layer can use the rest freely.
"""

from availability_service.auth.errors import AuthenticationError, PermissionDeniedError
from availability_service.auth.policy import POLICY, authorize, may_modify_lot, policy_markdown
from availability_service.auth.principal import Principal, Role, current_principal, get_principal
from availability_service.auth.visibility import can_see

__all__ = [
    "POLICY",
    "AuthenticationError",
    "PermissionDeniedError",
    "Principal",
    "Role",
    "authorize",
    "can_see",
    "current_principal",
    "get_principal",
    "may_modify_lot",
    "policy_markdown",
]

"""Who is calling: the verified identity every RPC runs as."""

from __future__ import annotations

import enum
from contextvars import ContextVar
from dataclasses import dataclass, field

from availability_service.auth.errors import AuthenticationError
from availability_service.domain.viewer import Viewer


class Role(enum.Enum):
    """A role carried in the token's `roles` claim; the value is the claim spelling."""

    SELLER = "SELLER"
    TRADER = "TRADER"
    BUYER = "BUYER"
    ADMIN = "ADMIN"
    # Another engine (requirement, matching, negotiation, trade finalisation) acting for itself.
    SERVICE = "SERVICE"


PRIVILEGED_ROLES: frozenset[Role] = frozenset({Role.ADMIN, Role.SERVICE})


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller: partner id, company, roles and trading region."""

    subject: str
    company_id: str | None = None
    roles: frozenset[Role] = field(default_factory=frozenset)
    region: str | None = None

    def has_any(self, *roles: Role) -> bool:
        """True when the principal holds at least one of `roles`."""
        return not self.roles.isdisjoint(roles)

    @property
    def is_privileged(self) -> bool:
        """ADMIN and SERVICE see every lot regardless of its visibility."""
        return self.has_any(*PRIVILEGED_ROLES)

    @property
    def viewer(self) -> Viewer:
        """This caller's view of the market, as reads through the persistence port take it."""
        return Viewer(self.subject, self.company_id, self.region, self.is_privileged)


# Set by the auth interceptor in the task that runs the RPC behaviour, so service code can ask
# "who is calling" without threading the principal through every signature.
current_principal: ContextVar[Principal | None] = ContextVar("current_principal", default=None)


def get_principal() -> Principal:
    """The principal of the RPC running in this context; raises if none was authenticated."""
    principal = current_principal.get()
    if principal is None:
        # Reaching here means a method was left open by mistake; fail closed.
        raise AuthenticationError("no authenticated principal in this context")
    return principal

"""The authenticated caller as services see it: who, which role, which scope.

Built from an access token's claims by the web layer (``backend.web.policy``)
or the console's cookie session, then passed to services as an argument.
No app is needed here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ROLES = ("patron", "librarian", "partner", "finance", "admin")
STAFF_ROLES = ROLES[1:]


@dataclass(frozen=True)
class Principal:
    """The authenticated caller, from the access token's claims."""

    subject: str  # public id of the patron or staff user
    role: str
    network_id: str | None = None  # home network (patron) or scope (finance, admin)
    library_ids: tuple[str, ...] = ()  # librarian scope
    partner_id: str | None = None  # partner venue scope
    session_id: str | None = None
    claims: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def is_patron(self) -> bool:
        return self.role == "patron"

    @classmethod
    def from_claims(cls, claims: dict[str, Any]) -> Principal:
        return cls(
            subject=claims["sub"],
            role=claims.get("role", ""),
            network_id=claims.get("net"),
            library_ids=tuple(claims.get("libs") or ()),
            partner_id=claims.get("partner"),
            session_id=claims.get("sid"),
            claims=claims,
        )

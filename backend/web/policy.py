"""Who may call each endpoint, declared in one visible place: on the view.

Every view carries exactly one of::

    @allow("patron")                 # roles that may call it (JWT required)
    @allow("librarian", "admin")
    @public                          # anyone, no token

The decorator enforces the role and documents auth (bearer scheme, 401/403)
in OpenAPI. Scope (a librarian's libraries, a partner's venue, a network)
and ownership are checked by the services with the ``Principal``; objects of
someone else are reported as 404, never 403. A test walks every route of
the app and fails for a view without a declared policy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from flask import g, request
from sqlalchemy.orm import Session

from backend.accounts.errors import ACCOUNT_GONE
from backend.accounts.models import Patron, StaffUser
from backend.accounts.services import person_of
from backend.auth.principal import ROLES, Principal
from backend.auth.tokens import InvalidToken, decode_access_token
from backend.errors import FORBIDDEN, UNAUTHENTICATED, DomainError, ErrorCode
from backend.finance.audit import bind_staff
from backend.web.api import add_doc, add_error_responses
from backend.web.database import db
from backend.web.settings import current_settings

# Extra checks on a decoded token (e.g. "is its session revoked?"), registered by
# the accounts views: each takes the request's session and the claims, and raises
# InvalidToken to refuse.
token_checks: list[Callable[[Session, dict], None]] = []


def register_token_check(check: Callable[[Session, dict], None]) -> None:
    if check not in token_checks:
        token_checks.append(check)


def current_principal() -> Principal | None:
    """The caller, or None when no valid bearer token was sent."""
    if "_principal" not in g:
        g._principal = _authenticate()
    return g._principal


def _authenticate() -> Principal | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    try:
        claims = decode_access_token(token.strip(), current_settings())
        for check in token_checks:
            check(db.session, claims)
    except InvalidToken:
        return None
    if claims.get("role") not in ROLES:
        return None
    return Principal.from_claims(claims)


def current_person(*, gone: ErrorCode = ACCOUNT_GONE, lock: bool = False) -> Patron | StaffUser:
    """The caller's own patron or staff record (401 without a valid token, or ``gone`` once the account is).

    ``lock``: a patron's row is read ``FOR NO KEY UPDATE`` (``person_of``).
    """
    return person_of(db.session, require_principal(), gone=gone, lock=lock)


def require_principal() -> Principal:
    principal = current_principal()
    if principal is None:
        raise DomainError(UNAUTHENTICATED, headers={"WWW-Authenticate": 'Bearer realm="borsellino"'})
    return principal


@dataclass(frozen=True)
class Policy:
    roles: tuple[str, ...]  # empty: public
    # "bearer": API views (Authorization header); "console": staff console pages
    # (cookie session, see backend.console.access).
    channel: str = "bearer"

    @property
    def is_public(self) -> bool:
        return not self.roles


def allow(*roles: str):
    unknown = set(roles) - set(ROLES)
    if not roles or unknown:
        raise ValueError(f"allow() needs roles among {ROLES}, got {roles}")
    policy = Policy(tuple(roles))

    def decorator(func):
        @wraps(func)
        def wrapper(*args, **kwargs):
            principal = require_principal()
            if principal.role not in policy.roles:
                raise DomainError(FORBIDDEN)
            # What a staff member's request changes is theirs in the audit trail.
            bind_staff(db.session, principal, "api")
            return func(*args, **kwargs)

        wrapper._policy = policy
        add_doc(wrapper, security=[{"bearerAuth": []}])
        add_error_responses(wrapper, 401, 403)
        return wrapper

    return decorator


def public(func):
    func._policy = Policy(())
    add_doc(func, security=[])
    return func


def policy_of(view_func, method: str) -> Policy | None:
    """The declared policy of a routed view (function or MethodView method)."""
    view_class = getattr(view_func, "view_class", None)
    target = getattr(view_class, method.lower(), None) if view_class else view_func
    return getattr(target, "_policy", None)

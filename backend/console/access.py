"""The console's blueprint, its cookie sign-in, CSRF protection and page policy."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from functools import wraps

from flask import Blueprint, g, redirect, render_template, request, session, url_for
from sqlalchemy import select

from backend.accounts.claims import staff_claims
from backend.accounts.models import AuthSession, StaffUser
from backend.accounts.services import person_of
from backend.auth.principal import STAFF_ROLES, Principal
from backend.console.labels import label
from backend.db import utcnow
from backend.finance.audit import bind_staff
from backend.i18n import DEFAULT_LANGUAGE, LANGUAGES, Text, local_time
from backend.web.database import db
from backend.web.policy import Policy

bp = Blueprint("console", __name__, url_prefix="/console", template_folder="templates")


@bp.record_once
def _cookie_settings(state):
    config = state.app.config
    config["SESSION_COOKIE_NAME"] = "borsellino_console"
    config["SESSION_COOKIE_HTTPONLY"] = True
    config["SESSION_COOKIE_SAMESITE"] = "Lax"
    config["SESSION_COOKIE_SECURE"] = config["SETTINGS"].is_production
    state.app.jinja_env.globals["csrf_token"] = csrf_token


# --- dashboard links, per role -----------------------------------------------------


@dataclass(frozen=True)
class Link:
    endpoint: str
    label: Text
    roles: tuple[str, ...]


LINKS: list[Link] = []


def register_link(endpoint: str, label: Text, *roles: str) -> None:
    LINKS.append(Link(endpoint, label, roles or STAFF_ROLES))


# --- who is signed in -----------------------------------------------------------------


def console_principal() -> Principal | None:
    """The staff user of this browser's console session, if it is still valid."""
    if "_principal" in g and g._principal is not None:
        return g._principal
    sid = session.get("sid")
    if not sid:
        return None
    auth_session = db.session.scalar(select(AuthSession).where(AuthSession.public_id == sid))
    user = auth_session.staff_user if auth_session else None
    if (
        auth_session is None
        or auth_session.revoked_at is not None
        or auth_session.expires_at <= utcnow()
        or user is None
        or not user.active
    ):
        session.clear()
        return None
    g._principal = Principal.from_claims(staff_claims(user, sid))
    g.staff_user = user
    return g._principal


def console_person() -> StaffUser:
    """The staff record of this browser's console session (call on ``@staff_page`` pages)."""
    return person_of(db.session, console_principal())


def staff_page(*roles: str):
    """Policy of a console page: signed-in staff with one of ``roles`` (default: any staff)."""
    roles = roles or STAFF_ROLES
    policy = Policy(tuple(roles), channel="console")

    def decorator(func):
        @wraps(func)
        def wrapper(*args, **kwargs):
            principal = console_principal()
            if principal is None:
                return redirect(url_for("console.login", next=request.full_path.rstrip("?")))
            if principal.role not in policy.roles:
                return render("console/message.html", message=FORBIDDEN_TEXT), 403
            bind_staff(db.session, principal, "console")
            return func(*args, **kwargs)

        wrapper._policy = policy
        return wrapper

    return decorator


def console_public(func):
    func._policy = Policy((), channel="console")
    return func


# --- CSRF -------------------------------------------------------------------------------


def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


@bp.before_request
def _check_csrf():
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        sent = request.form.get("csrf_token", "")
        expected = session.get("csrf", "")
        if not expected or not hmac.compare_digest(sent, expected):
            return render("console/message.html", message=CSRF_TEXT), 400


# --- rendering ------------------------------------------------------------------------------


FORBIDDEN_TEXT = Text(it="Non hai il permesso di aprire questa pagina.", en="You are not allowed to open this page.")
CSRF_TEXT = Text(
    it="Modulo scaduto o non valido: ricarica la pagina e riprova.",
    en="The form expired or is not valid: reload the page and try again.",
)


def language() -> str:
    """One language for every console page, the sign-in page included.

    The language chosen with the switch in this browser, else the signed-in
    user's own, else Italian. Not the browser's Accept-Language: that made the
    sign-in page English and the pages after it Italian for the same person.
    """
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    user = g.get("staff_user")
    return user.language if user is not None and user.language in LANGUAGES else DEFAULT_LANGUAGE


def choose_language(lang: str) -> None:
    """The switch: remembered in this browser's cookie (kept across sign-in) and as the user's language."""
    session["lang"] = lang
    if console_principal() is not None:
        g.staff_user.language = lang


def render(template: str, **context):
    lang = language()
    principal = g.get("_principal")
    links = [link for link in LINKS if principal and principal.role in link.roles]
    return render_template(
        template,
        lang=lang,
        principal=principal,
        staff_user=g.get("staff_user"),
        links=links,
        languages=LANGUAGES,
        t=lambda text, **v: text.render(lang, **v),
        label=label,
        when=lambda value: local_time(value, lang) if value else "",
        **context,
    )

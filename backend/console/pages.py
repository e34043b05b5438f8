"""Console pages of accounts: sign-in, sign-out, dashboard, find a patron.

Other domains' page modules are imported at the bottom (one line each).
"""

from __future__ import annotations

from flask import redirect, request, session, url_for

from backend.accounts import patrons, services
from backend.accounts.signin import SignInFailed, remember_failure
from backend.console.access import (
    bp,
    choose_language,
    console_person,
    console_principal,
    console_public,
    language,
    register_link,
    render,
    staff_page,
)
from backend.errors import DomainError
from backend.i18n import LANGUAGES, Text
from backend.web.database import db
from backend.web.rate_limit import limiter
from backend.web.settings import current_settings, user_agent

T = {
    "bad_login": Text(it="Email o password non validi.", en="Invalid email or password."),
    "not_found": Text(it="Nessun utente trovato.", en="No patron found."),
}

register_link("console.find_patron", Text(it="Trova un utente", en="Find a patron"), "librarian", "admin")


def _safe_next(target: str | None) -> str:
    # Only paths inside the console: never an open redirect.
    if target and target.startswith("/console/") and not target.startswith("//"):
        return target
    return url_for("console.dashboard")


@bp.route("/login", methods=["GET", "POST"])
@console_public
@limiter.limit("30/minute", methods=["POST"])
def login():
    if request.method == "GET":
        if console_principal() is not None:
            return redirect(url_for("console.dashboard"))
        return render("console/login.html", next=request.args.get("next", ""))
    email, password = request.form.get("email", ""), request.form.get("password", "")
    try:
        pair = services.staff_sign_in(
            db.session,
            current_settings(),
            email,
            password,
            device_name="console",
            channel="console",
            user_agent=user_agent(),
        )
    except SignInFailed as failed:
        key = failed.key
        db.session.rollback()
        db.run_in_transaction(lambda s: remember_failure(s, key))
        return render(
            "console/login.html",
            error=T["bad_login"].render(language()),
            email=email,
            next=request.form.get("next", ""),
        ), 401
    except DomainError as refused:  # locked out
        return render(
            "console/login.html",
            error=refused.body(language())["error"]["message"],
            email=email,
            next=request.form.get("next", ""),
        ), refused.error.status
    chosen = session.get("lang")
    session.clear()  # a fresh cookie at sign-in (no fixation), keeping the language chosen on this page
    session["sid"] = pair.session.public_id
    if chosen:
        session["lang"] = chosen
        pair.session.staff_user.language = chosen  # chosen on the sign-in page: theirs from now on
    return redirect(_safe_next(request.form.get("next")))


@bp.route("/logout", methods=["POST"])
@staff_page()
def logout():
    person = console_person()
    from backend.accounts import sessions

    sessions.revoke_own_session(db.session, person, session["sid"], "logout")
    chosen = session.get("lang")
    session.clear()
    if chosen:
        session["lang"] = chosen
    return redirect(url_for("console.login"))


@bp.route("/language", methods=["POST"])
@console_public
def switch_language():
    """The language switch in every page's header; back to the page it was pressed on."""
    lang = request.form.get("lang", "")
    if lang in LANGUAGES:
        choose_language(lang)
    return redirect(_safe_next(request.form.get("next")))


@bp.route("/")
@staff_page()
def dashboard():
    return render("console/dashboard.html")


@bp.route("/patrons/find", methods=["GET", "POST"])
@staff_page("librarian", "admin")
def find_patron():
    patron, error = None, None
    if request.method == "POST":
        card, code = request.form.get("card_number", "").strip(), request.form.get("membership_code", "").strip()
        try:
            if code:
                patron = patrons.identify_by_membership_code(db.session, current_settings(), code)
            elif card:
                patron = patrons.find_by_card(db.session, card)
        except DomainError as refused:
            error = refused.body(language())["error"]["message"] if code else T["not_found"].render(language())
    return render("console/find_patron.html", patron=patron, error=error)


# Other domains' console pages: one import line each.
from backend.campaigns import console as _campaigns_console  # noqa: E402,F401
from backend.desk import console as _desk_console  # noqa: E402,F401
from backend.finance import console as _finance_console  # noqa: E402,F401
from backend.finance.reconciliation import console as _reconciliation_console  # noqa: E402,F401
from backend.guides import console as _guides_console  # noqa: E402,F401
from backend.partners import console as _partners_console  # noqa: E402,F401
from backend.shop import console as _shop_console  # noqa: E402,F401

"""HTTP layer of accounts: sign-in (``/v1/auth``), the patron's own account
(``/v1/me``), patron records for staff (``/v1/patrons``) and network admin
(``/v1/admin``). Thin: parse, authorize, call one service, serialize."""

from __future__ import annotations

import hashlib

from flask import request
from flask.views import MethodView

from backend.accounts import membership, patrons, privacy, services, sessions, staffing
from backend.accounts import schemas as s
from backend.accounts.errors import INVALID_REFRESH_TOKEN
from backend.accounts.signin import SignInFailed, invalid_credentials, remember_failure
from backend.auth.principal import ROLES, STAFF_ROLES
from backend.errors import DomainError
from backend.web.api import Blueprint, add_error_responses
from backend.web.database import db
from backend.web.policy import allow, current_person, public, register_token_check, require_principal
from backend.web.rate_limit import limiter
from backend.web.settings import current_settings, user_agent

auth_blp = Blueprint(
    "auth",
    __name__,
    url_prefix="/v1/auth",
    description="Sign-in, tokens, sessions, email verification, PIN/password reset",
)
me_blp = Blueprint("me", __name__, url_prefix="/v1/me", description="The signed-in patron's own account")
patrons_blp = Blueprint(
    "patrons", __name__, url_prefix="/v1/patrons", description="Patron records, for librarians and network admins"
)
admin_blp = Blueprint(
    "admin", __name__, url_prefix="/v1/admin", description="Libraries and staff of the admin's network"
)

blueprints = (auth_blp, me_blp, patrons_blp, admin_blp)

register_token_check(sessions.check_session_alive)

# Brute force: per client address, and per identifier typed (card or email),
# in front of the lockout kept in the database (backend.accounts.signin).
PER_IP = "30/minute"
PER_ACCOUNT = "10/minute"
RESET_PER_ACCOUNT = "5/hour"


def _typed_identifier() -> str:
    body = request.get_json(silent=True) or {}
    value = body.get("card_number") or body.get("email") or ""
    # A digest, never the card number or email itself: flask-limiter logs its keys
    # ("ratelimit … exceeded") and Redis stores them.
    return "id:" + hashlib.sha256(str(value).strip().lower()[:254].encode()).hexdigest()[:32]


def _signing_in(check):
    """Run a credential check; a failure is counted in its own transaction, then 401."""
    try:
        return check()
    except SignInFailed as failed:
        key = failed.key
        db.session.rollback()
        db.run_in_transaction(lambda session: remember_failure(session, key))
        raise invalid_credentials() from None


# --- /v1/auth -----------------------------------------------------------------------


@auth_blp.route("/patron/card")
class CardSignIn(MethodView):
    @public
    @limiter.limit(PER_IP)
    @limiter.limit(PER_ACCOUNT, key_func=_typed_identifier)
    @auth_blp.arguments(s.CardSignInSchema)
    @auth_blp.response(201, s.TokenPairSchema)
    @auth_blp.doc(summary="Sign in with library card + PIN (the first time, this activates the app)")
    def post(self, data):
        return _signing_in(
            lambda: services.activate_with_card(
                db.session,
                current_settings(),
                data["card_number"],
                data["pin"],
                data["device_name"],
                user_agent=user_agent(),
            )
        )


@auth_blp.route("/patron/password")
class PatronPasswordSignIn(MethodView):
    @public
    @limiter.limit(PER_IP)
    @limiter.limit(PER_ACCOUNT, key_func=_typed_identifier)
    @auth_blp.arguments(s.PasswordSignInSchema)
    @auth_blp.response(201, s.TokenPairSchema)
    @auth_blp.doc(summary="Sign in with verified email + password")
    def post(self, data):
        return _signing_in(
            lambda: services.patron_password_sign_in(
                db.session,
                current_settings(),
                data["email"],
                data["password"],
                data["device_name"],
                user_agent=user_agent(),
            )
        )


@auth_blp.route("/staff/password")
class StaffSignIn(MethodView):
    @public
    @limiter.limit(PER_IP)
    @limiter.limit(PER_ACCOUNT, key_func=_typed_identifier)
    @auth_blp.arguments(s.PasswordSignInSchema)
    @auth_blp.response(201, s.TokenPairSchema)
    @auth_blp.doc(summary="Staff sign-in with email + password")
    def post(self, data):
        return _signing_in(
            lambda: services.staff_sign_in(
                db.session,
                current_settings(),
                data["email"],
                data["password"],
                data["device_name"],
                user_agent=user_agent(),
            )
        )


@auth_blp.route("/refresh")
class Refresh(MethodView):
    @public
    @limiter.limit(PER_IP)
    @auth_blp.arguments(s.RefreshSchema)
    @auth_blp.response(200, s.TokenPairSchema)
    @auth_blp.doc(summary="Trade a refresh token for a new pair (the old one stops working)")
    def post(self, data):
        try:
            return sessions.rotate(db.session, current_settings(), data["refresh_token"])
        except sessions.RefreshReuse as reuse:
            # Keep the revocation although this request fails.
            session_id = reuse.session_id
            db.session.rollback()
            db.run_in_transaction(lambda session: sessions.revoke_session_by_id(session, session_id, "refresh_reuse"))
            raise DomainError(INVALID_REFRESH_TOKEN) from None


@auth_blp.route("/logout")
class Logout(MethodView):
    @allow(*ROLES)
    @auth_blp.response(204)
    @auth_blp.doc(summary="Sign this device out")
    def post(self):
        principal = require_principal()
        person = services.person_of(db.session, principal)
        if principal.session_id:
            sessions.revoke_own_session(db.session, person, principal.session_id, "logout")


@auth_blp.route("/logout-all")
class LogoutEverywhere(MethodView):
    @allow(*ROLES)
    @auth_blp.response(204)
    @auth_blp.doc(summary="Sign every device out, this one included")
    def post(self):
        person = services.person_of(db.session, require_principal())
        sessions.revoke_all(db.session, person, "logout_all")


@auth_blp.route("/sessions")
class Sessions(MethodView):
    @allow(*ROLES)
    @auth_blp.response(200, s.SessionListSchema)
    @auth_blp.doc(summary="My signed-in devices")
    def get(self):
        principal = require_principal()
        rows = sessions.list_sessions(db.session, services.person_of(db.session, principal))
        for row in rows:
            row.current = row.public_id == principal.session_id
        return {"data": rows}


@auth_blp.route("/sessions/<session_id>")
class OneSession(MethodView):
    @allow(*ROLES)
    @auth_blp.response(204)
    @auth_blp.doc(summary="Sign one of my devices out")
    def delete(self, session_id):
        person = services.person_of(db.session, require_principal())
        sessions.revoke_own_session(db.session, person, session_id, "logout")

    add_error_responses(delete, 404)


@auth_blp.route("/staff/me")
class StaffMe(MethodView):
    @allow(*STAFF_ROLES)
    @auth_blp.response(200, s.StaffMeSchema)
    @auth_blp.doc(summary="The signed-in staff user, role and scope")
    def get(self):
        return services.person_of(db.session, require_principal())


@auth_blp.route("/email/verify")
class VerifyEmail(MethodView):
    @public
    @limiter.limit(PER_IP)
    @auth_blp.arguments(s.VerifyEmailSchema)
    @auth_blp.response(200, s.MeSchema)
    @auth_blp.doc(summary="Confirm an email address with the emailed code")
    def post(self, data):
        return services.verify_email(db.session, data["token"])

    add_error_responses(post, 409, 422)


@auth_blp.route("/reset")
class PatronReset(MethodView):
    @public
    @limiter.limit(PER_IP)
    @limiter.limit(RESET_PER_ACCOUNT, key_func=_typed_identifier)
    @auth_blp.arguments(s.ResetRequestSchema)
    @auth_blp.response(202, s.AcceptedSchema)
    @auth_blp.doc(summary="Email a code to reset the PIN or password (same answer whether the account exists)")
    def post(self, data):
        services.request_patron_reset(
            db.session,
            current_settings(),
            what=data["what"],
            card_number=data.get("card_number"),
            email=data.get("email"),
        )
        return {"status": "accepted"}


@auth_blp.route("/staff/reset")
class StaffReset(MethodView):
    @public
    @limiter.limit(PER_IP)
    @limiter.limit(RESET_PER_ACCOUNT, key_func=_typed_identifier)
    @auth_blp.arguments(s.StaffResetRequestSchema)
    @auth_blp.response(202, s.AcceptedSchema)
    @auth_blp.doc(summary="Email a staff user a code to reset the password")
    def post(self, data):
        services.request_staff_reset(db.session, current_settings(), data["email"])
        return {"status": "accepted"}


@auth_blp.route("/reset/confirm")
class ResetConfirm(MethodView):
    @public
    @limiter.limit(PER_IP)
    @auth_blp.arguments(s.ResetConfirmSchema)
    @auth_blp.response(200, s.AcceptedSchema)
    @auth_blp.doc(summary="Set a new PIN or password with the emailed code; signs out every device")
    def post(self, data):
        services.confirm_reset(db.session, data["token"], data["new_secret"])
        return {"status": "done"}

    add_error_responses(post, 422)


# --- /v1/me ---------------------------------------------------------------------------


@me_blp.route("")
class Me(MethodView):
    @allow("patron")
    @me_blp.response(200, s.MeSchema)
    @me_blp.doc(summary="My profile, home library and language")
    def get(self):
        return current_person()

    @allow("patron")
    @me_blp.arguments(s.MeUpdateSchema)
    @me_blp.response(200, s.MeSchema)
    @me_blp.doc(summary="Change my language or contact data")
    def patch(self, data):
        return services.update_profile(db.session, current_person(), data)

    @allow("patron")
    @me_blp.response(204)
    @me_blp.doc(
        summary="Delete my account: personal data is pseudonymised, financial records are "
        "kept as the law requires, every device is signed out, recurring donations stop. "
        "Refused (422 wallet_not_empty) while the wallet holds money"
    )
    def delete(self):
        privacy.pseudonymise(db.session, current_person())

    add_error_responses(delete, 422)


@me_blp.route("/credentials")
class Credentials(MethodView):
    @allow("patron")
    @limiter.limit(PER_ACCOUNT, key_func=lambda: "me:" + require_principal().subject)
    @me_blp.arguments(s.CredentialsSchema)
    @me_blp.response(202, s.CredentialsResultSchema)
    @me_blp.doc(summary="Set email + password (confirmed with the PIN); the email is verified by a code")
    def post(self, data):
        email = services.set_email_and_password(
            db.session,
            current_settings(),
            current_person(),
            pin=data["pin"],
            email=data["email"],
            password=data["password"],
        )
        return {"pending_email": email}

    add_error_responses(post, 409, 422)


@me_blp.route("/membership")
class Membership(MethodView):
    @allow("patron")
    @me_blp.response(200, s.MembershipSchema)
    @me_blp.doc(summary="My membership code for the desk (rotates every minute, valid a few minutes)")
    def get(self):
        token, expires_at = membership.issue(current_person(), current_settings())
        return {"token": token, "expires_at": expires_at, "qr_svg": membership.qr_svg_data_uri(token)}


@me_blp.route("/export")
class Export(MethodView):
    @allow("patron")
    @me_blp.doc(
        summary="A copy of my personal data (JSON)",
        responses={
            "200": {
                "description": "Everything we hold about me, by domain",
                "content": {"application/json": {"schema": {"type": "object"}}},
            }
        },
    )
    def get(self):
        return privacy.export(db.session, current_person())


# --- /v1/patrons (staff) ---------------------------------------------------------------------


@patrons_blp.route("")
class PatronRecords(MethodView):
    @allow("librarian", "admin")
    @patrons_blp.arguments(s.PatronCreateSchema)
    @patrons_blp.response(201, s.PatronStaffSchema)
    @patrons_blp.doc(summary="Register a patron at the desk (home library within my scope)")
    def post(self, data):
        principal = require_principal()
        return patrons.as_seen_by(principal, patrons.create_patron(db.session, principal, data))

    add_error_responses(post, 404, 409)


@patrons_blp.route("/lookup")
class PatronLookup(MethodView):
    @allow("librarian", "admin")
    @patrons_blp.arguments(s.CardLookupSchema, location="query")
    @patrons_blp.response(200, s.PatronStaffSchema)
    @patrons_blp.doc(summary="Find a patron of any network by card number")
    def get(self, args):
        return patrons.as_seen_by(require_principal(), patrons.find_by_card(db.session, args["card_number"]))

    add_error_responses(get, 404)


@patrons_blp.route("/identify")
class PatronIdentify(MethodView):
    @allow("librarian", "admin")
    @patrons_blp.arguments(s.IdentifySchema)
    @patrons_blp.response(200, s.PatronStaffSchema)
    @patrons_blp.doc(summary="Find a patron by the membership code shown in the app")
    def post(self, data):
        return patrons.as_seen_by(
            require_principal(), patrons.identify_by_membership_code(db.session, current_settings(), data["token"])
        )

    add_error_responses(post, 422)


@patrons_blp.route("/batch")
class PatronBatch(MethodView):
    @allow("admin")
    @patrons_blp.arguments(s.BatchSchema)
    @patrons_blp.response(200, s.BatchResultSchema)
    @patrons_blp.doc(summary="Create or update patrons of my network by card number (idempotent)")
    def post(self, data):
        network = staffing.network_by_public_id(db.session, require_principal().network_id)
        return {"data": patrons.upsert_patrons(db.session, network, data["patrons"])}


@patrons_blp.route("/<patron_id>")
class PatronRecord(MethodView):
    @allow("librarian", "admin")
    @patrons_blp.response(200, s.PatronStaffSchema)
    @patrons_blp.doc(summary="A patron record")
    def get(self, patron_id):
        return patrons.as_seen_by(require_principal(), patrons.get_patron(db.session, patron_id))

    add_error_responses(get, 404)


# --- /v1/admin ------------------------------------------------------------------------------


def _my_network():
    return staffing.network_by_public_id(db.session, require_principal().network_id)


@admin_blp.route("/libraries")
class Libraries(MethodView):
    @allow("admin")
    @admin_blp.response(200, s.LibraryListSchema)
    @admin_blp.doc(summary="Libraries of my network")
    def get(self):
        return {"data": staffing.list_libraries(db.session, _my_network())}

    @allow("admin")
    @admin_blp.arguments(s.LibraryCreateSchema)
    @admin_blp.response(201, s.LibrarySchema)
    @admin_blp.doc(summary="Add a library to my network")
    def post(self, data):
        return staffing.create_library(db.session, _my_network(), **data)

    add_error_responses(post, 409)


@admin_blp.route("/staff")
class Staff(MethodView):
    @allow("admin")
    @admin_blp.response(200, s.StaffListSchema)
    @admin_blp.doc(summary="Staff users of my network")
    def get(self):
        return {"data": staffing.list_staff(db.session, _my_network())}

    @allow("admin")
    @admin_blp.arguments(s.StaffCreateSchema)
    @admin_blp.response(201, s.StaffSchema)
    @admin_blp.doc(summary="Create a staff user in my network")
    def post(self, data):
        return staffing.create_staff(
            db.session,
            _my_network(),
            email=data["email"],
            name=data["name"],
            role=data["role"],
            password=data["password"],
            library_ids=data["library_ids"],
            venue_id=data["partner_venue_id"],
            language=data["language"],
        )

    add_error_responses(post, 409, 422)


@admin_blp.route("/staff/<user_id>/deactivate")
class StaffDeactivate(MethodView):
    @allow("admin")
    @admin_blp.response(200, s.StaffSchema)
    @admin_blp.doc(summary="Deactivate a staff user and sign them out everywhere")
    def post(self, user_id):
        return staffing.deactivate_staff(db.session, _my_network(), user_id)

    add_error_responses(post, 404)

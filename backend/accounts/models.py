"""Tenancy and people.

A network (rete) groups libraries (biblioteche). A patron has a home network
and library but uses any library of the cooperation. Staff users have one
role and a scope: librarians their libraries, partner users their venue,
finance and admin their network.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Column, Float, ForeignKey, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.db import Base, BigId, PublicIdMixin, TimestampMixin, utcnow


class Network(PublicIdMixin, TimestampMixin, Base):
    __tablename__ = "networks"
    PUBLIC_ID_PREFIX = "net"

    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))

    libraries: Mapped[list[Library]] = relationship(back_populates="network", order_by="Library.id")


class Library(PublicIdMixin, TimestampMixin, Base):
    __tablename__ = "libraries"
    PUBLIC_ID_PREFIX = "lib"

    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(120), default="")
    address: Mapped[str] = mapped_column(String(300), default="")

    network: Mapped[Network] = relationship(back_populates="libraries")

    __table_args__ = (UniqueConstraint("network_id", "code"),)


class Partner(PublicIdMixin, TimestampMixin, Base):
    """An organisation (cinema company, theatre, museum) that signs agreements with networks.

    Lives here, beside networks and venues, because staff scope names it; the
    partners domain (``backend.partners``) owns its rules. ``network_id`` is the
    network whose admins registered and manage it; agreements may open it to others.
    """

    __tablename__ = "partners"
    PUBLIC_ID_PREFIX = "ptn"

    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    # Partita IVA (11 digits) or codice fiscale, validated with python-stdnum.
    tax_code: Mapped[str] = mapped_column(String(16))
    iban: Mapped[str] = mapped_column(String(34))
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    contact_phone: Mapped[str] = mapped_column(String(32), default="")
    # Paying at the till with the wallet is off unless the network turns it on.
    wallet_payments: Mapped[bool] = mapped_column(default=False)

    network: Mapped[Network] = relationship()
    venues: Mapped[list[PartnerVenue]] = relationship(back_populates="partner", order_by="PartnerVenue.id")


class PartnerVenue(PublicIdMixin, TimestampMixin, Base):
    """A cinema, theatre or museum that honours discount passes."""

    __tablename__ = "partner_venues"
    PUBLIC_ID_PREFIX = "ven"

    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id"), index=True)
    # Venues made before partners existed (``borsellino admin create-venue``) have none
    # and take part in no agreement until attached.
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(120), default="")
    # cinema | theatre | museum | bookshop | other
    kind: Mapped[str] = mapped_column(String(16), default="other")
    address: Mapped[str] = mapped_column(String(300), default="")
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    # {"mon": [["15:00", "23:00"]], ...} in Europe/Rome time; shown to patrons as given.
    opening_hours: Mapped[dict] = mapped_column(JSON, default=dict)

    network: Mapped[Network] = relationship()
    partner: Mapped[Partner | None] = relationship(back_populates="venues")


class Patron(PublicIdMixin, TimestampMixin, Base):
    __tablename__ = "patrons"
    PUBLIC_ID_PREFIX = "pat"

    card_number: Mapped[str] = mapped_column(String(32), unique=True)
    home_network_id: Mapped[int] = mapped_column(ForeignKey("networks.id"), index=True)
    home_library_id: Mapped[int | None] = mapped_column(ForeignKey("libraries.id"))
    first_name: Mapped[str] = mapped_column(String(120))
    last_name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(2), default="it")
    # Only the age band derived from it leaves the server (partner passes, offers by age).
    birth_date: Mapped[date | None]
    # Hash of the PIN the desk handed out (argon2); None once pseudonymised.
    pin_hash: Mapped[str | None] = mapped_column(String(200))
    # pending (created by the library) → active (app activated) → deleted (pseudonymised)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    deleted_at: Mapped[datetime | None]
    # Optional second way in, set by the patron: a verified email plus a password.
    # ``login_email`` is set only once the address is verified, and is unique.
    password_hash: Mapped[str | None] = mapped_column(String(200))
    login_email: Mapped[str | None] = mapped_column(String(254), unique=True)
    pending_email: Mapped[str | None] = mapped_column(String(254))
    email_verified_at: Mapped[datetime | None]

    home_network: Mapped[Network] = relationship()
    home_library: Mapped[Library | None] = relationship()

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


staff_libraries = Table(
    "staff_libraries",
    Base.metadata,
    Column("staff_user_id", BigId, ForeignKey("staff_users.id", ondelete="CASCADE"), primary_key=True),
    Column("library_id", BigId, ForeignKey("libraries.id", ondelete="CASCADE"), primary_key=True),
)


class StaffUser(PublicIdMixin, TimestampMixin, Base):
    __tablename__ = "staff_users"
    PUBLIC_ID_PREFIX = "usr"

    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    # librarian | partner | finance | admin
    role: Mapped[str] = mapped_column(String(16))
    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id"), index=True)
    partner_venue_id: Mapped[int | None] = mapped_column(ForeignKey("partner_venues.id"))
    # Partner staff: their organisation, and optionally one of its venues (above).
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id"))
    language: Mapped[str] = mapped_column(String(2), default="it")
    active: Mapped[bool] = mapped_column(default=True)

    network: Mapped[Network] = relationship()
    partner_venue: Mapped[PartnerVenue | None] = relationship()
    partner: Mapped[Partner | None] = relationship()
    libraries: Mapped[list[Library]] = relationship(secondary=staff_libraries, order_by=Library.id)


# --- sign-in state ---------------------------------------------------------


class AuthSession(PublicIdMixin, TimestampMixin, Base):
    """One signed-in device: the family of its rotating refresh tokens.

    Access tokens carry the session's public id (``sid``); revoking the session
    stops its access tokens at the next request and its refresh tokens at once.
    Exactly one of ``patron_id`` / ``staff_user_id`` is set.
    """

    __tablename__ = "auth_sessions"
    PUBLIC_ID_PREFIX = "ses"

    patron_id: Mapped[int | None] = mapped_column(ForeignKey("patrons.id"), index=True)
    staff_user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), index=True)
    # app | console
    channel: Mapped[str] = mapped_column(String(16), default="app")
    device_name: Mapped[str] = mapped_column(String(120), default="")
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    last_used_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    # logout | logout_all | refresh_reuse | password_reset | account_deleted | deactivated
    revoked_reason: Mapped[str | None] = mapped_column(String(32))

    patron: Mapped[Patron | None] = relationship()
    staff_user: Mapped[StaffUser | None] = relationship()


class RefreshToken(Base):
    """An opaque refresh token, stored as its SHA-256; each is usable once."""

    __tablename__ = "refresh_tokens"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("auth_sessions.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    # Set when rotated: presenting it again is reuse and revokes the session.
    used_at: Mapped[datetime | None]

    session: Mapped[AuthSession] = relationship()


class SignInThrottle(Base):
    """Consecutive failed sign-ins for one identifier (card number or email).

    Keyed by what the caller typed, not by account, so an unknown card locks
    out exactly like a known one and the lockout reveals nothing.
    """

    __tablename__ = "sign_in_throttles"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)
    failures: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class OneTimeToken(Base):
    """Email verification and PIN/password reset links: stored hashed, used once."""

    __tablename__ = "one_time_tokens"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # verify_email | reset_pin | reset_password
    purpose: Mapped[str] = mapped_column(String(32))
    patron_id: Mapped[int | None] = mapped_column(ForeignKey("patrons.id", ondelete="CASCADE"), index=True)
    staff_user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), index=True)
    email: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class OutgoingMessage(PublicIdMixin, TimestampMixin, Base):
    """An email waiting for the notifications outbox (see ``accounts.messages``)."""

    __tablename__ = "outgoing_messages"
    PUBLIC_ID_PREFIX = "msg"

    patron_id: Mapped[int | None] = mapped_column(ForeignKey("patrons.id", ondelete="CASCADE"), index=True)
    staff_user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), index=True)
    to_email: Mapped[str] = mapped_column(String(254))
    purpose: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)

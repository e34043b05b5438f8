"""Tenancy and people.

A network (rete) groups libraries (biblioteche). A patron has a home network
and library but uses any library of the cooperation. Staff users have one
role and a scope: librarians their libraries, partner users their venue,
finance and admin their network.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.db import Base, BigId, PublicIdMixin, TimestampMixin


class Network(PublicIdMixin, TimestampMixin, Base):
    __tablename__ = "networks"
    PUBLIC_ID_PREFIX = "net"

    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))

    libraries: Mapped[list["Library"]] = relationship(back_populates="network", order_by="Library.id")


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


class PartnerVenue(PublicIdMixin, TimestampMixin, Base):
    """A cinema, theatre or museum that honours discount passes."""

    __tablename__ = "partner_venues"
    PUBLIC_ID_PREFIX = "ven"

    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(120), default="")

    network: Mapped[Network] = relationship()


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
    # Hash of the PIN the desk handed out (argon2); None once pseudonymised.
    pin_hash: Mapped[str | None] = mapped_column(String(200))
    # pending (created by the library) → active (app activated) → deleted (pseudonymised)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    deleted_at: Mapped[datetime | None]

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
    language: Mapped[str] = mapped_column(String(2), default="it")
    active: Mapped[bool] = mapped_column(default=True)

    network: Mapped[Network] = relationship()
    partner_venue: Mapped[PartnerVenue | None] = relationship()
    libraries: Mapped[list[Library]] = relationship(secondary=staff_libraries, order_by=Library.id)

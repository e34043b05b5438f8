"""Catalogue records: ISBNs normalised to ISBN-13, one record per book, OPAC links.

An ISBN is validated and converted by python-stdnum (check digit, ISBN-10 →
ISBN-13, hyphens and spaces dropped), so "88-04-47328-2" and "978 88 04
47328 2" are the same record. Records without an ISBN (a game, an old
edition) are created per item and never merged.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.orm import Session
from stdnum import isbn as stdnum_isbn
from stdnum.exceptions import ValidationError

from backend.accounts.models import Network
from backend.db import dialect_insert, new_public_id, utcnow
from backend.errors import DomainError
from backend.guides.errors import BAD_OPAC_TEMPLATE, INVALID_ISBN, TITLE_REQUIRED
from backend.guides.models import CatalogRecord, MediaType, OpacTemplate

PLACEHOLDER = "{isbn}"


def normalize_isbn(raw: str, *, param: str = "isbn") -> str:
    """The ISBN-13 of ``raw`` (10 or 13 digits, any hyphens/spaces), digits only; 422 if invalid."""
    try:
        value = stdnum_isbn.validate(raw or "", convert=True)
    except ValidationError:
        raise DomainError(INVALID_ISBN, param=param, isbn=(raw or "")[:40]) from None
    # validate() keeps an ISBN-13 as given; convert=True only upgrades ISBN-10. Either way: 13 digits.
    return stdnum_isbn.to_isbn13(value).replace("-", "")


def format_isbn(isbn13: str | None) -> str | None:
    """``9788804473282`` → ``978-88-04-47328-2`` (for people)."""
    return stdnum_isbn.format(isbn13) if isbn13 else None


def record_for(
    session: Session,
    network: Network,
    *,
    isbn: str | None,
    title: str | None = None,
    authors: str = "",
    year: int | None = None,
    media_type: str = MediaType.BOOK,
    cover_url: str | None = None,
) -> CatalogRecord:
    """The shared record of this ISBN (created, owned by ``network``, if new); without ISBN a new record.

    Details given for a known ISBN fill only what the record lacks: a record
    shared by other guides is never rewritten by one curator's import.
    """
    if isbn:
        found = session.scalar(select(CatalogRecord).where(CatalogRecord.isbn == isbn))
        if found is None:
            # Unknown title (a CSV of ISBNs, "add by ISBN"): the record shows its ISBN until a
            # curator of the owning network completes it; the OPAC link has the details meanwhile.
            # Two curators adding the same new book at once: insert-or-ignore on the ISBN.
            insert = dialect_insert(session)
            session.execute(
                insert(CatalogRecord)
                .values(
                    public_id=new_public_id(CatalogRecord.PUBLIC_ID_PREFIX),
                    created_at=utcnow(),
                    network_id=network.id,
                    isbn=isbn,
                    title=title or "",
                    authors=authors or "",
                    year=year,
                    media_type=media_type,
                    cover_url=cover_url,
                )
                .on_conflict_do_nothing(index_elements=["isbn"])
            )
            found = session.scalar(select(CatalogRecord).where(CatalogRecord.isbn == isbn))
            return found
        if not found.title and title:
            found.title = title
        if not found.authors and authors:
            found.authors = authors
        if found.year is None and year:
            found.year = year
        if not found.cover_url and cover_url:
            found.cover_url = cover_url
        return found
    if not title:
        raise DomainError(TITLE_REQUIRED, param="title")
    record = CatalogRecord(
        network_id=network.id,
        isbn=None,
        title=title,
        authors=authors or "",
        year=year,
        media_type=media_type,
        cover_url=cover_url,
    )
    session.add(record)
    session.flush()
    return record


# --- OPAC links -------------------------------------------------------------------


def set_opac_template(session: Session, network: Network, url_template: str) -> OpacTemplate:
    template = url_template.strip()
    if not template.startswith(("https://", "http://")) or PLACEHOLDER not in template:
        raise DomainError(BAD_OPAC_TEMPLATE, param="url_template", placeholder=PLACEHOLDER)
    row = session.get(OpacTemplate, network.id)
    now: datetime = utcnow()
    if row is None:
        row = OpacTemplate(network_id=network.id, url_template=template, updated_at=now)
        session.add(row)
    else:
        row.url_template, row.updated_at = template, now
    session.flush()
    return row


def opac_templates(session: Session, network_ids: set[int]) -> dict[int, str]:
    if not network_ids:
        return {}
    return {
        row.network_id: row.url_template
        for row in session.scalars(select(OpacTemplate).where(OpacTemplate.network_id.in_(network_ids)))
    }


def opac_url(templates: dict[int, str], record: CatalogRecord) -> str | None:
    """Link to the record in its owning network's OPAC (None without ISBN or template)."""
    template = templates.get(record.network_id)
    if template is None or not record.isbn:
        return None
    return template.replace(PLACEHOLDER, quote(record.isbn))


RECORD_FIELDS = ("title", "authors", "year", "media_type", "cover_url")


def update_record(session: Session, record: CatalogRecord, changes: dict) -> CatalogRecord:
    for name in RECORD_FIELDS:
        if name in changes:
            setattr(record, name, changes[name])
    session.flush()
    return record

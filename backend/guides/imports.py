"""Import a guide's titles from the lists librarians keep: CSV, MARC (ISO 2709 or MARCXML), Dublin Core.

Each row (CSV line, MARC record, Dublin Core record) is added on its own:
good rows are kept, bad rows are reported with their number and the reason
(``invalid_isbn``, ``title_required``, ``already_in_guide``, ``unreadable``),
and the report says which is which. MARC is read by pymarc (MARC 21 and
UNIMARC, as Italian catalogues export both); XML is parsed with defusedxml
(no entity expansion, no external entities).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from xml.sax.handler import feature_namespaces

import defusedxml.ElementTree as SafeET
import defusedxml.sax
import pymarc
from defusedxml import DefusedXmlException
from sqlalchemy.orm import Session

from backend.errors import DomainError
from backend.guides.catalog import append_record, tell_followers_of
from backend.guides.errors import UNSUPPORTED_IMPORT
from backend.guides.models import Guide, GuideItem
from backend.guides.records import normalize_isbn, record_for

FORMATS = ("csv", "marc", "marcxml", "dc")
MAX_ROWS = 2000
DC = "http://purl.org/dc/elements/1.1/"
_YEAR = re.compile(r"(1[5-9]\d\d|20\d\d)")
_ISBN_IN_TEXT = re.compile(r"(?:urn:isbn:|isbn[:\s]*)?([0-9Xx][0-9Xx \-]{8,20}[0-9Xx])", re.IGNORECASE)


@dataclass
class Row:
    """One title read from the file, before it is checked."""

    number: int
    isbn: str | None
    title: str | None = None
    authors: str = ""
    year: int | None = None
    note: str = ""
    unreadable: str | None = None


@dataclass
class RowResult:
    row: int
    isbn: str | None
    result: str  # added | rejected
    item: GuideItem | None = None
    error: str | None = None
    message: str | None = None


@dataclass
class ImportReport:
    format: str
    rows: list[RowResult] = field(default_factory=list)

    @property
    def added(self) -> int:
        return sum(1 for r in self.rows if r.result == "added")

    @property
    def rejected(self) -> int:
        return sum(1 for r in self.rows if r.result == "rejected")


def import_items(session: Session, guide: Guide, data: bytes, fmt: str, *, language: str = "it") -> ImportReport:
    rows = list(read_rows(data, fmt))
    if len(rows) > MAX_ROWS:
        raise DomainError(UNSUPPORTED_IMPORT, param="file", reason=f"more than {MAX_ROWS} rows")
    report = ImportReport(fmt)
    for row in rows:
        report.rows.append(_add(session, guide, row, language))
    if report.added:
        tell_followers_of(session, guide, "guide_items_added", count=report.added)
    return report


def _add(session: Session, guide: Guide, row: Row, language: str) -> RowResult:
    if row.unreadable:
        return RowResult(row.number, row.isbn, "rejected", error="unreadable", message=row.unreadable)
    try:
        # A savepoint per row: a refused row leaves nothing behind, the others stay.
        with session.begin_nested():
            isbn = normalize_isbn(row.isbn) if row.isbn else None
            record = record_for(session, guide.network, isbn=isbn, title=row.title, authors=row.authors, year=row.year)
            item = append_record(session, guide, record, row.note)
    except DomainError as refused:
        return RowResult(
            row.number,
            row.isbn,
            "rejected",
            error=refused.error.code,
            message=refused.body(language)["error"]["message"],
        )
    if item is None:
        return RowResult(
            row.number,
            isbn,
            "rejected",
            error="already_in_guide",
            message="Già nella guida." if language == "it" else "Already in the guide.",
        )
    return RowResult(row.number, isbn, "added", item=item)


# --- readers ----------------------------------------------------------------------------


def read_rows(data: bytes, fmt: str):
    if fmt not in FORMATS:
        raise DomainError(UNSUPPORTED_IMPORT, param="format", reason=fmt)
    if fmt == "csv":
        return _csv_rows(data)
    if fmt == "marc":
        return _marc_rows(data)
    if fmt == "marcxml":
        return _marcxml_rows(data)
    return _dc_rows(data)


def _text(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DomainError(UNSUPPORTED_IMPORT, param="file", reason="not UTF-8") from None


def _csv_rows(data: bytes):
    """Columns ``isbn,note`` (header optional; ``title``, ``authors``, ``year`` also read when named)."""
    text = _text(data)
    sample = text[:2048]
    lines = list(csv.reader(io.StringIO(text), dialect=_dialect(sample)))
    if not lines:
        return []
    header = [h.strip().lower() for h in lines[0]]
    if "isbn" in header:
        body, start = lines[1:], 2
    else:
        header, body, start = ["isbn", "note"], lines, 1
    rows = []
    for offset, values in enumerate(body):
        if not any(v.strip() for v in values):
            continue
        named = {name: (values[i].strip() if i < len(values) else "") for i, name in enumerate(header)}
        year = named.get("year", "")
        rows.append(
            Row(
                start + offset,
                named.get("isbn") or None,
                title=named.get("title") or None,
                authors=named.get("authors", ""),
                year=int(year) if year.isdigit() else None,
                note=named.get("note", "")[:2000],
            )
        )
    return rows


def _dialect(sample: str):
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        return csv.excel


def _first(record: pymarc.Record, tag: str, code: str) -> str | None:
    for found in record.get_fields(tag):
        values = found.get_subfields(code)
        if values and values[0].strip():
            return values[0].strip()
    return None


def _from_marc(number: int, record: pymarc.Record) -> Row:
    """MARC 21 (020 ISBN, 245 title, 100/700 authors, 264/260 year, 500 note) or UNIMARC (010, 200, 700/701, 210)."""
    if record.get_fields("245"):
        isbn = _first(record, "020", "a")
        title = record.title
        authors = [f.format_field() for f in record.get_fields("100", "110", "700")]
        year_text = _first(record, "264", "c") or _first(record, "260", "c") or ""
        note = _first(record, "500", "a") or ""
    else:  # UNIMARC
        isbn = _first(record, "010", "a")
        title = _first(record, "200", "a")
        authors = [" ".join(filter(None, (f.get("a"), f.get("b")))) for f in record.get_fields("700", "701", "702")]
        year_text = _first(record, "210", "d") or ""
        note = _first(record, "300", "a") or ""
    year = _YEAR.search(year_text)
    isbn = isbn.split()[0] if isbn else None  # "9788804473282 (br.)"
    return Row(
        number,
        isbn,
        title=(title or "").strip(" /:;") or None,
        authors="; ".join(a.strip(" ,.") for a in authors if a)[:300],
        year=int(year.group(1)) if year else None,
        note=note[:2000],
    )


def _marc_rows(data: bytes):
    reader = pymarc.MARCReader(data, to_unicode=True, force_utf8=True, permissive=True)
    rows = []
    for number, record in enumerate(reader, start=1):
        if record is None:
            rows.append(Row(number, None, unreadable=f"MARC record unreadable: {reader.current_exception}"[:300]))
        else:
            rows.append(_from_marc(number, record))
        if number > MAX_ROWS:
            break
    if not rows:
        raise DomainError(UNSUPPORTED_IMPORT, param="file", reason="no MARC record")
    return rows


def _marcxml_rows(data: bytes):
    handler = pymarc.XmlHandler()
    parser = defusedxml.sax.make_parser()
    parser.setContentHandler(handler)
    parser.setFeature(feature_namespaces, 1)
    try:
        parser.parse(io.BytesIO(data))
    except (DefusedXmlException, Exception) as exc:  # SAXParseException and friends: the file as a whole
        raise DomainError(UNSUPPORTED_IMPORT, param="file", reason=type(exc).__name__) from None
    if not handler.records:
        raise DomainError(UNSUPPORTED_IMPORT, param="file", reason="no MARCXML record")
    return [_from_marc(n, r) for n, r in enumerate(handler.records, start=1)]


def _dc_rows(data: bytes):
    """Dublin Core records (``oai_dc:dc`` or any element holding ``dc:*`` children)."""
    try:
        root = SafeET.fromstring(data)
    except (DefusedXmlException, SafeET.ParseError) as exc:
        raise DomainError(UNSUPPORTED_IMPORT, param="file", reason=type(exc).__name__) from None
    records = [el for el in root.iter() if any(child.tag.startswith("{" + DC + "}") for child in el)]
    if not records:
        raise DomainError(UNSUPPORTED_IMPORT, param="file", reason="no Dublin Core record")
    rows = []
    for number, element in enumerate(records, start=1):
        values: dict[str, list[str]] = {}
        for child in element:
            if child.tag.startswith("{" + DC + "}") and (child.text or "").strip():
                values.setdefault(child.tag[len(DC) + 2 :], []).append(child.text.strip())
        isbn = None
        for identifier in values.get("identifier", []):
            if "isbn" in identifier.lower() or re.fullmatch(r"[0-9Xx\- ]{10,17}", identifier):
                match = _ISBN_IN_TEXT.search(identifier)
                isbn = match.group(1) if match else identifier
                break
        year = _YEAR.search(" ".join(values.get("date", [])))
        rows.append(
            Row(
                number,
                isbn,
                title=(values.get("title") or [None])[0],
                authors="; ".join(values.get("creator", []))[:300],
                year=int(year.group(1)) if year else None,
                note=(values.get("description") or [""])[0][:2000],
            )
        )
    return rows

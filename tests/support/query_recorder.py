"""Record the statements the app sends to the database, as the driver sends them.

A pin on the hot requests (as warehouse's ``query_recorder``): a change that
adds a statement, a transaction or a round trip fails the test and names it.

What is recorded is what goes over the wire, not what SQLAlchemy thinks it
runs: on PostgreSQL the frontend messages of libpq's own trace (``PQtrace``
through psycopg's ``PGconn.trace``), so ``BEGIN``, ``COMMIT``, ``ROLLBACK``,
``DEALLOCATE ALL``, the pool's pre-ping, ``SET LOCAL`` and whether a statement
ran prepared are all there; on SQLite the statements ``sqlite3`` hands to the
library (``set_trace_callback``), ``BEGIN IMMEDIATE`` and ``COMMIT`` included.

Bound parameters are in the trace but never kept: each statement is reduced to
its text and a short label (``"UPDATE occurrences"``, ``"COMMIT"``).

Only connections opened while the recorder is installed are traced, so the
fixture starts from an empty pool: warm the request up (prepared statements
need five runs on one connection) inside the test, then record.
"""

from __future__ import annotations

import difflib
import fcntl
import os
import re
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import event

_MESSAGE = re.compile(r"^F\t(\d+)\t(\w+)\t?(.*)$", re.S)
_PARSE = re.compile(r'^ "([^"]*)" "(.*)" \d+(?: NNNN)*$', re.S)
_BIND = re.compile(r'^ "[^"]*" "([^"]*)"')
_QUERY = re.compile(r'^ "(.*)"$', re.S)


@dataclass(frozen=True)
class Statement:
    sql: str
    prepared: bool = False  # ran as a server-side prepared statement (PostgreSQL)

    @property
    def label(self) -> str:
        return label(self.sql)


def label(sql: str) -> str:
    """``"SELECT patrons"``, ``"INSERT orders"``, ``"COMMIT"``: verb and main table."""
    text = " ".join(sql.split())
    if text in ("", ";"):
        return "ping"  # SQLAlchemy's pool pre-ping on psycopg: an empty query
    upper = text.upper()
    if upper.startswith(("BEGIN", "START TRANSACTION")):
        return "BEGIN"  # SQLite's BEGIN IMMEDIATE / DEFERRED too
    if upper.startswith("SAVEPOINT"):
        return "SAVEPOINT"
    if upper.startswith("RELEASE SAVEPOINT"):
        return "RELEASE SAVEPOINT"
    if upper.startswith("ROLLBACK TO SAVEPOINT"):
        return "ROLLBACK TO SAVEPOINT"
    if upper.startswith("SET LOCAL"):
        return " ".join(text.split()[:3]).split("=")[0].strip()  # SET LOCAL lock_timeout
    words = upper.split()
    verb = words[0] if words else ""
    if verb == "SELECT" and " FROM " not in upper:
        return text  # SELECT 1: the pool's ping
    patterns = {
        "SELECT": r"\bFROM\s+([\w\".]+)",
        "INSERT": r"^INSERT\s+INTO\s+([\w\".]+)",
        "UPDATE": r"^UPDATE\s+([\w\".]+)",
        "DELETE": r"^DELETE\s+FROM\s+([\w\".]+)",
        "WITH": r"\bFROM\s+([\w\".]+)",
    }
    if verb == "WITH":  # a CTE: labelled by what it writes, in order (``UPDATE funding_lots + INSERT lot_allocations``)
        writes = re.findall(r"[()]\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+([\w\".]+)", text, re.I)
        if writes:
            return " + ".join(f"{verb_.split()[0].upper()} {table.strip(chr(34)).lower()}" for verb_, table in writes)
    pattern = patterns.get(verb)
    if pattern:
        # A subquery in a SELECT's column list (EXISTS …) does not name the table read.
        start = _top_level_from(text) if verb == "SELECT" else 0
        found = re.search(pattern, text[start:], re.I)
        if found:
            return f"{verb} {found.group(1).strip(chr(34)).lower()}"
    return text


def _top_level_from(text: str) -> int:
    """Where the first FROM outside parentheses starts (0 when there is none)."""
    depth = 0
    for found in re.finditer(r"[()]|\bFROM\b", text, re.I):
        token = found.group(0)
        if token == "(":
            depth += 1
        elif token == ")":
            depth -= 1
        elif depth == 0:
            return found.start()
    return 0


@dataclass
class Recording:
    statements: list[Statement] = field(default_factory=list)

    @property
    def labels(self) -> list[str]:
        return [s.label for s in self.statements]

    def count(self, label_: str) -> int:
        return self.labels.count(label_)

    @property
    def deallocations(self) -> list[Statement]:
        return [s for s in self.statements if s.sql.upper().startswith("DEALLOCATE")]

    def assert_labels(self, expected: list[str]) -> None:
        """Fail with what was added or dropped, and the full text of what was added."""
        actual = self.labels
        if actual == expected:
            return
        lines = []
        for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=expected, b=actual, autojunk=False).get_opcodes():
            if tag in ("delete", "replace"):
                lines += [f"  - statement {i + 1} no longer sent: {expected[i]}" for i in range(i1, i2)]
            if tag in ("insert", "replace"):
                lines += [
                    f"  + statement {j + 1} added: {actual[j]}\n      {_short(self.statements[j].sql)}"
                    for j in range(j1, j2)
                ]
        raise AssertionError(
            f"{len(actual)} statements sent, {len(expected)} pinned:\n"
            + "\n".join(lines)
            + "\nsent:\n"
            + "\n".join(
                f"  {n:2d}. {s.label}{'  (prepared)' if s.prepared else ''}" for n, s in enumerate(self.statements, 1)
            )
        )


def _short(sql: str) -> str:
    text = " ".join(sql.split())
    return text if len(text) <= 300 else text[:300] + " …"


class _PostgresTrace:
    """One libpq trace file per connection; statements parsed from its frontend messages."""

    def __init__(self) -> None:
        self.files: dict[int, tuple[object, object]] = {}  # id(dbapi conn) → (conn, file)
        self.names: dict[int, dict[str, str]] = {}  # prepared statement names per connection
        self.offsets: dict[int, int] = {}

    def attach(self, dbapi_connection) -> None:
        # An unnamed file opened for appending: libpq's FILE* (psycopg fdopens the descriptor)
        # always writes at the end, whatever we read in between.
        fd, path = tempfile.mkstemp(prefix="borsellino-pqtrace-")
        os.unlink(path)
        fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_APPEND)
        self.files[id(dbapi_connection)] = (dbapi_connection, fd)
        self.names[id(dbapi_connection)] = {}
        self.offsets[id(dbapi_connection)] = 0
        self._trace(dbapi_connection, fd)

    @staticmethod
    def _trace(dbapi_connection, fd: int) -> None:
        from psycopg import pq

        pgconn = dbapi_connection.pgconn
        pgconn.trace(fd)
        pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)

    def _flush(self) -> None:
        # PQuntrace flushes libpq's buffer; tracing goes on at once through a new FILE*.
        for dbapi_connection, fd in self.files.values():
            if not dbapi_connection.closed:
                dbapi_connection.pgconn.untrace()
                self._trace(dbapi_connection, fd)

    def mark(self) -> None:
        self._flush()
        for key, (_conn, fd) in self.files.items():
            self.offsets[key] = os.fstat(fd).st_size

    def statements_since_mark(self) -> list[Statement]:
        self._flush()
        found: list[Statement] = []
        for key, (_conn, fd) in self.files.items():
            size, offset = os.fstat(fd).st_size, self.offsets[key]
            before, after = os.pread(fd, offset, 0), os.pread(fd, size - offset, offset)
            names = self.names[key]
            self._parse(before.decode("utf-8", "replace"), names, None)
            self._parse(after.decode("utf-8", "replace"), names, found)
            names.clear()  # the next read starts from the file's beginning again
        return found

    @staticmethod
    def _parse(trace: str, names: dict[str, str], out: list[Statement] | None) -> None:
        unnamed = ""
        current: tuple[str, bool] | None = None
        for message in _messages(trace):
            kind, body = message
            if kind == "Query":
                query = _QUERY.match(body)
                if out is not None and query:
                    out.append(Statement(query.group(1)))
            elif kind == "Parse":
                parsed = _PARSE.match(body)
                if parsed:
                    name, sql = parsed.groups()
                    if name:
                        names[name] = sql
                    else:
                        unnamed = sql
            elif kind == "Bind":
                bound = _BIND.match(body)
                if bound:
                    name = bound.group(1)
                    current = (names.get(name, f"<prepared {name}>"), True) if name else (unnamed, False)
            elif kind == "Execute" and current is not None and out is not None:
                out.append(Statement(current[0], prepared=current[1]))

    def close(self) -> None:
        for dbapi_connection, fd in self.files.values():
            if not dbapi_connection.closed:
                dbapi_connection.pgconn.untrace()
            os.close(fd)
        self.files.clear()


def _messages(trace: str):
    """(type, body) of each frontend message; a message's text may span lines."""
    kind, body = None, []
    for line in trace.split("\n"):
        if line.startswith(("F\t", "B\t")):
            if kind is not None:
                yield kind, "\n".join(body)
            kind, body = None, []
            found = _MESSAGE.match(line)
            if found:
                kind, body = found.group(2), [found.group(3)]
        elif kind is not None:
            body.append(line)
    if kind is not None:
        yield kind, "\n".join(body)


class _SqliteTrace:
    def __init__(self) -> None:
        self.log: list[str] = []
        self.connections: list = []
        self.start = 0

    def attach(self, dbapi_connection) -> None:
        dbapi_connection.set_trace_callback(self.log.append)
        self.connections.append(dbapi_connection)

    def mark(self) -> None:
        self.start = len(self.log)

    def statements_since_mark(self) -> list[Statement]:
        # sqlite3 reports statements with their parameters filled in; they stay in this
        # process, for the labels and a failing test's message.
        return [Statement(sql) for sql in self.log[self.start :]]

    def close(self) -> None:
        for connection in self.connections:
            try:
                connection.set_trace_callback(None)
            except Exception:  # already closed
                pass


class QueryRecorder:
    """``with query_recorder as recording: client.post(...)`` then ``recording.assert_labels([...])``."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.is_postgres = engine.dialect.name == "postgresql"
        self._trace = _PostgresTrace() if self.is_postgres else _SqliteTrace()
        self.recording: Recording | None = None

    def install(self) -> None:
        self.engine.dispose()  # only connections opened from now on are traced
        event.listen(self.engine, "connect", self._on_connect)

    def _on_connect(self, dbapi_connection, _record) -> None:
        self._trace.attach(dbapi_connection)

    def uninstall(self) -> None:
        event.remove(self.engine, "connect", self._on_connect)
        self._trace.close()
        self.engine.dispose()

    def __enter__(self) -> Recording:
        self._trace.mark()
        self.recording = Recording()
        return self.recording

    def __exit__(self, *exc) -> None:
        self.recording.statements = self._trace.statements_since_mark()

    @contextmanager
    def record(self):
        with self as recording:
            yield recording

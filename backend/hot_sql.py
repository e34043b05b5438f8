"""The statements every payment, purchase, validation or donation runs, straight on psycopg.

A ``HotStatement`` wraps a statement built once at import (README, "Data access"),
compiled once per dialect. On PostgreSQL a run is psycopg's ``execute`` of the SQL
text with the values (their bind processors applied, as SQLAlchemy applies them)
on one cursor kept per connection, and its rows are plain tuples (result
processors applied): for these small statements SQLAlchemy's execution context and
result object cost more CPU than the driver's whole round trip. Everything else
stays SQLAlchemy's: the connection and its transaction, the ``before_cursor_execute``
event (the unit of work counts writes with it), and failures, raised as SQLAlchemy
raises them (a ``DBAPIError``, the connection invalidated when it died, so
``is_retryable`` judges them alike). On SQLite a run goes through SQLAlchemy.

Rows are read by position. Not for statements with expanding ``IN`` parameters or
Python-side column defaults (SQLAlchemy computes those while it executes).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql.base import Executable

Row = tuple[Any, ...]
_CURSOR = "borsellino.hot_cursor"
_CONNECTION = "borsellino.hot_connection"


def connection_of(session: Session) -> Connection:
    """``session.connection()``, kept for the session's current transaction.

    Each ``Session.connection()`` call walks the session's transaction state; a hot
    request asks for its connection a dozen times, and within one transaction the
    answer is always the same connection.
    """
    # Keyed by the innermost transaction: a savepoint's is emitted when its connection is first asked for.
    transaction = session.get_nested_transaction() or session.get_transaction()
    cached = session.info.get(_CONNECTION)
    if transaction is not None and cached is not None and cached[0] is transaction:
        connection: Connection = cached[1]
        return connection
    connection = session.connection()
    session.info[_CONNECTION] = (session.get_nested_transaction() or session.get_transaction(), connection)
    return connection


@dataclass(frozen=True)
class _Compiled:
    sql: str
    constants: dict[str, Any]  # the statement's own values (literals, ``values(state=…)``)
    binds: tuple[tuple[str, Callable[[Any], Any]], ...]
    results: tuple[Callable[[Any], Any] | None, ...]  # per column; empty when none needs one


class HotStatement:
    """``column_keys``: for an INSERT, the columns it is given (compiled into its VALUES)."""

    def __init__(self, statement: Executable, *, column_keys: tuple[str, ...] | None = None) -> None:
        self.statement = statement
        self.column_keys = column_keys
        self._compiled: dict[Dialect, _Compiled] = {}

    def rows(self, session: Session, params: Mapping[str, Any]) -> list[Row]:
        """Every row the statement returns."""
        connection = connection_of(session)
        if connection.dialect.name != "postgresql":
            return [tuple(row) for row in connection.execute(self.statement, dict(params))]
        compiled = self._for(connection.dialect)
        cursor = self._run(connection, compiled, params)
        rows: list[Row] = cursor.fetchall()
        if compiled.results:
            rows = [tuple(v if p is None else p(v) for p, v in zip(compiled.results, row)) for row in rows]
        return rows

    def first(self, session: Session, params: Mapping[str, Any]) -> Row | None:
        found = self.rows(session, params)
        return found[0] if found else None

    def rowcount(self, session: Session, params: Mapping[str, Any]) -> int:
        """Rows an UPDATE or DELETE without ``RETURNING`` matched."""
        connection = connection_of(session)
        if connection.dialect.name != "postgresql":
            return int(connection.execute(self.statement, dict(params)).rowcount)
        return int(self._run(connection, self._for(connection.dialect), params).rowcount)

    def _run(self, connection: Connection, compiled: _Compiled, params: Mapping[str, Any]) -> Any:
        values = {**compiled.constants, **params}
        for name, process in compiled.binds:
            if name in values:
                values[name] = process(values[name])
        info = connection.info
        driver: Any = connection.connection.driver_connection
        cursor = info.get(_CURSOR)
        if cursor is None or cursor.connection is not driver or cursor.closed:
            cursor = info[_CURSOR] = driver.cursor()
        connection.dispatch.before_cursor_execute(connection, cursor, compiled.sql, values, None, False)
        try:
            cursor.execute(compiled.sql, values)
        except Exception as exc:  # noqa: BLE001 - raised again, wrapped as SQLAlchemy wraps it
            connection._handle_dbapi_exception(exc, compiled.sql, values, cursor, None)
        return cursor

    def _for(self, dialect: Dialect) -> _Compiled:
        found = self._compiled.get(dialect)
        if found is None:
            found = self._compiled[dialect] = _compile(self.statement, dialect, self.column_keys)
        return found


def _compile(statement: Executable, dialect: Dialect, column_keys: tuple[str, ...] | None) -> _Compiled:
    keys = list(column_keys) if column_keys is not None else None
    compiled: Any = statement.compile(dialect=dialect, column_keys=keys)  # type: ignore[attr-defined]
    if "POSTCOMPILE" in compiled.string:
        raise ValueError("a HotStatement takes no expanding IN parameters")
    constants = {name: value for name, value in compiled.construct_params(_check=False).items() if value is not None}
    binds = tuple(compiled._bind_processors.items())
    # One per returned column, in order (a text() statement declares none: psycopg's values as they come).
    processors = [entry.type._cached_result_processor(dialect, None) for entry in compiled._result_columns]
    return _Compiled(
        compiled.string, constants, binds, tuple(processors) if any(p is not None for p in processors) else ()
    )

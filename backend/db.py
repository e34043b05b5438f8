"""Engine, sessions, declarative Base and the transaction helper.

One unit of work per HTTP request: the request's session is committed once, by
the app after the view returned (see ``backend.web.unit_of_work``; the
request-bound ``db.session`` lives in ``backend.web.database``). Services take a
session and never commit. Jobs and CLI commands use ``Database.run_in_transaction``.
This module needs no app: it imports neither Flask nor the web layer.
"""

from __future__ import annotations

import logging
import random
import secrets
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from functools import cache
from typing import Any, ClassVar, TypeVar, cast

from sqlalchemy import (
    BigInteger,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    event,
    insert,
    inspect,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, CursorResult, Dialect, Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Mapper,
    Session,
    make_transient_to_detached,
    mapped_column,
    sessionmaker,
)
from sqlalchemy.sql.expression import Executable
from sqlalchemy.types import TypeDecorator

from backend.errors import NOT_FOUND, DomainError
from backend.hot_sql import HotStatement, connection_of

log = logging.getLogger(__name__)
T = TypeVar("T")
M = TypeVar("M")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite stores naive UTC text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# Internal keys are 64-bit integers (compact joins, keyset order); SQLite
# only autoincrements a column declared exactly INTEGER PRIMARY KEY.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}
    # Every model here is mapped to one table (never a join or a select), so its
    # ``__table__`` is a Table and its Core statements type-check.
    __table__: ClassVar[Table]


def new_public_id(prefix: str) -> str:
    """Opaque, unguessable public id such as ``fee_3f9a…`` (96 random bits)."""
    return f"{prefix}_{secrets.token_hex(12)}"


class PublicIdMixin:
    """Internal integer key plus the opaque id the API shows.

    Subclasses set ``PUBLIC_ID_PREFIX``. Lists page by the internal key, the
    cursor being the public id of the last item (as Stripe's ``starting_after``).
    """

    PUBLIC_ID_PREFIX = "obj"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True)

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("public_id", new_public_id(self.PUBLIC_ID_PREFIX))
        super().__init__(**kwargs)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def insert_returning(session: Session, model: type[M], rows: list[dict[str, Any]]) -> list[M]:
    """Insert ``rows`` of ``model`` in one statement and return them as persistent objects.

    For hot paths only (the README's "Data access" rule): a Core ``INSERT …
    RETURNING`` of every column, the objects built from what the database
    returned, costs less than half of the unit of work's flush or the ORM's bulk
    insert, but writes only these rows (nothing else pending in the session).
    Relationships of the returned objects are not populated (callers set what
    they need with ``set_committed_value``); public ids are generated here.

    Unlike objects added as new, they are not expunged when a savepoint rolls
    back, and SQLite may then give the next row the same id: such a stale object
    is overwritten (``merge``) instead of colliding with the new one.
    """
    if issubclass(model, PublicIdMixin):
        rows = [{"public_id": new_public_id(model.PUBLIC_ID_PREFIX), **row} for row in rows]
    if len(rows) == 1:
        # One row (a payment, an order, a donation): a HotStatement, its Python-side defaults filled here.
        row = _with_defaults(model, rows[0])
        [written] = _insert_one(model, tuple(sorted(row))).rows(session, row)  # type: ignore[arg-type]
        return [persistent_from_row(session, model, written)]
    # A class is hashable; mypy's Hashable protocol does not see it through type[...].
    stmt = _insert_returning_all(model)[0]  # type: ignore[arg-type]
    # On the session's connection: a Core insert of a table is not autoflushed by
    # ``session.execute`` either, and this skips the ORM's execution path.
    return [persistent_from_row(session, model, row) for row in session.connection().execute(stmt, rows)]


def persistent_from_row(session: Session, model: type[M], row: Sequence[Any]) -> M:
    """The persistent object of a row just written, ``row`` holding every column of the table in order.

    Built as the ORM's loader builds a loaded object (no constructor, no attribute
    events): the values are what the database holds. For ``insert_returning`` and
    the hot statements that insert with ``RETURNING`` inside a larger statement.
    """
    _stmt, keys, new_instance = _insert_returning_all(model)  # type: ignore[arg-type]
    obj = new_instance()
    obj.__dict__.update(zip(keys, row))
    make_transient_to_detached(obj)
    if session.identity_map.get(session.identity_key(model, obj.id)) is None:
        session.add(obj)
        return cast(M, obj)
    return cast(M, session.merge(obj, load=False))


def _with_defaults(model: type[Any], row: dict[str, Any]) -> dict[str, Any]:
    """``row`` with the value of each column default it does not give (scalars and plain callables)."""
    missing = {}
    for column in cast(Table, inspect(model).local_table).columns:
        default = column.default
        if default is None or column.key in row:
            continue
        if default.is_scalar:
            missing[column.key] = default.arg  # type: ignore[attr-defined]
        elif default.is_callable:
            missing[column.key] = default.arg(None)  # type: ignore[attr-defined]  # wrapped: takes a context
        else:
            raise ValueError(f"{column} has a SQL default: not for insert_returning")
    return {**row, **missing}


@cache
def _insert_one(model: type[Any], keys: tuple[str, ...]) -> HotStatement:
    """Built once per model and set of given columns."""
    return HotStatement(_insert_returning_all(model)[0], column_keys=keys)  # type: ignore[arg-type]


@cache
def _insert_returning_all(model: type[Any]) -> tuple[Any, list[str], Callable[[], Any]]:
    """Built once per model: the statement, the attribute names of its returned columns, the factory."""
    mapper: Mapper[Any] = inspect(model)
    table = cast(Table, mapper.local_table)  # models map one table each
    keys = [mapper.get_property_by_column(column).key for column in table.columns]
    statement = insert(table).returning(*table.columns, sort_by_parameter_order=True)
    return statement, keys, mapper.class_manager.new_instance


def dialect_insert(session: Session) -> Callable[[Any], postgresql.Insert | sqlite.Insert]:
    """``insert`` of the session's dialect, for ``on_conflict_do_nothing`` (PostgreSQL, SQLite)."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert
    return sqlite.insert


# --- retries --------------------------------------------------------------

# PostgreSQL serialization_failure, deadlock_detected; SQLite busy.
RETRYABLE_SQLSTATES = {"40001", "40P01"}


def is_retryable(exc: BaseException, *, committing: bool = False) -> bool:
    """A serialization failure, a deadlock, SQLite busy, or a connection found dead.

    The pool does not ping connections at checkout (a round trip per
    transaction): a connection the server closed fails its first statement,
    SQLAlchemy invalidates it, and the work runs again on a fresh one. A
    connection lost during the COMMIT itself (``committing``) is not retried:
    the transaction may have committed.
    """
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return not committing
    orig = exc.orig
    sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if sqlstate in RETRYABLE_SQLSTATES:
        return True
    return isinstance(exc, OperationalError) and "database is locked" in str(orig)


def backoff(attempt: int) -> None:
    time.sleep(min(0.2, 0.005 * (2**attempt)) * random.random())


class Database:
    """Holds the engine and hands out sessions; one instance per app."""

    max_attempts = 8

    def __init__(self, url: str, pool_size: int = 10, echo: bool = False, pool_recycle: int = 1800) -> None:
        self.url = url
        self.engine = self._make_engine(url, pool_size, echo, pool_recycle)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        # What the deployment configured that services read from their session
        # (``session.info``), e.g. the notification channels: set by the app factory,
        # copied into every session this database hands out.
        self.session_info: dict[str, Any] = {}
        self._sessions = sessionmaker(bind=self.engine, expire_on_commit=False, info=self.session_info)
        # SQLite: writers take the write lock at BEGIN (IMMEDIATE), so two
        # writers never deadlock upgrading read locks; readers (GETs) and
        # sessions that mostly read begin DEFERRED and never block writers.
        self._deferred_sessions = sessionmaker(
            bind=self.engine.execution_options(sqlite_begin="DEFERRED"),
            expire_on_commit=False,
            info=self.session_info,
        )
        _track_writes(self.engine, (self._sessions, self._deferred_sessions))

    @staticmethod
    def _make_engine(url: str, pool_size: int, echo: bool, pool_recycle: int) -> Engine:
        if url.startswith("sqlite"):
            # hide_parameters: a failing statement's message never carries its bound values
            # (card numbers, emails, PIN hashes) into a log or a traceback.
            engine = create_engine(url, echo=echo, hide_parameters=True, connect_args={"timeout": 30})
            _configure_sqlite(engine)
            return engine
        # No pre-ping (a round trip per checkout): connections are replaced when old,
        # and a dead one is retried (``is_retryable``).
        return create_engine(
            url, echo=echo, hide_parameters=True, pool_size=pool_size, max_overflow=pool_size, pool_recycle=pool_recycle
        )

    @staticmethod
    def mark_clean(session: Session) -> None:
        """From now on, ``wrote_since_mark`` tells whether the session's transaction wrote."""
        connection = connection_of(session)
        session.info[_MARK] = (connection, connection.info.get(_WRITES, 0))

    @staticmethod
    def wrote_since_mark(session: Session) -> bool:
        """Did the transaction write (INSERT, UPDATE, DELETE, or ORM changes not flushed) since
        it began or since ``mark_clean``? A transaction that did not can end with a COMMIT
        instead of a ROLLBACK: the same for the database, and psycopg keeps its prepared
        statements (it drops them all on every rollback)."""
        if session.new or session.deleted or session.dirty:
            return True
        mark = session.info.get(_MARK)
        if mark is None:
            return True
        connection, writes = mark
        return bool(connection.closed or connection.info.get(_WRITES, 0) != writes)

    def new_session(self, *, immediate: bool = True) -> Session:
        """A new session; ``immediate=False`` begins SQLite transactions DEFERRED (no effect on PostgreSQL)."""
        return (self._sessions if immediate else self._deferred_sessions)()

    def run_in_transaction(self, work: Callable[[Session], T]) -> T:
        """Run ``work(session)`` and commit, retrying serialization failures and deadlocks."""
        for attempt in range(self.max_attempts):
            session = self.new_session()
            committing = False
            try:
                result = work(session)
                committing = True
                session.commit()
                return result
            except Exception as exc:
                session.rollback()
                if not is_retryable(exc, committing=committing) or attempt == self.max_attempts - 1:
                    raise
                log.info("retrying transaction after %s", type(getattr(exc, "orig", exc)).__name__)
                backoff(attempt)
            finally:
                session.close()
        raise AssertionError("unreachable")

    def dispose(self) -> None:
        self.engine.dispose()


_WRITES = "borsellino.writes"
_MARK = "borsellino.writes_mark"
# First words of statements that write nothing (the rest count as writes, to be safe).
_NOT_WRITES = ("SELECT", "SET ", "SHOW", "BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK", "COMMIT", "PRAGMA")


def _track_writes(engine: Engine, sessionmakers: Iterable[sessionmaker[Session]]) -> None:
    """Count each connection's writing statements, for ``Database.wrote_since_mark``."""

    @event.listens_for(engine, "before_cursor_execute")
    def _count(
        conn: Connection, _cursor: Any, statement: str, _parameters: Any, _context: Any, _executemany: bool
    ) -> None:
        if not statement.lstrip()[:9].upper().startswith(_NOT_WRITES):
            conn.info[_WRITES] = conn.info.get(_WRITES, 0) + 1

    def _begin(session: Session, _transaction: Any, connection: Connection) -> None:
        session.info[_MARK] = (connection, connection.info.get(_WRITES, 0))

    for maker in sessionmakers:
        event.listen(maker, "after_begin", _begin)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from pysqlite so that BEGIN is ours.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        conn.exec_driver_sql(f"BEGIN {mode}")


def rows_changed(session: Session, statement: Executable) -> int:
    """Rows an UPDATE or DELETE matched: 0 when a guarded update found its row moved on."""
    return cast("CursorResult[Any]", session.execute(statement)).rowcount


def get_or_404(session: Session, model: type[M], public_id: str, *, param: str | None = None, **where: Any) -> M:
    """The ``model`` row with this public id (and these column values), or a 404 ``DomainError``.

    ``where`` narrows the lookup to what the caller may see (``patron_id=…``), so
    another owner's object is indistinguishable from one that does not exist.
    """
    stmt = select(model).where(model.public_id == public_id)  # type: ignore[attr-defined]
    for name, value in where.items():
        stmt = stmt.where(getattr(model, name) == value)
    found = session.scalar(stmt)
    if found is None:
        raise DomainError(NOT_FOUND, param=param)
    return found

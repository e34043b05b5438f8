"""States of stateful objects, and one table of allowed transitions each.

Every stateful object (order, ticket, hold, top-up, pass, donation, …) declares
a ``StrEnum`` of its states and a ``Transitions`` table next to its model. The
guarded updates that move an object take their ``WHERE state IN (…)`` from the
table (``sources_of``), so a transition the table does not list cannot happen:
by construction, not by remembering a check in each service.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any, Generic, TypeVar, cast

from sqlalchemy import CheckConstraint, ColumnElement, Update, update
from sqlalchemy.orm import QueryableAttribute

from backend.errors import DomainError, ErrorCode

S = TypeVar("S", bound=StrEnum)

INVALID_STATE = ErrorCode(
    "invalid_state",
    422,
    it="Operazione non possibile nello stato attuale.",
    en="This is not possible in the current state.",
)


class Transitions(Generic[S]):
    """``{from_state: {to_state, …}}``: the only moves an object may make."""

    def __init__(self, states: type[S], table: Mapping[S, Iterable[S]]) -> None:
        self.states = states
        self._next: dict[S, frozenset[S]] = {s: frozenset(table.get(s, ())) for s in states}
        unknown = {t for targets in self._next.values() for t in targets} - set(states)
        if unknown:
            raise ValueError(f"{states.__name__}: transitions to unknown states {unknown}")

    # A source is what a row holds: a plain str from a ``Mapped[str]`` column, or the enum.
    def allows(self, source: S | str, target: S) -> bool:
        return target in self._next[self.states(source)]

    def sources_of(self, target: S) -> tuple[S, ...]:
        """The states from which ``target`` may be reached, for a guarded ``WHERE state IN``."""
        return tuple(s for s, targets in self._next.items() if target in targets)

    def check(self, source: S | str, target: S, error: ErrorCode = INVALID_STATE, **values: Any) -> None:
        """Raise ``DomainError(error)`` unless ``source → target`` is listed."""
        if not self.allows(source, target):
            raise DomainError(error, **values)

    def is_final(self, state: S | str) -> bool:
        return not self._next[self.states(state)]


def state_check(column: str, states: type[StrEnum], name: str | None = None) -> CheckConstraint:
    """A CHECK constraint that keeps ``column`` among the enum's values."""
    values = ", ".join(f"'{s.value}'" for s in states)
    return CheckConstraint(f"{column} IN ({values})", name=name or f"{column}_valid")


def guard(
    column: ColumnElement[str] | QueryableAttribute[str], table: Transitions[Any], target: StrEnum
) -> ColumnElement[bool]:
    """``column IN table.sources_of(target)``: the condition of a guarded move to ``target``.

    For statements built on the table rather than the model (hot paths); a single
    source is compared with ``=``, one bound value rather than an expanding list.
    """
    sources = table.sources_of(target)
    if len(sources) == 1:
        return cast(ColumnElement[bool], column == sources[0])  # == is typed loosely on attributes
    return column.in_(sources)


def transition(
    model: type[Any], table: Transitions[Any], target: StrEnum, *where: ColumnElement[bool], column: str = "status"
) -> Update:
    """``UPDATE model SET column = target WHERE … AND column IN table.sources_of(target)``.

    The guarded update every move goes through: add ``.values(...)`` for the
    other columns it sets and check the row count (0 rows: the object was not
    in a state the table allows to move from, possibly changed meanwhile by a
    concurrent request).
    """
    return (
        update(model)
        .where(*where, guard(getattr(model, column), table, target))
        .values({column: target})
        .execution_options(synchronize_session=False)
    )

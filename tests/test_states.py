"""The transition table refuses what it does not list."""

from enum import StrEnum

import pytest

from backend.errors import DomainError
from backend.states import INVALID_STATE, Transitions


class Door(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    LOCKED = "locked"


DOOR = Transitions(Door, {Door.OPEN: {Door.CLOSED}, Door.CLOSED: {Door.OPEN, Door.LOCKED}})


def test_listed_moves_pass_and_others_raise_the_given_error():
    DOOR.check(Door.OPEN, Door.CLOSED)
    with pytest.raises(DomainError) as refused:
        DOOR.check(Door.OPEN, Door.LOCKED)
    assert refused.value.error is INVALID_STATE


def test_sources_feed_a_guarded_update_and_final_states_are_known():
    assert set(DOOR.sources_of(Door.OPEN)) == {Door.CLOSED}
    assert DOOR.sources_of(Door.LOCKED) == (Door.CLOSED,)
    assert DOOR.is_final(Door.LOCKED) and not DOOR.is_final("open")


def test_a_table_naming_an_unknown_state_is_refused_at_import():
    with pytest.raises(ValueError):
        Transitions(Door, {Door.OPEN: {"ajar"}})

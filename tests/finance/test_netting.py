"""Multilateral netting: hand-checked examples and the property that the transfers settle everything."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.finance.netting import Transfer, net_transfers


def _settle(positions, transfers):
    left = dict(positions)
    for t in transfers:
        left[t.payer] -= t.amount
        left[t.payee] += t.amount
    return left


def test_five_networks_hand_checked():
    # Gross, who owes whom (euros): A→C 50, A→D 60, A→E 10, B→C 20, B→A 20, B→E 10: six bilateral debts.
    # Net: A +100 (owes 120, owed 20), B +50, C −70, D −60, E −20.
    positions = {"A": 100, "B": 50, "C": -70, "D": -60, "E": -20}
    assert net_transfers(positions) == [
        Transfer("A", "C", 70),
        Transfer("A", "D", 30),
        Transfer("B", "D", 30),
        Transfer("B", "E", 20),
    ]


def test_equal_and_opposite_positions_pair_up_for_fewer_than_n_minus_one():
    positions = {"A": 60, "B": 40, "C": -60, "D": -25, "E": -15}
    assert net_transfers(positions) == [Transfer("A", "C", 60), Transfer("B", "D", 25), Transfer("B", "E", 15)]


def test_nothing_to_settle_and_unbalanced_positions():
    assert net_transfers({"A": 0, "B": 0}) == []
    with pytest.raises(ValueError):
        net_transfers({"A": 10, "B": -9})


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(min_value=-(10**9), max_value=10**9), min_size=1, max_size=24))
def test_the_transfers_settle_every_position_with_at_most_n_minus_one(amounts):
    positions = {f"N{i:02d}": amount for i, amount in enumerate(amounts)}
    positions["LAST"] = -sum(amounts)
    transfers = net_transfers(positions)
    assert all(amount == 0 for amount in _settle(positions, transfers).values())
    nonzero = sum(1 for amount in positions.values() if amount)
    assert len(transfers) <= max(nonzero - 1, 0)
    for t in transfers:
        assert t.amount > 0 and positions[t.payer] > 0 and positions[t.payee] < 0

"""Multilateral netting: hand-checked examples and the property that the transfers settle everything."""

from __future__ import annotations

from itertools import combinations

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


def test_two_zero_sum_groups_settle_in_four_transfers_not_five():
    # A + C = E and B + D = F: each group of three settles in two; greedy over all six took five.
    positions = {"A": 7, "B": 3, "C": 2, "D": 6, "E": -9, "F": -9}
    transfers = net_transfers(positions)
    assert len(transfers) == 4
    assert all(amount == 0 for amount in _settle(positions, transfers).values())
    pairs = {frozenset((t.payer, t.payee)) for t in transfers}
    assert pairs in (
        {frozenset("AE"), frozenset("CE"), frozenset("BF"), frozenset("DF")},
        {frozenset("AF"), frozenset("CF"), frozenset("BE"), frozenset("DE")},
    )


def _most_groups(amounts):
    """Brute force: every partition of the positions, the most blocks that each sum to zero."""
    if not amounts:
        return 0
    first, rest = amounts[0], amounts[1:]
    best = 0
    # The block holding the first position: every choice of companions from the rest.
    for size in range(len(rest) + 1):
        for chosen in combinations(range(len(rest)), size):
            if first + sum(rest[i] for i in chosen) == 0:
                others = [rest[i] for i in range(len(rest)) if i not in chosen]
                best = max(best, 1 + _most_groups(others))
    return best


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(min_value=-12, max_value=12).filter(bool), min_size=1, max_size=7))
def test_the_count_is_the_brute_force_minimum_on_small_inputs(amounts):
    # Small amounts so that zero-sum groups are common; a settling set of transfers links
    # the networks into zero-sum groups, each of k needing k − 1, so the minimum is n − groups.
    amounts = amounts + [-sum(amounts)] if sum(amounts) else amounts
    positions = {f"N{i}": amount for i, amount in enumerate(amounts)}
    transfers = net_transfers(positions)
    nonzero = [amount for amount in amounts if amount]
    assert len(transfers) == len(nonzero) - _most_groups(nonzero)
    assert all(amount == 0 for amount in _settle(positions, transfers).values())
    assert len(transfers) <= max(len(nonzero) - 1, 0)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(min_value=-50, max_value=50).filter(bool), min_size=17, max_size=23))
def test_beyond_the_exact_limit_the_transfers_still_settle_within_n_minus_one(amounts):
    positions = {f"N{i:02d}": amount for i, amount in enumerate(amounts)}
    positions["LAST"] = -sum(amounts)
    transfers = net_transfers(positions)
    assert all(amount == 0 for amount in _settle(positions, transfers).values())
    assert len(transfers) <= sum(1 for amount in positions.values() if amount) - 1

"""Multilateral netting: the fewest transfers that settle every network's net position.

A position is what a network owes the others all together (> 0) or is owed by them
(< 0); the positions sum to zero. Settling bilaterally would need a transfer per
pair that traded; netting needs at most n − 1 for n networks with a position.

The fewest: split the networks into as many groups as possible whose positions each
sum to zero; a group of k settles within itself in k − 1 transfers (largest debtor
against largest creditor, each transfer clearing at least one, the last two), and no
set of transfers does better, since the networks a set of transfers connects form
zero-sum groups and a connected group of k needs k − 1 of them. So the minimum is
n_nonzero − (the most disjoint zero-sum groups).

Finding those groups is a partition problem (hard in general), solved here as follows:

1. Equal and opposite positions are paired first: that is always optimal (a pair split
   across two groups, or sharing one with others, can be made its own group without
   losing any group).
2. Up to ``EXACT_LIMIT`` positions left: exactly, by dynamic programming over subsets
   (``best[S]``: the most zero-sum groups an ordering of ``S`` closes, each time its
   prefix sums to zero; 2^n · n steps, a few tenths of a second at 16).
3. Beyond that (more than 16 networks with a position not pairing up): zero-sum
   triples are taken out as groups first (not always optimal), then the exact step
   if few enough are left, else one group settled greedily, which still meets n − 1.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from itertools import combinations
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)

EXACT_LIMIT = 16


@dataclass(frozen=True)
class Transfer(Generic[K]):
    payer: K
    payee: K
    amount: int  # cents, > 0


def net_transfers(positions: Mapping[K, int], order: Mapping[K, int] | None = None) -> list[Transfer[K]]:
    """The fewest transfers settling ``positions`` ({network: cents, > 0 owes}); deterministic
    for equal amounts (``order`` ranks the keys, default their sort order)."""
    if sum(positions.values()) != 0:
        raise ValueError("positions must sum to zero")
    rank = order or {key: i for i, key in enumerate(sorted(positions, key=repr))}
    # Largest first, then by rank: the order every step below works in.
    left = sorted((key for key, amount in positions.items() if amount), key=lambda k: (-abs(positions[k]), rank[k]))
    groups: list[list[K]] = []

    for debtor in [k for k in left if positions[k] > 0]:
        match = next((k for k in left if positions[k] == -positions[debtor]), None)
        if match is not None:
            groups.append([debtor, match])
            left.remove(debtor)
            left.remove(match)

    if len(left) > EXACT_LIMIT:
        left = _take_triples(positions, left, groups)
    if len(left) > EXACT_LIMIT:
        groups.append(left)
    elif left:
        groups.extend(_most_zero_sum_groups(positions, left))

    transfers: list[Transfer[K]] = []
    for group in groups:
        transfers.extend(_settle_greedily(positions, group, rank))
    return transfers


def _take_triples(positions: Mapping[K, int], left: list[K], groups: list[list[K]]) -> list[K]:
    remaining = list(left)
    found = True
    while found and len(remaining) > EXACT_LIMIT:
        found = False
        for triple in combinations(remaining, 3):
            if sum(positions[k] for k in triple) == 0:
                groups.append(list(triple))
                remaining = [k for k in remaining if k not in triple]
                found = True
                break
    return remaining


def _most_zero_sum_groups(positions: Mapping[K, int], keys: list[K]) -> list[list[K]]:
    """The partition of ``keys`` (summing to zero) into the most zero-sum groups, exactly."""
    n = len(keys)
    full = (1 << n) - 1
    values = [positions[k] for k in keys]
    sums = [0] * (full + 1)
    best = [0] * (full + 1)
    for mask in range(1, full + 1):
        low = mask & -mask
        sums[mask] = sums[mask ^ low] + values[low.bit_length() - 1]
        top = 0
        rest = mask
        while rest:
            bit = rest & -rest
            below = best[mask ^ bit]
            if below > top:
                top = below
            rest ^= bit
        best[mask] = top + (sums[mask] == 0)
    # Walk back from the whole set: each zero-sum set on the way closes a group.
    closing = []
    mask = full
    while mask:
        if sums[mask] == 0:
            closing.append(mask)
        target = best[mask] - (sums[mask] == 0)
        rest = mask
        while rest:
            bit = rest & -rest
            if best[mask ^ bit] == target:
                mask ^= bit
                break
            rest ^= bit
    groups = []
    inner = 0
    for outer in reversed(closing):
        groups.append([keys[i] for i in range(n) if (outer & ~inner) >> i & 1])
        inner = outer
    return groups


def _settle_greedily(positions: Mapping[K, int], group: list[K], rank: Mapping[K, int]) -> list[Transfer[K]]:
    """A zero-sum group in at most len(group) − 1 transfers: the largest debt against the largest claim."""
    owing = sorted(([positions[k], k] for k in group if positions[k] > 0), key=lambda d: (-d[0], rank[d[1]]))
    owed = sorted(([-positions[k], k] for k in group if positions[k] < 0), key=lambda c: (-c[0], rank[c[1]]))
    transfers: list[Transfer[K]] = []
    i = j = 0
    while i < len(owing) and j < len(owed):
        amount = min(owing[i][0], owed[j][0])
        transfers.append(Transfer(owing[i][1], owed[j][1], amount))
        owing[i][0] -= amount
        owed[j][0] -= amount
        if owing[i][0] == 0:
            i += 1
        if owed[j][0] == 0:
            j += 1
    return transfers

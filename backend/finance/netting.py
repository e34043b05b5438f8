"""Multilateral netting: the transfers that settle every network's net position.

A position is what a network owes the others all together (> 0) or is owed by them
(< 0); the positions sum to zero. Settling bilaterally would need a transfer per
pair that traded; netting needs at most n − 1 for n networks with a position:
each transfer below brings at least one network to zero, and the last brings two.

Finding the very fewest is a partition problem (hard in general); pairing equal
and opposite positions first, then matching the largest debtor with the largest
creditor, meets the n − 1 bound always and does better whenever positions pair up,
which is what the hand-checked example in the tests shows.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class Transfer(Generic[K]):
    payer: K
    payee: K
    amount: int  # cents, > 0


def net_transfers(positions: Mapping[K, int], order: Mapping[K, int] | None = None) -> list[Transfer[K]]:
    """Transfers settling ``positions`` ({network: cents, > 0 owes}); deterministic for equal amounts
    (``order`` ranks the keys, default their sort order)."""
    if sum(positions.values()) != 0:
        raise ValueError("positions must sum to zero")
    rank = order or {key: i for i, key in enumerate(sorted(positions, key=repr))}
    debtors = sorted(
        ((amount, key) for key, amount in positions.items() if amount > 0), key=lambda d: (-d[0], rank[d[1]])
    )
    creditors = sorted(
        ((-amount, key) for key, amount in positions.items() if amount < 0), key=lambda c: (-c[0], rank[c[1]])
    )
    transfers: list[Transfer[K]] = []

    # Equal and opposite positions settle with one transfer for two networks.
    unmatched: list[tuple[int, K]] = []
    for amount, debtor in debtors:
        match = next((i for i, (owed, _) in enumerate(creditors) if owed == amount), None)
        if match is None:
            unmatched.append((amount, debtor))
        else:
            transfers.append(Transfer(debtor, creditors.pop(match)[1], amount))

    # The rest: the largest debt against the largest claim, each step clearing at least one.
    owing = [[amount, key] for amount, key in unmatched]
    owed = [[amount, key] for amount, key in creditors]
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

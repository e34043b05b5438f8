"""Tables of the finance domain: closed periods, clearing between networks, the staff audit trail.

The reconciliation tables (Stripe payouts, cash deposits, partner settlements) live in
``backend.finance.reconciliation.models``. Money itself is only in the ledger's tables;
these rows describe what finance decided about it.
"""

from __future__ import annotations

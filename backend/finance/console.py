"""Console pages of finance: period close, clearing between networks, reports and downloads.

Finance staff and admins of a network. The reconciliation pages are in
``backend.finance.reconciliation.console``.
"""

from __future__ import annotations

FINANCE = ("finance", "admin")

"""HTTP layer of finance (``/v1/finance``): period close, reports, clearing between networks, audit trail.

For finance staff and admins of a network, scoped to it. The reconciliation endpoints are in
``backend.finance.reconciliation.api`` (their own blueprint).
"""

from __future__ import annotations

from backend.web.api import Blueprint

blp = Blueprint(
    "finance",
    __name__,
    url_prefix="/v1/finance",
    description="Finance: period close, reports and exports, clearing between networks, staff audit trail",
)

blueprints = (blp,)

"""The web layer: everything that touches a Flask request or app.

The request-bound session (``database``), the unit of work, the HTTP error
handlers, language negotiation, the policy decorators, idempotency of views,
rate limiting, request logging, the ops endpoints and the app factory
(``app.create_app``). Domain ``api.py``/console modules, CLI commands and
scheduler entry points use it; services, the ledger, the models and the
adapters never do (an import-linter contract in ``.ci/run`` keeps it so).
"""

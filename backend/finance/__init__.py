"""Finance: reconciliation, settlements, period close and reports (reads the ledger, writes only through it)."""

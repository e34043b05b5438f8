"""Reconciliation of the ledger with the outside world.

A *run* compares one external statement (a Stripe payout's balance
transactions; later a pagoPA reporting flow) with what the ledger booked, item
by item: matched, missing on one side, or matched with a different amount.
Finance resolves what does not match with a note. Cash desks are reconciled
day by day against bank deposits, and partners are settled monthly.
"""

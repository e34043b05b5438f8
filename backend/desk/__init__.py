"""Library cash desks: cash sessions, cash top-ups and payouts, cash-up with over/short."""

"""The ledger: the only writer of money (accounts, journal entries, postings, holds, funding lots)."""

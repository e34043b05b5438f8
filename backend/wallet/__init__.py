"""The patron's wallet: balance, transactions, monthly statements."""

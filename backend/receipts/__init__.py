"""Receipts for money that enters or leaves a wallet (desk operations, card top-ups)."""

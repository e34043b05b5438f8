"""Notification delivery: outbox dispatcher and channels."""

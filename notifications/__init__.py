"""Notification delivery channels (email, FCM push, Web Push) behind one interface.

This package imports nothing from Flask or the database: the outbox and its
dispatcher live in ``backend.notify`` (they need the models), and hand each
rendered message to a channel from here.
"""

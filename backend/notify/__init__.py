"""Notifications to patrons and staff: enqueue (``services.notify``), inbox, devices,
preferences, and the outbox dispatcher. Delivery channels live in ``notifications/``."""

"""Delivery channels behind one small interface (``base.Channel``)."""

from notifications.channels.base import Channel, DeliveryFailed, Message, PermanentFailure

__all__ = ["Channel", "DeliveryFailed", "Message", "PermanentFailure"]

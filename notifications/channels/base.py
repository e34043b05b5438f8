"""The channel interface: send one rendered message to one address, or raise.

A channel raises ``DeliveryFailed`` for a failure worth retrying later (server
down, timeout, quota) and ``PermanentFailure`` when retrying cannot help (the
address is refused; with ``address_gone`` the device no longer exists and
should be forgotten). Channels know nothing of the database or of Flask.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class Message:
    notification_id: str
    kind: str
    language: str
    title: str
    body: str
    data: dict[str, Any] = field(default_factory=dict)


class DeliveryFailed(Exception):
    """Transient: try again later."""


class PermanentFailure(DeliveryFailed):
    """Retrying cannot help."""

    def __init__(self, message: str, *, address_gone: bool = False) -> None:
        super().__init__(message)
        self.address_gone = address_gone


class Channel(Protocol):
    name: str

    def send(self, message: Message, address: Any) -> None:
        """Deliver or raise ``DeliveryFailed``/``PermanentFailure``."""

"""Web Push (RFC 8030/8291, VAPID) to browsers through ``pywebpush``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import requests
from pywebpush import WebPushException, webpush

from notifications.channels.base import DeliveryFailed, Message, PermanentFailure

TTL_SECONDS = 24 * 3600


@dataclass(frozen=True)
class WebPushSettings:
    vapid_private_key: str  # PEM file path or base64url DER/raw key, as pywebpush accepts
    vapid_subject: str  # "mailto:…" the push service may contact
    timeout: float = 10.0


def payload(message: Message) -> str:
    return json.dumps(
        {
            "id": message.notification_id,
            "kind": message.kind,
            "title": message.title,
            "body": message.body,
            "data": message.data,
        },
        ensure_ascii=False,
    )


class WebPushChannel:
    name = "webpush"

    def __init__(self, settings: WebPushSettings, session: requests.Session | None = None) -> None:
        self.settings = settings
        self.session = session or requests.Session()

    def send(self, message: Message, address: dict[str, Any]) -> None:
        """``address``: the browser's subscription ``{"endpoint", "keys": {"p256dh", "auth"}}``."""
        try:
            webpush(
                subscription_info=address,
                data=payload(message),
                vapid_private_key=self.settings.vapid_private_key,
                vapid_claims={"sub": self.settings.vapid_subject},
                ttl=TTL_SECONDS,
                timeout=self.settings.timeout,
                requests_session=self.session,
            )
        except WebPushException as exc:
            status = exc.response.status_code if exc.response is not None else None
            if status in (404, 410):
                raise PermanentFailure(f"subscription gone ({status})", address_gone=True) from exc
            if status is not None and 400 <= status < 500 and status != 429:
                raise PermanentFailure(f"push service refused ({status})") from exc
            raise DeliveryFailed(f"web push: {status or exc}") from exc
        except requests.RequestException as exc:
            raise DeliveryFailed(f"web push: {type(exc).__name__}") from exc

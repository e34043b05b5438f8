"""Push to the Android/iOS app through Firebase Cloud Messaging (HTTP v1, ``firebase-admin``)."""

from __future__ import annotations

import threading
import warnings

import firebase_admin
from firebase_admin import credentials, exceptions, messaging

from notifications.channels.base import DeliveryFailed, Message, PermanentFailure

_init_lock = threading.Lock()


def firebase_app(credentials_file: str, name: str = "borsellino") -> firebase_admin.App:
    """The process's Firebase app for a service-account file (created once)."""
    with _init_lock:
        try:
            return firebase_admin.get_app(name)
        except ValueError:
            return firebase_admin.initialize_app(credentials.Certificate(credentials_file), name=name)


class FcmChannel:
    name = "fcm"

    def __init__(self, app: firebase_admin.App) -> None:
        self.app = app

    @staticmethod
    def build(message: Message, token: str) -> messaging.Message:
        # FCM data values must be strings; the app reads the full data from the inbox.
        # The app registers FCM registration tokens, which the HTTP v1 API still
        # accepts; firebase-admin 7.7 nudges towards installation ids (``fid``).
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Message.token is deprecated", DeprecationWarning)
            return messaging.Message(
                token=token,
                notification=messaging.Notification(title=message.title, body=message.body),
                data={"notification_id": message.notification_id, "kind": message.kind},
                android=messaging.AndroidConfig(priority="high", ttl=24 * 3600),
            )

    def send(self, message: Message, address: str) -> None:
        try:
            messaging.send(self.build(message, address), app=self.app)
        except (messaging.UnregisteredError, messaging.SenderIdMismatchError) as exc:
            raise PermanentFailure(f"fcm token gone: {exc.code}", address_gone=True) from exc
        except exceptions.InvalidArgumentError as exc:
            raise PermanentFailure(f"fcm refused: {exc}") from exc
        except (exceptions.FirebaseError, ValueError) as exc:
            raise DeliveryFailed(f"fcm: {getattr(exc, 'code', type(exc).__name__)}") from exc

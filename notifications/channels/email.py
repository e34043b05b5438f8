"""Email over SMTP with the standard library (STARTTLS and login when configured)."""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid

from notifications.channels.base import DeliveryFailed, Message, PermanentFailure

FOOTER = {
    "it": "—\nBorsellino · Rete delle Reti\nPuoi scegliere quali notifiche ricevere nell'app, in Profilo › Notifiche.",
    "en": "—\nBorsellino · Rete delle Reti\nYou can choose which notifications you receive in "
    "the app, under Profile › Notifications.",
}


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 25
    username: str = ""
    password: str = ""
    starttls: bool = False
    sender: str = "Borsellino <noreply@retedellereti.example>"
    timeout: float = 20.0


class EmailChannel:
    name = "email"

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings

    def compose(self, message: Message, address: str) -> EmailMessage:
        mail = EmailMessage()
        mail["From"] = self.settings.sender
        mail["To"] = address
        mail["Subject"] = message.title
        mail["Message-ID"] = make_msgid(idstring=message.notification_id)
        mail["X-Borsellino-Kind"] = message.kind
        mail.set_content(f"{message.body}\n\n{FOOTER.get(message.language, FOOTER['it'])}\n")
        # After set_content, which replaces every Content-* header.
        mail["Content-Language"] = message.language
        return mail

    def send(self, message: Message, address: str) -> None:
        s = self.settings
        mail = self.compose(message, address)
        try:
            with smtplib.SMTP(s.host, s.port, timeout=s.timeout) as smtp:
                if s.starttls:
                    smtp.starttls()
                if s.username:
                    smtp.login(s.username, s.password)
                smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            raise PermanentFailure(f"recipient refused: {exc.recipients}") from exc
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            raise DeliveryFailed(f"smtp: {type(exc).__name__}: {exc}") from exc

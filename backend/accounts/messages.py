"""Outgoing messages of accounts (verification and reset emails).

``send_email`` is the one door: it keeps a record in ``outgoing_messages``
and queues the email in the notifications outbox (``send_account_email``),
whose dispatcher sends it over SMTP to the address given — also one not yet
verified — with retries. It never shows in the app's inbox.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from backend.accounts.models import OutgoingMessage, Patron, StaffUser
from backend.i18n import Text
from backend.notify.services import send_account_email


def send_email(
    session: Session, recipient: Patron | StaffUser, *, to_email: str, purpose: str, subject: Text, body: Text, **values
) -> OutgoingMessage:
    language = recipient.language
    message = OutgoingMessage(
        to_email=to_email,
        purpose=purpose,
        subject=subject.render(language, **values),
        body=body.render(language, **values),
        patron_id=recipient.id if isinstance(recipient, Patron) else None,
        staff_user_id=recipient.id if isinstance(recipient, StaffUser) else None,
    )
    session.add(message)
    send_account_email(
        session, recipient, to_email=to_email, purpose=purpose, subject=message.subject, body=message.body
    )
    return message

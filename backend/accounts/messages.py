"""Outgoing messages of accounts (verification and reset emails).

``send_email`` is the one door: today it stores the message in
``outgoing_messages`` (read by tests and by the notifications outbox when it
takes over); switching to ``backend.notify`` means changing this function only.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from backend.accounts.models import OutgoingMessage, Patron, StaffUser
from backend.i18n import Text


def send_email(session: Session, recipient: Patron | StaffUser, *, to_email: str, purpose: str,
               subject: Text, body: Text, **values) -> OutgoingMessage:
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
    return message

"""Shapes of the confirmations API."""

import marshmallow as ma
from marshmallow import fields

from backend.web.api import UtcDateTime


class ConfirmationSchema(ma.Schema):
    id = fields.String(attribute="public_id")
    purpose = fields.String(metadata={"description": "What asks, e.g. partners.till_payment"})
    reference = fields.String(metadata={"description": "Public id of what is confirmed"})
    requester = fields.String(metadata={"description": "Who asks (a venue, a library shop)"})
    description = fields.String()
    amount = fields.Function(lambda c: None if c.amount is None else {"amount": c.amount, "currency": c.currency},
                             metadata={"type": "object", "nullable": True,
                                       "properties": {"amount": {"type": "integer"}, "currency": {"type": "string"}}})
    state = fields.String(metadata={"enum": ["pending", "confirmed", "declined", "expired"]})
    expires_at = UtcDateTime()
    decided_at = UtcDateTime(allow_none=True)

"""Shapes of the confirmations API."""

import marshmallow as ma
from marshmallow import fields

from backend.money import Money, MoneyField
from backend.schema_fields import Computed, UtcDateTime


class ConfirmationSchema(ma.Schema):
    id = fields.String(attribute="public_id")
    purpose = fields.String(metadata={"description": "What asks, e.g. partners.till_payment"})
    reference = fields.String(metadata={"description": "Public id of what is confirmed"})
    requester = fields.String(metadata={"description": "Who asks (a venue, a library shop)"})
    description = fields.String()
    amount = Computed(
        lambda c: None if c.amount is None else Money(c.amount, c.currency), MoneyField(), allow_none=True
    )
    state = fields.String(metadata={"enum": ["pending", "confirmed", "declined", "expired"]})
    expires_at = UtcDateTime()
    decided_at = UtcDateTime(allow_none=True)

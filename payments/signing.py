"""Webhook signatures in Stripe's scheme: ``Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256>``.

The HMAC covers ``"<t>.<raw body>"`` under the endpoint's secret. Stripe's own
``WebhookSignature.verify_header`` checks the signature and refuses timestamps
older than the tolerance; it accepts any future timestamp, so a captured
signature with a far-future ``t`` would stay valid forever. We refuse those
too (beyond the same tolerance, which also covers clock skew).
"""

from __future__ import annotations

import time

import stripe

from payments.base import InvalidWebhook

TOLERANCE_SECONDS = 300


def sign(payload: str, secret: str, timestamp: int | None = None) -> str:
    header: str = stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp)
    return header


def verify(
    payload: bytes | str,
    header: str | None,
    secret: str,
    *,
    tolerance: int = TOLERANCE_SECONDS,
    now: float | None = None,
) -> None:
    if not secret:
        raise InvalidWebhook("no webhook secret configured")
    try:
        stripe.WebhookSignature.verify_header(payload, header, secret, tolerance)
    except stripe.SignatureVerificationError as exc:
        raise InvalidWebhook(str(exc).split(".")[0]) from None
    timestamp = _timestamp(header or "")
    if timestamp > (now if now is not None else time.time()) + tolerance:
        raise InvalidWebhook("timestamp too far in the future")


def _timestamp(header: str) -> int:
    for item in header.split(","):
        key, _, value = item.partition("=")
        if key.strip() == "t":
            return int(value)
    raise InvalidWebhook("no timestamp")

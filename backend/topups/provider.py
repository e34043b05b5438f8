"""The configured card-payment provider of the app (one per process)."""

from __future__ import annotations

from typing import Any

from backend.config import Settings
from payments.base import PaymentProvider
from payments.sandbox import SandboxProvider
from payments.stripe_provider import StripeProvider

EXTENSION = "borsellino.payments"


def build_provider(settings: Settings) -> PaymentProvider:
    if settings.payment_provider == "stripe":
        return StripeProvider(
            secret_key=settings.stripe_secret_key,
            publishable_key=settings.stripe_publishable_key,
            webhook_secret=settings.stripe_webhook_secret,
        )
    if settings.payment_provider == "sandbox":
        if settings.is_production:
            raise RuntimeError("the sandbox payment provider is refused in production")
        return SandboxProvider()
    raise RuntimeError(f"unknown payment provider {settings.payment_provider!r}")


def get_provider(app: Any) -> PaymentProvider:
    """The Flask ``app``'s provider, built on first use; tests may put their own in ``app.extensions``."""
    provider = app.extensions.get(EXTENSION)
    if provider is None:
        provider = app.extensions[EXTENSION] = build_provider(app.config["SETTINGS"])
    return provider
